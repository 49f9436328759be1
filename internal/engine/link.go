package engine

import (
	"fmt"

	"github.com/wactor/wactor/abi"
)

// ResolveImports returns the host function for every function import of a
// module, in the order of imports (non-function imports are not allowed):
// module "wactor" from cfg.HostFuncs, module "wasi_snapshot_preview1" from
// this package's WASI implementation configured by cfg.WASI (one state per
// call, so per instance). Engines link what it returns, which gives every
// engine the same host functions. Errors wrap ErrLink.
func ResolveImports(imports []Import, cfg *InstanceConfig) ([]HostFunc, error) {
	var wasi *wasiState
	var host map[string]*HostFunc
	out := make([]HostFunc, 0, len(imports))
	for _, imp := range imports {
		if imp.Kind != KindFunc {
			return nil, fmt.Errorf("%w: import %s.%s is a %s; only functions can be imported", ErrLink, imp.Module, imp.Name, imp.Kind)
		}
		var h HostFunc
		switch imp.Module {
		case abi.ImportModule:
			if host == nil {
				host = make(map[string]*HostFunc, len(cfg.HostFuncs))
				for i := range cfg.HostFuncs {
					host[cfg.HostFuncs[i].Name] = &cfg.HostFuncs[i]
				}
			}
			f, ok := host[imp.Name]
			if !ok || f.Func == nil {
				return nil, fmt.Errorf("%w: unknown import %s.%s", ErrLink, imp.Module, imp.Name)
			}
			h = *f
		case abi.WASIModule:
			f, ok := wasiByName[imp.Name]
			if !ok {
				return nil, fmt.Errorf("%w: unknown import %s.%s", ErrLink, imp.Module, imp.Name)
			}
			if wasi == nil {
				wasi = newWASIState(cfg.WASI)
			}
			h = wasi.hostFunc(f)
		default:
			return nil, fmt.Errorf("%w: unknown import %s.%s: only modules %q and %q are provided", ErrLink, imp.Module, imp.Name, abi.ImportModule, abi.WASIModule)
		}
		if !h.Type().Equal(imp.Func) {
			return nil, fmt.Errorf("%w: import %s.%s has type %s, the host provides %s", ErrLink, imp.Module, imp.Name, imp.Func, h.Type())
		}
		out = append(out, h)
	}
	return out, nil
}
