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
	i32, i64 := engine.I32, engine.I64
	p := func(ts ...engine.ValueType) []engine.ValueType { return ts }
	e := &Engine{eng: eng, name: name, ownMemory: name == EngineWazero, loadTimeout: loadTimeout}
	e.hostFuncs = []engine.HostFunc{
		{Name: abi.ImportLog, Params: p(i32, i32, i32), Func: hostLog},
		{Name: abi.ImportSelfID, Params: p(i32, i32), Results: p(i32), Func: hostSelfID},
		{Name: abi.ImportExit, Func: hostExit},
		{Name: abi.ImportCall, Params: p(i32, i32, i32, i32, i32, i32), Results: p(i32), Func: hostCall},
		{Name: abi.ImportSend, Params: p(i32, i32, i32, i32, i32, i32), Results: p(i64), Func: hostSend},
		{Name: abi.ImportAwait, Params: p(i64), Results: p(i32), Func: hostAwait},
		{Name: abi.ImportSpawn, Params: p(i32, i32, i32, i32, i32, i32), Results: p(i32), Func: hostSpawn},
		{Name: abi.ImportGetActor, Params: p(i32, i32, i32, i32), Results: p(i32), Func: hostGetActor},
		{Name: abi.ImportKill, Params: p(i32, i32), Results: p(i32), Func: hostKill},
		{Name: abi.ImportTake, Params: p(i32, i32), Results: p(i32), Func: hostTake},
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
