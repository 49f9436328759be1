package sandbox

import (
	"context"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/internal/engine"
)

// TestHostFuncs_MatchABI: the host functions the engine links (module
// wactor) and its WASI functions are exactly abi's tables, which abi.Check
// holds modules to: a function added to one and not the other fails here.
func TestHostFuncs_MatchABI(t *testing.T) {
	e, err := NewEngine(context.Background(), "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(context.Background())
	same := func(what string, funcs []engine.HostFunc, table []abi.FuncSpec) {
		t.Helper()
		if len(funcs) != len(table) {
			t.Errorf("%s: the host links %d functions, abi lists %d", what, len(funcs), len(table))
		}
		for i, f := range funcs {
			ft := abiModule([]engine.Import{{Kind: engine.KindFunc, Func: f.Type()}}, nil).Imports[0].Func
			if i < len(table) && (f.Name != table[i].Name || !ft.Equal(table[i].Type)) {
				t.Errorf("%s %d: the host links %s %s, abi lists %s %s", what, i, f.Name, ft, table[i].Name, table[i].Type)
			}
		}
	}
	same(abi.ImportModule, e.hostFuncs, abi.HostImports())
	same(abi.WASIModule, engine.WASIFuncs(engine.WASIConfig{}), abi.WASIImports())
}
