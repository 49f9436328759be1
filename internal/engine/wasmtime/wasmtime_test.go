//go:build wasmtime

package wasmtime

import "testing"

func TestTrapMessage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"error while executing at wasm backtrace:\n    0:    0x138 - <unknown>!<wasm function 7>\n\nCaused by:\n    0: memory fault at wasm address 0xfffffff0 in linear memory of size 0x10000\n    1: wasm trap: out of bounds memory access\n\nStack backtrace:\n   0: <unknown>",
			"wasm trap: out of bounds memory access"},
		{"error while executing at wasm backtrace:\n    0:     0x29 - <unknown>!<wasm function 0>\n\nCaused by:\n    wasm trap: all fuel consumed by WebAssembly\n\nStack backtrace:\n   0: <unknown>",
			"wasm trap: all fuel consumed by WebAssembly"},
		{"error while executing at wasm backtrace:\n    0: f\n\nCaused by:\n    wactor: call interrupted", "wactor: call interrupted"},
		{"plain message\nsecond line", "plain message"},
	} {
		if got := trapMessage(c.in); got != c.want {
			t.Errorf("trapMessage(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
