package instrument

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// readTestdata returns testdata/name (a built .wasm).
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// newRuntime returns a wazero runtime with the default configuration (no
// WithCloseOnContextDone), closed when the test ends.
func newRuntime(tb testing.TB) wazero.Runtime {
	tb.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	tb.Cleanup(func() { rt.Close(ctx) })
	return rt
}

// instantiate compiles and instantiates wasm under a fresh name.
func instantiate(tb testing.TB, rt wazero.Runtime, wasm []byte, name string) api.Module {
	tb.Helper()
	ctx := context.Background()
	mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(name))
	if err != nil {
		tb.Fatalf("instantiate %s: %v", name, err)
	}
	return mod
}

// mustRewrite rewrites wasm and fails the test on error.
func mustRewrite(tb testing.TB, wasm []byte, opts Options) *Result {
	tb.Helper()
	res, err := Rewrite(wasm, opts)
	if err != nil {
		tb.Fatalf("Rewrite(%+v): %v", opts, err)
	}
	return res
}

// setGlobal stores v in the exported mutable global name.
func setGlobal(tb testing.TB, mod api.Module, name string, v uint64) {
	tb.Helper()
	g, ok := mod.ExportedGlobal(name).(api.MutableGlobal)
	if !ok {
		tb.Fatalf("global %q is not an exported mutable global", name)
	}
	g.Set(v)
}

// getGlobal loads the exported global name.
func getGlobal(tb testing.TB, mod api.Module, name string) uint64 {
	tb.Helper()
	g := mod.ExportedGlobal(name)
	if g == nil {
		tb.Fatalf("global %q is not exported", name)
	}
	return g.Get()
}

type testSection struct {
	id      byte
	name    string // custom sections
	content []byte
}

// sections splits a module into its sections (for assertions only).
func sections(tb testing.TB, wasm []byte) []testSection {
	tb.Helper()
	var out []testSection
	for p := 8; p < len(wasm); {
		id := wasm[p]
		size, np, err := readU32(wasm, p+1)
		if err != nil || int(size) > len(wasm)-np {
			tb.Fatalf("bad section at %#x: %v", p, err)
		}
		s := testSection{id: id, content: wasm[np : np+int(size)]}
		if id == 0 {
			l, q, err := readU32(s.content, 0)
			if err != nil || int(l) > len(s.content)-q {
				tb.Fatalf("bad custom section name at %#x", p)
			}
			s.name = string(s.content[q : q+int(l)])
		}
		out = append(out, s)
		p = np + int(size)
	}
	return out
}

// globalTypes lists (valtype, mutable) for the defined globals of wasm.
func globalTypes(tb testing.TB, wasm []byte) (types []byte, mutable []bool) {
	tb.Helper()
	for _, s := range sections(tb, wasm) {
		if s.id != secGlobal {
			continue
		}
		b := s.content
		n, p, err := readU32(b, 0)
		if err != nil {
			tb.Fatal(err)
		}
		for i := uint32(0); i < n; i++ {
			types = append(types, b[p])
			if p, err = skipValType(b, p); err != nil {
				tb.Fatal(err)
			}
			mutable = append(mutable, b[p]&1 == 1)
			if p, err = skipConstExpr(b, p+1); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return types, mutable
}

// Module builder for hand-written binaries.

func leb(v uint32) []byte { return appendU32(nil, v) }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// vec prefixes the concatenated items with their count.
func vec(items ...[]byte) []byte { return cat(leb(uint32(len(items))), cat(items...)) }

func sec(id byte, content ...[]byte) []byte {
	c := cat(content...)
	return cat([]byte{id}, leb(uint32(len(c))), c)
}

func name(s string) []byte { return cat(leb(uint32(len(s))), []byte(s)) }

// body encodes a function body with no locals (plus the final end).
func body(code ...byte) []byte {
	c := cat([]byte{0x00}, code, []byte{0x0b})
	return cat(leb(uint32(len(c))), c)
}

func module(secs ...[]byte) []byte {
	return cat([]byte("\x00asm\x01\x00\x00\x00"), cat(secs...))
}

// voidModule is a module with n functions of type () -> () and the given
// bodies, exporting function 0 as "f".
func voidModule(bodies ...[]byte) []byte {
	funcs := make([][]byte, len(bodies))
	for i := range funcs {
		funcs[i] = leb(0)
	}
	return module(
		sec(1, vec([]byte{0x60, 0x00, 0x00})),
		sec(3, vec(funcs...)),
		sec(7, vec(cat(name("f"), []byte{0x00, 0x00}))),
		sec(10, vec(bodies...)),
	)
}
