package instrument

import (
	"context"
	"testing"
)

// recursionModule exports f(n) = n ? f(n-1)+1 : 0.
func recursionModule() []byte {
	f := []byte{
		0x00,       // no locals
		0x20, 0x00, // local.get 0
		0x45,       // i32.eqz
		0x04, 0x7f, // if (result i32)
		0x41, 0x00, //   i32.const 0
		0x05,       // else
		0x20, 0x00, //   local.get 0
		0x41, 0x01, //   i32.const 1
		0x6b,       //   i32.sub
		0x10, 0x00, //   call f
		0x41, 0x01, //   i32.const 1
		0x6a, //   i32.add
		0x0b, // end
		0x0b,
	}
	return module(
		sec(1, vec([]byte{0x60, 0x01, 0x7f, 0x01, 0x7f})),
		sec(3, vec(leb(0))),
		sec(7, vec(cat(name("f"), []byte{0x00, 0x00}))),
		sec(10, vec(cat(leb(uint32(len(f))), f))),
	)
}

// TestMaxCallDepth: recursion within the bound runs and leaves the counter
// at 0; deeper recursion traps.
func TestMaxCallDepth(t *testing.T) {
	res := mustRewrite(t, recursionModule(), Options{MaxCallDepth: 1000})
	if res.DepthExport != DepthExport {
		t.Fatalf("DepthExport = %q", res.DepthExport)
	}
	rt := newRuntime(t)
	mod := instantiate(t, rt, res.Wasm, "depth")
	ctx := context.Background()
	for range 2 {
		out, err := mod.ExportedFunction("f").Call(ctx, 900)
		if err != nil || out[0] != 900 {
			t.Fatalf("f(900) = %v, %v; want 900", out, err)
		}
		if d := getGlobal(t, mod, DepthExport); d != 0 {
			t.Fatalf("depth after f(900) = %d, want 0", d)
		}
	}
	if _, err := mod.ExportedFunction("f").Call(ctx, 1100); err == nil {
		t.Fatal("f(1100) did not trap past a depth of 1000")
	}
	if d := getGlobal(t, mod, DepthExport); d == 0 {
		t.Fatal("the counter is 0 after the trap: it did not count")
	}
}
