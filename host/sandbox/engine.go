package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/engine"
	_ "github.com/wactor/wactor/internal/engine/wazero" // the default engine
)

// Engine names for Config.Engine.
const (
	// EngineWazero is the pure-Go engine, in every build (the default).
	EngineWazero = "wazero"
	// EngineWasmtime is wasmtime (Cranelift), only in builds with the tag
	// "wasmtime" (it needs cgo).
	EngineWasmtime = "wasmtime"
)

// Engines returns the names of the engines this build can run, sorted.
func Engines() []string { return engine.Names() }

// Engine owns the WebAssembly engine shared by all classes and sandboxes of
// a host, with the host functions every instance imports.
type Engine struct {
	eng  engine.Engine
	name string
	// ownMemory: sandboxes back linear memory themselves (wazero), with
	// dirty-page tracking and copy-on-write templates; else the engine's
	// memory is used and captures compare pages.
	ownMemory bool
	hostFuncs []engine.HostFunc // module "wactor" (abi.HostImports)
	// loadTimeout bounds the start function and _initialize.
	loadTimeout time.Duration
}

// DefaultLoadTimeout bounds a class's load-time code (its start function
// and _initialize) when NewEngine is given no load timeout.
const DefaultLoadTimeout = 5 * time.Second

// NewEngine starts engine name (EngineWazero or EngineWasmtime; "" is
// EngineWazero), caching compiled code in cacheDir if not "". loadTimeout
// bounds the load-time code a new sandbox runs (0: DefaultLoadTimeout). A
// name this build cannot run fails with api.ErrInvalidOptions.
func NewEngine(ctx context.Context, name, cacheDir string, loadTimeout time.Duration) (*Engine, error) {
	if name == "" {
		name = EngineWazero
	}
	if loadTimeout <= 0 {
		loadTimeout = DefaultLoadTimeout
	}
	if !slices.Contains(engine.Names(), name) {
		hint := ""
		if name == EngineWasmtime {
			hint = " (wasmtime needs a build with -tags wasmtime and cgo)"
		}
		return nil, fmt.Errorf("%w: engine %q is not available in this build%s; available: %s", api.ErrInvalidOptions, name, hint, strings.Join(engine.Names(), ", "))
	}
	eng, err := engine.New(ctx, name, engine.Config{CacheDir: cacheDir})
	if err != nil {
		return nil, fmt.Errorf("host: engine %s: %w", name, err)
	}
	e := &Engine{eng: eng, name: name, ownMemory: name == EngineWazero, loadTimeout: loadTimeout}
	// The signatures are abi's table, the one abi.Check holds modules to.
	impls := map[string]func(context.Context, engine.Caller, []uint64){
		abi.ImportLog: hostLog, abi.ImportSelfID: hostSelfID, abi.ImportExit: hostExit,
		abi.ImportCall: hostCall, abi.ImportSend: hostSend, abi.ImportAwait: hostAwait,
		abi.ImportSpawn: hostSpawn, abi.ImportGetActor: hostGetActor, abi.ImportKill: hostKill,
		abi.ImportTake: hostTake,
	}
	vals := func(ts []abi.ValType) []engine.ValueType {
		out := make([]engine.ValueType, len(ts))
		for i, t := range ts {
			out[i] = engine.ValueType(t)
		}
		return out
	}
	for _, f := range abi.HostImports() {
		fn, ok := impls[f.Name]
		if !ok {
			panic("sandbox: no implementation of import " + f.Name)
		}
		e.hostFuncs = append(e.hostFuncs, engine.HostFunc{Name: f.Name, Params: vals(f.Type.Params), Results: vals(f.Type.Results), Func: fn})
	}
	return e, nil
}

// Name returns the engine's name (EngineWazero or EngineWasmtime).
func (e *Engine) Name() string { return e.name }

// OwnsMemory reports whether sandboxes back linear memory themselves
// (wazero): with kernel dirty-page tracking and templates mapped
// copy-on-write. Otherwise the engine owns it (wasmtime).
func (e *Engine) OwnsMemory() bool { return e.ownMemory }

// Close frees the engine. Its classes and sandboxes must be closed first.
func (e *Engine) Close(ctx context.Context) error { return e.eng.Close(ctx) }
