package instrument

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestSplitData: the module without its segments, plus the segments
// written by hand, gives the memory that instantiating the original gives.
func TestSplitData(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{"../../examples/c-counter/counter.wasm", "../../examples/counter/counter.wasm"} {
		t.Run(path, func(t *testing.T) {
			wasm, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			bare, segs, err := SplitData(wasm)
			if err != nil {
				t.Fatal(err)
			}
			if len(segs) == 0 || len(bare) >= len(wasm) {
				t.Fatalf("%d segments, module %d -> %d bytes", len(segs), len(wasm), len(bare))
			}
			// The interpreter: only instantiation matters here, and it
			// compiles a Go guest in a fraction of the compiler's time.
			rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
			defer rt.Close(ctx)
			memOf := func(b []byte, segs []Segment) []byte {
				cm, err := rt.CompileModule(ctx, b)
				if err != nil {
					t.Fatal(err)
				}
				for _, imp := range cm.ImportedFunctions() {
					mod, _, _ := imp.Import()
					if rt.Module(mod) == nil {
						// Stub every import: nothing runs.
						hb := rt.NewHostModuleBuilder(mod)
						for _, f := range cm.ImportedFunctions() {
							if m, name, _ := f.Import(); m == mod {
								hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}), f.ParamTypes(), f.ResultTypes()).Export(name)
							}
						}
						if _, err := hb.Instantiate(ctx); err != nil {
							t.Fatal(err)
						}
					}
				}
				m, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
				if err != nil {
					t.Fatal(err)
				}
				mem := m.Memory()
				for _, s := range segs {
					if !mem.Write(s.Offset, s.Data) {
						t.Fatalf("segment at %d (+%d) out of bounds", s.Offset, len(s.Data))
					}
				}
				b2, _ := mem.Read(0, mem.Size())
				return bytes.Clone(b2)
			}
			if !bytes.Equal(memOf(wasm, nil), memOf(bare, segs)) {
				t.Fatal("memory differs")
			}
		})
	}
}

func TestSplitData_errors(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"truncated section", []byte("\x00asm\x01\x00\x00\x00\x0b\x05\x01\x07"), ErrMalformed},
		{"truncated offset", []byte("\x00asm\x01\x00\x00\x00\x0b\x03\x01\x00\x41"), ErrMalformed},
		{"passive segment", []byte("\x00asm\x01\x00\x00\x00\x0b\x04\x01\x01\x01\x61"), ErrNotSplittable},
		{"global offset", []byte("\x00asm\x01\x00\x00\x00\x0b\x07\x01\x00\x23\x00\x0b\x01\x61"), ErrNotSplittable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := SplitData(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzSplitData(f *testing.F) {
	if b, err := os.ReadFile("../../examples/c-counter/counter.wasm"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x0b\x07\x01\x00\x41\x00\x0b\x01\x61"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, segs, err := SplitData(b)
		if err != nil {
			return
		}
		n := 0
		for _, s := range segs {
			n += len(s.Data)
		}
		if len(out) > len(b)+16 || n > len(b) {
			t.Fatalf("grew from %d to %d bytes (%d in segments)", len(b), len(out), n)
		}
	})
}
