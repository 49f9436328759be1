package engine_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/internal/engine"
)

// moduleFiles returns the example guests and the test fixtures.
func moduleFiles(t testing.TB) []string {
	var files []string
	for _, pattern := range []string{"../../examples/*/*.wasm", "testdata/*.wasm", "../../host/testdata/*.wasm", "../instrument/testdata/*.wasm"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("only %d modules found", len(files))
	}
	return files
}

func apiTypes(ts []api.ValueType) []engine.ValueType {
	out := make([]engine.ValueType, len(ts))
	for i, t := range ts {
		out[i] = engine.ValueType(t)
	}
	return out
}

// TestParseModuleMatchesWazero compares ParseModule's listing of functions
// and memories with wazero's for every module in the repository that wazero
// compiles.
func TestParseModuleMatchesWazero(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	compared := 0
	for _, path := range moduleFiles(t) {
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cm, cerr := rt.CompileModule(ctx, wasm)
		info, perr := engine.ParseModule(wasm)
		if cerr != nil {
			if perr == nil {
				t.Logf("%s: wazero rejects it (%v), ParseModule does not (it does not validate)", path, cerr)
			}
			continue
		}
		if perr != nil {
			t.Errorf("%s: %v", path, perr)
			continue
		}
		compared++
		var imports []api.FunctionDefinition
		imports = append(imports, cm.ImportedFunctions()...)
		var got []engine.Import
		for _, imp := range info.Imports {
			if imp.Kind == engine.KindFunc {
				got = append(got, imp)
			}
		}
		if len(got) != len(imports) {
			t.Errorf("%s: %d function imports, wazero %d", path, len(got), len(imports))
			continue
		}
		for i, d := range imports {
			mod, name, _ := d.Import()
			want := engine.FuncType{Params: apiTypes(d.ParamTypes()), Results: apiTypes(d.ResultTypes())}
			if got[i].Module != mod || got[i].Name != name || !got[i].Func.Equal(want) {
				t.Errorf("%s: import %d: %+v, wazero %s.%s %s", path, i, got[i], mod, name, want)
			}
		}
		funcs := cm.ExportedFunctions()
		mems := cm.ExportedMemories()
		n := 0
		for _, x := range info.Exports {
			switch x.Kind {
			case engine.KindFunc:
				n++
				d, ok := funcs[x.Name]
				if !ok || !x.Func.Equal(engine.FuncType{Params: apiTypes(d.ParamTypes()), Results: apiTypes(d.ResultTypes())}) {
					t.Errorf("%s: export %s %s, wazero %v", path, x.Name, x.Func, d)
				}
			case engine.KindMemory:
				d, ok := mems[x.Name]
				if !ok || d.Min() != uint32(x.Memory.Min) {
					t.Errorf("%s: memory %s %+v, wazero %v", path, x.Name, x.Memory, d)
				}
			}
		}
		if n != len(funcs) {
			t.Errorf("%s: %d function exports, wazero %d", path, n, len(funcs))
		}
	}
	if compared < 10 {
		t.Errorf("compared only %d modules", compared)
	}
}

// TestParseModuleMutations feeds ParseModule damaged modules: it must fail
// cleanly, never panic.
func TestParseModuleMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, path := range moduleFiles(t) {
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(wasm) > 1<<20 {
			continue // the Go guests: slow to copy thousands of times
		}
		for range 300 {
			b := slices.Clone(wasm)
			switch r.IntN(3) {
			case 0:
				b = b[:r.IntN(len(b)+1)]
			default:
				for range 1 + r.IntN(4) {
					if len(b) > 8 {
						b[8+r.IntN(len(b)-8)] = byte(r.Uint32())
					}
				}
			}
			if _, err := engine.ParseModule(b); err != nil && !errors.Is(err, engine.ErrCompile) {
				t.Fatalf("%s: error not wrapping ErrCompile: %v", path, err)
			}
		}
	}
}

// FuzzParseModule checks that ParseModule never panics.
func FuzzParseModule(f *testing.F) {
	for _, path := range moduleFiles(f) {
		if b, err := os.ReadFile(path); err == nil && len(b) < 1<<16 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := engine.ParseModule(b); err != nil && !errors.Is(err, engine.ErrCompile) {
			t.Fatalf("error not wrapping ErrCompile: %v", err)
		}
	})
}

// TestWASISignatures checks this package's WASI functions against wazero's:
// same names, same signatures.
func TestWASISignatures(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		t.Fatal(err)
	}
	defs := rt.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions()
	ours := engine.WASIFuncs(engine.WASIConfig{})
	if len(ours) != len(defs) {
		t.Errorf("%d WASI functions, wazero has %d", len(ours), len(defs))
	}
	for _, f := range ours {
		d, ok := defs[f.Name]
		if !ok {
			t.Errorf("%s: not in wazero", f.Name)
			continue
		}
		want := engine.FuncType{Params: apiTypes(d.ParamTypes()), Results: apiTypes(d.ResultTypes())}
		if !f.Type().Equal(want) {
			t.Errorf("%s: %s, wazero %s", f.Name, f.Type(), want)
		}
	}
	if len(engine.WASINames()) != len(ours) || abi.WASIModule != wasi_snapshot_preview1.ModuleName {
		t.Error("WASINames or module name mismatch")
	}
}
