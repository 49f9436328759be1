// Package wazero implements internal/engine on wazero (pure Go, the default
// engine). Importing it registers the engine as "wazero".
//
// wazero cannot stop a running guest without WithCloseOnContextDone, which
// slows every loop and closes the module for good. This engine therefore
// rewrites every module at Compile with internal/instrument: an interrupt
// global checked at function entries and loop headers (Instance.Interrupt
// sets it from any goroutine; the check calls an appended $preempt function
// whose function listener runs InstanceConfig.OnYield for Instance.Yield),
// a yield counter so a long loop lets the Go
// scheduler and garbage collector in, and, for instances with a fuel limit, a
// second variant compiled on first use with deterministic fuel metering. The
// globals the rewrite adds are not listed in Module.Exports and not returned
// by Instance.Global: an engine-neutral snapshot sees the same globals as on
// any other engine.
//
// Host functions (module "wactor" and this repository's WASI) are linked
// through one wazero host module per distinct set of imported signatures,
// whose functions find the calling instance and run its own HostFunc. They
// are given to the guest with experimental.WithImportResolver, which in
// wazero v1.12 only accepts the module instance inside the wrapper that
// HostModuleBuilder.Instantiate returns: unwrapHostModule reaches it by
// reflection and fails with an error (never a panic) if wazero changes it.
package wazero

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/instrument"
)

// Name is the name the engine registers under.
const Name = "wazero"

func init() {
	engine.Register(Name, func(ctx context.Context, cfg engine.Config) (engine.Engine, error) { return New(ctx, cfg) })
}

// processCache shares compiled code between the engines of one process.
var processCache = wazero.NewCompilationCache()

// Engine is a wazero runtime.
type Engine struct {
	rt  wazero.Runtime
	cfg engine.Config

	mu       sync.Mutex
	hostMods map[string]*hostModule // by signature key
	nextHost int

	// instances maps a guest module instance to its *instance, for host
	// functions (wazero passes them the calling api.Module).
	instances sync.Map
}

// New creates a wazero engine.
func New(ctx context.Context, cfg engine.Config) (*Engine, error) {
	// Guests stop through the instrumented interrupt global, so the costly
	// WithCloseOnContextDone stays off.
	cache := processCache
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("engine/wazero: compilation cache: %w", err)
		}
		cache = c
	}
	rc := wazero.NewRuntimeConfig().WithCloseOnContextDone(false).WithCompilationCache(cache)
	return &Engine{rt: wazero.NewRuntimeWithConfig(ctx, rc), cfg: cfg, hostMods: map[string]*hostModule{}}, nil
}

// Name returns "wazero".
func (e *Engine) Name() string { return Name }

// Close closes the runtime and everything compiled or instantiated in it.
func (e *Engine) Close(ctx context.Context) error { return e.rt.Close(ctx) }

// hostModule is a wazero host module whose functions dispatch to the calling
// instance's host functions.
type hostModule struct {
	mod api.Module
	n   int // number of functions
}

// module is a compiled module.
type module struct {
	e        *Engine
	wasm     []byte // as given, for the fuel variant
	info     *engine.ModuleInfo
	compiled wazero.CompiledModule
	globals  map[string]bool // exported global names (of the original module)
	memName  string          // first exported memory, "" if none

	linkMu sync.Mutex
	linked bool
	// hosts[name] is the host module linked as import module name.
	hosts map[string]*hostModule
	// slots[i] is, for the function import i, its host module and index
	// in it (several imports of one name share a slot).
	slots []slot

	fuelOnce sync.Once
	fuel     wazero.CompiledModule
	fuelErr  error
}

type slot struct {
	host *hostModule
	idx  int
}

// MaxCallDepth bounds a guest's call stack, in the frame weights of
// instrument.Options.MaxCallDepth (about 64 bytes each). wazero grows a
// call's stack by doubling, up to a fixed ceiling of 50 MB past which it
// traps: an unbounded recursion then holds the last two stacks, about 126
// MB of the host's memory outside the guest's memory limit, until the
// trapped instance is collected. With this bound such a recursion traps
// at a stack of a few megabytes; wasmtime's own bound (512 KiB of native
// stack) is tighter still.
const MaxCallDepth = 1 << 16

func (e *Engine) instrumentOptions(fuel bool) instrument.Options {
	on := !e.cfg.NoInterrupt
	opts := instrument.Options{Interrupt: on, Yield: on, Preempt: on, Fuel: fuel}
	if on {
		opts.MaxCallDepth = MaxCallDepth
	}
	return opts
}

// compileLocks serialize compiling identical code. wazero v1.12 compiles
// twice a module that two goroutines compile at once, and the second then
// resets the function-listener trampolines of the compiled module the first
// stored, which instances of it may be running: they jump to a nil
// trampoline (a fault in guest code that kills the process). Identical code
// comes from classes that differ only in what Sanitize drops (custom
// sections), or from two hosts of a process. Process-wide, as wazero's
// compilation cache.
var compileLocks [64]sync.Mutex

// compileModule compiles code under the lock of its hash.
func compileModule(ctx context.Context, rt wazero.Runtime, code []byte) (wazero.CompiledModule, error) {
	sum := sha256.Sum256(code)
	mu := &compileLocks[sum[0]%byte(len(compileLocks))]
	mu.Lock()
	defer mu.Unlock()
	return rt.CompileModule(ctx, code)
}

// preemptListeners is the function listener factory of a module rewritten
// with instrument.Options.Preempt: a listener on its $preempt function alone
// (the guest's own functions get none, so they compile as without
// listeners). wazero calls it, in Go, when the interrupt global is set.
type preemptListeners struct{ idx int64 }

func (f preemptListeners) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if int64(def.Index()) != f.idx {
		return nil
	}
	return preemptHook{}
}

// compileCtx returns ctx with the listener factory of a rewrite.
func compileCtx(ctx context.Context, res *instrument.Result) context.Context {
	if res == nil || res.PreemptFunc < 0 {
		return ctx
	}
	return experimental.WithFunctionListenerFactory(ctx, preemptListeners{res.PreemptFunc})
}

// yielders maps a guest module instance to its *instance when it has an
// OnYield. It is process-wide, not per Engine: wazero shares compiled code,
// listeners included, between the runtimes of a process.
var yielders sync.Map

// preemptHook is the listener on $preempt. It runs when the interrupt global
// is set: for an Interrupt it leaves it set (the guest then traps in
// $preempt); for a Yield it calls OnYield and clears it (the guest goes on).
type preemptHook struct{}

func (preemptHook) Before(_ context.Context, mod api.Module, _ api.FunctionDefinition, _ []uint64, _ experimental.StackIterator) {
	v, ok := yielders.Load(mod)
	if !ok {
		return
	}
	v.(*instance).yieldNow()
}

func (preemptHook) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (preemptHook) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

// Compile instruments and compiles a module.
func (e *Engine) Compile(ctx context.Context, wasm []byte) (engine.Module, error) {
	code := wasm
	cctx := ctx
	if opts := e.instrumentOptions(false); opts != (instrument.Options{}) {
		res, err := instrument.Rewrite(wasm, opts)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", engine.ErrCompile, err)
		}
		code, cctx = res.Wasm, compileCtx(ctx, res)
	}
	compiled, err := compileModule(cctx, e.rt, code)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", engine.ErrCompile, err)
	}
	info, err := engine.ParseModule(wasm)
	if err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	m := &module{e: e, wasm: wasm, info: info, compiled: compiled, globals: map[string]bool{}, hosts: map[string]*hostModule{}}
	for _, x := range info.Exports {
		switch {
		case x.Kind == engine.KindGlobal:
			m.globals[x.Name] = true
		case x.Kind == engine.KindMemory && m.memName == "":
			m.memName = x.Name
		}
	}
	return m, nil
}

// link makes the host modules on the first instantiation whose imports
// resolved: only signatures the host accepted get a host module, which the
// engine keeps for its life.
func (m *module) link(ctx context.Context) error {
	m.linkMu.Lock()
	defer m.linkMu.Unlock()
	if m.linked {
		return nil
	}
	if err := m.linkHosts(ctx); err != nil {
		return err
	}
	m.linked = true
	return nil
}

// linkHosts finds or makes the host modules of the module's function imports.
func (m *module) linkHosts(ctx context.Context) error {
	type entry struct {
		name string
		typ  engine.FuncType
	}
	byModule := map[string][]entry{}
	index := map[[2]string]int{}
	var order []string
	m.slots = make([]slot, 0, len(m.info.Imports))
	pos := make([]struct {
		mod string
		idx int
	}, 0, len(m.info.Imports))
	for _, imp := range m.info.Imports {
		if imp.Kind != engine.KindFunc {
			// ResolveImports rejects it at instantiation.
			continue
		}
		k := [2]string{imp.Module, imp.Name}
		i, ok := index[k]
		if !ok {
			if _, seen := byModule[imp.Module]; !seen {
				order = append(order, imp.Module)
			}
			i = len(byModule[imp.Module])
			byModule[imp.Module] = append(byModule[imp.Module], entry{imp.Name, imp.Func})
			index[k] = i
		}
		pos = append(pos, struct {
			mod string
			idx int
		}{imp.Module, i})
	}
	for _, name := range order {
		entries := byModule[name]
		var key strings.Builder
		key.WriteString(name)
		for _, en := range entries {
			key.WriteString("\x00" + en.name + ":" + en.typ.String())
		}
		h, err := m.e.hostModule(ctx, key.String(), func(b wazero.HostModuleBuilder, h *hostModule) {
			h.n = len(entries)
			for i, en := range entries {
				b.NewFunctionBuilder().
					WithGoModuleFunction(m.e.dispatcher(h, i), toAPITypes(en.typ.Params), toAPITypes(en.typ.Results)).
					Export(en.name)
			}
		})
		if err != nil {
			return err
		}
		m.hosts[name] = h
	}
	for _, p := range pos {
		m.slots = append(m.slots, slot{host: m.hosts[p.mod], idx: p.idx})
	}
	return nil
}

// hostModule returns the host module for key, building it with define on
// first use.
func (e *Engine) hostModule(ctx context.Context, key string, define func(wazero.HostModuleBuilder, *hostModule)) (*hostModule, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if h, ok := e.hostMods[key]; ok {
		return h, nil
	}
	e.nextHost++
	h := &hostModule{}
	b := e.rt.NewHostModuleBuilder(fmt.Sprintf("wactor-engine-host-%d", e.nextHost))
	define(b, h)
	mod, err := b.Instantiate(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: host functions: %w", engine.ErrLink, err)
	}
	if h.mod, err = unwrapHostModule(mod); err != nil {
		return nil, fmt.Errorf("%w: %w", engine.ErrLink, err)
	}
	e.hostMods[key] = h
	return h, nil
}

// errHostModule means this wazero version wraps host modules differently.
var errHostModule = errors.New("engine/wazero: cannot unwrap a host module for the import resolver")

// unwrapHostModule returns the module instance inside the wrapper wazero
// returns for a host module: experimental.ImportResolver requires the
// unwrapped instance (wazero v1.12 type-asserts it to *wasm.ModuleInstance),
// but HostModuleBuilder.Instantiate and Runtime.Module return a wrapper
// struct whose only field embeds it.
func unwrapHostModule(mod api.Module) (api.Module, error) {
	v := reflect.ValueOf(mod)
	if v.Kind() == reflect.Pointer {
		return mod, nil // already the instance
	}
	if v.Kind() != reflect.Struct || v.NumField() != 1 || !v.Field(0).CanInterface() {
		return nil, errHostModule
	}
	inner, ok := v.Field(0).Interface().(api.Module)
	if !ok || inner == nil || reflect.ValueOf(inner).Kind() != reflect.Pointer {
		return nil, errHostModule
	}
	return inner, nil
}

// errNoInstance is a host function called by a guest the engine does not
// know (during instantiation, by a start function).
var errNoInstance = errors.New("engine/wazero: host function called outside an instance's call (start function?)")

// dispatcher returns the Go function of host module h's function i: it runs
// the calling instance's host function.
func (e *Engine) dispatcher(h *hostModule, i int) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		v, ok := e.instances.Load(mod)
		if !ok {
			panic(errNoInstance)
		}
		inst := v.(*instance)
		f := inst.host[h][i]
		defer func() {
			if r := recover(); r != nil {
				inst.hostErr = engine.PanicError(r)
				panic(inst.hostErr)
			}
		}()
		f(ctx, inst.caller, stack)
	}
}

func toAPITypes(ts []engine.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

// Imports lists the module's imports.
func (m *module) Imports() []engine.Import { return m.info.Imports }

// Exports lists the module's exports (without the instrumentation's).
func (m *module) Exports() []engine.Export { return m.info.Exports }

// Close releases the compiled code.
func (m *module) Close(ctx context.Context) error {
	err := m.compiled.Close(ctx)
	m.fuelOnce.Do(func() {}) // no variant may be compiled after this
	if m.fuel != nil {
		err = errors.Join(err, m.fuel.Close(ctx))
	}
	return err
}

// fuelVariant compiles the module with fuel metering on first use.
func (m *module) fuelVariant(ctx context.Context) (wazero.CompiledModule, error) {
	m.fuelOnce.Do(func() {
		res, err := instrument.Rewrite(m.wasm, m.e.instrumentOptions(true))
		if err != nil {
			m.fuelErr = fmt.Errorf("%w: %w", engine.ErrCompile, err)
			return
		}
		if m.fuel, err = compileModule(compileCtx(ctx, res), m.e.rt, res.Wasm); err != nil {
			m.fuelErr = fmt.Errorf("%w: %w", engine.ErrCompile, err)
		}
	})
	if m.fuel == nil && m.fuelErr == nil {
		return nil, fmt.Errorf("%w: module closed", engine.ErrClosed)
	}
	return m.fuel, m.fuelErr
}

// limitedMemory backs a linear memory and refuses growth past a limit, which
// the guest sees as memory.grow returning -1.
type limitedMemory struct {
	buf   []byte
	limit uint64
}

func (l *limitedMemory) Reallocate(size uint64) []byte {
	if size > l.limit {
		return nil
	}
	if size <= uint64(cap(l.buf)) {
		l.buf = l.buf[:size]
		return l.buf
	}
	newCap := max(2*uint64(cap(l.buf)), size)
	newCap = min(newCap, l.limit)
	nb := make([]byte, size, newCap)
	copy(nb, l.buf)
	l.buf = nb
	return nb
}

// Free is a no-op: the garbage collector reclaims the buffer, which keeps a
// concurrent Interrupt safe.
func (l *limitedMemory) Free() {}

// modConfig runs no start function. Its WASI settings are unused (WASI
// comes from package engine), but a random source must be set: wazero's
// default seeds a math/rand source per instance, a third of the cost of
// instantiating a small module.
var modConfig = wazero.NewModuleConfig().WithName("").WithStartFunctions().WithRandSource(zeroReader{})

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Instantiate creates an instance.
func (m *module) Instantiate(ctx context.Context, cfg engine.InstanceConfig) (engine.Instance, error) {
	funcs, err := engine.ResolveImports(m.info.Imports, &cfg)
	if err != nil {
		return nil, err
	}
	if err := m.info.CheckMemoryLimit(&cfg); err != nil {
		return nil, err
	}
	if err := m.link(ctx); err != nil {
		return nil, err
	}
	compiled := m.compiled
	if cfg.Fuel > 0 {
		if m.e.cfg.NoFuel {
			return nil, fmt.Errorf("%w: the engine was created with NoFuel", engine.ErrNoFuel)
		}
		if compiled, err = m.fuelVariant(ctx); err != nil {
			return nil, err
		}
	}
	inst := &instance{m: m, data: cfg.Data, host: make(map[*hostModule][]func(context.Context, engine.Caller, []uint64), len(m.hosts)), funcs: map[string]*function{}}
	inst.caller = caller{inst}
	for _, h := range m.hosts {
		inst.host[h] = make([]func(context.Context, engine.Caller, []uint64), h.n)
	}
	for i, s := range m.slots {
		inst.host[s.host][s.idx] = funcs[i].Func
	}

	limit := cfg.MemoryLimitBytes()
	ictx := experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(func(capacity, max uint64) experimental.LinearMemory {
		l := min(limit, max)
		if cfg.MemoryAllocator != nil {
			return cfg.MemoryAllocator(min(capacity, l), l)
		}
		return &limitedMemory{buf: make([]byte, 0, min(capacity, l)), limit: l}
	}))
	ictx = experimental.WithImportResolver(ictx, func(name string) api.Module {
		if h, ok := m.hosts[name]; ok {
			return h.mod
		}
		return nil
	})
	mod, err := instantiateModule(ictx, m.e.rt, compiled)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", engine.ErrInstantiate, err)
	}
	inst.mod = mod
	if m.memName != "" {
		if mem := mod.ExportedMemory(m.memName); mem != nil {
			inst.mem = &memory{mem}
		}
	}
	if !m.e.cfg.NoInterrupt {
		g, ok := mod.ExportedGlobal(instrument.InterruptExport).(api.MutableGlobal)
		if !ok {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("%w: interrupt global missing", engine.ErrInstantiate)
		}
		inst.interruptG = g
		if inst.depthG, ok = mod.ExportedGlobal(instrument.DepthExport).(api.MutableGlobal); !ok {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("%w: call depth global missing", engine.ErrInstantiate)
		}
	}
	if cfg.Fuel > 0 {
		g, ok := mod.ExportedGlobal(instrument.FuelExport).(api.MutableGlobal)
		if !ok {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("%w: fuel global missing", engine.ErrInstantiate)
		}
		inst.fuelG = g
		_ = inst.SetFuel(cfg.Fuel)
	}
	m.e.instances.Store(mod, inst)
	if inst.interruptG != nil && cfg.OnYield != nil {
		inst.onYield = cfg.OnYield
		yielders.Store(mod, inst)
	}
	return inst, nil
}

// instantiateModule instantiates, turning a panic in wazero into an error.
func instantiateModule(ctx context.Context, rt wazero.Runtime, compiled wazero.CompiledModule) (mod api.Module, err error) {
	defer func() {
		if r := recover(); r != nil {
			mod, err = nil, fmt.Errorf("wazero panicked: %v", r)
		}
	}()
	return rt.InstantiateModule(ctx, compiled, modConfig)
}

// instance is an instantiated module.
type instance struct {
	m      *module
	mod    api.Module
	mem    *memory // nil without an exported memory
	data   any
	caller caller
	host   map[*hostModule][]func(context.Context, engine.Caller, []uint64)
	funcs  map[string]*function

	interruptG api.MutableGlobal // nil with Config.NoInterrupt
	depthG     api.MutableGlobal // the call depth counter; nil with Config.NoInterrupt
	fuelG      api.MutableGlobal // nil without fuel metering
	fuelUsed   uint64
	hostErr    error // set by a failing host function during a call

	mu          sync.Mutex // guards the interrupt global and closed against Interrupt
	interrupted bool       // Interrupt set the global
	yieldReq    bool       // Yield set the global
	onYield     func()     // InstanceConfig.OnYield; nil without one
	closed      atomic.Bool
}

type function struct {
	fn    api.Function
	stack int // length the stack must have
}

func (i *instance) function(name string) (*function, error) {
	if f, ok := i.funcs[name]; ok {
		return f, nil
	}
	fn := i.mod.ExportedFunction(name)
	if fn == nil || i.isInstrumentation(name) {
		return nil, fmt.Errorf("%w: %q", engine.ErrNoFunc, name)
	}
	d := fn.Definition()
	f := &function{fn: fn, stack: max(len(d.ParamTypes()), len(d.ResultTypes()))}
	i.funcs[name] = f
	return f, nil
}

// isInstrumentation reports whether name is an export the rewrite added.
func (i *instance) isInstrumentation(name string) bool {
	for _, x := range i.m.info.Exports {
		if x.Name == name {
			return false
		}
	}
	return true
}

// Call calls an exported function.
func (i *instance) Call(ctx context.Context, name string, stack []uint64) error {
	if i.closed.Load() {
		return fmt.Errorf("%w: instance", engine.ErrClosed)
	}
	f, err := i.function(name)
	if err != nil {
		return err
	}
	if len(stack) < f.stack {
		return fmt.Errorf("%w: %s needs %d values, got %d", engine.ErrStack, name, f.stack, len(stack))
	}
	var before int64
	if i.fuelG != nil {
		before = max(0, int64(i.fuelG.Get()))
	}
	i.hostErr = nil
	err = f.fn.CallWithStack(ctx, stack)
	outOfFuel := false
	if i.fuelG != nil {
		left := int64(i.fuelG.Get())
		outOfFuel = left < 0
		i.fuelUsed = uint64(before - max(0, left))
	}
	if err == nil {
		return nil
	}
	tooDeep := false
	if i.depthG != nil {
		// The frames the trap unwound did not lower the counter.
		tooDeep = uint32(i.depthG.Get()) > MaxCallDepth
		i.depthG.Set(0)
	}
	hostErr := i.hostErr
	i.hostErr = nil
	switch {
	case i.takeInterrupt():
		return &engine.TrapError{Kind: engine.TrapInterrupted, Func: name, Message: "call interrupted", Cause: hostErr}
	case hostErr != nil:
		return engine.HostTrap(name, hostErr)
	case outOfFuel:
		return &engine.TrapError{Kind: engine.TrapOutOfFuel, Func: name, Message: fmt.Sprintf("call used up its fuel (%d)", before)}
	case tooDeep:
		return &engine.TrapError{Kind: engine.TrapGuest, Func: name, Message: "stack overflow: the call stack exceeded its bound", Cause: err}
	}
	return &engine.TrapError{Kind: engine.TrapGuest, Func: name, Message: engine.FirstLine(err.Error()), Cause: err}
}

// Memory returns the exported memory, or nil.
func (i *instance) Memory() engine.Memory {
	if i.mem == nil {
		return nil
	}
	return i.mem
}

// Global returns an exported global of the module.
func (i *instance) Global(name string) (engine.Global, bool) {
	if !i.m.globals[name] {
		return nil, false
	}
	g := i.mod.ExportedGlobal(name)
	if g == nil {
		return nil, false
	}
	return global{g}, true
}

// SetFuel sets the fuel left.
func (i *instance) SetFuel(fuel uint64) error {
	if i.fuelG == nil {
		return fmt.Errorf("%w: instance created without fuel", engine.ErrNoFuel)
	}
	// The instrumented counter is a signed i64 that must not wrap.
	i.fuelG.Set(min(fuel, math.MaxInt64))
	return nil
}

// Fuel returns the fuel left.
func (i *instance) Fuel() uint64 {
	if i.fuelG == nil {
		return 0
	}
	return uint64(max(0, int64(i.fuelG.Get())))
}

// FuelUsed returns the fuel the latest call used.
func (i *instance) FuelUsed() uint64 { return i.fuelUsed }

// Interrupt stops the running call, or the next one.
func (i *instance) Interrupt() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed.Load() || i.interruptG == nil {
		return
	}
	i.interrupted = true
	i.interruptG.Set(1)
}

// Yield makes the running call, or the next one, call OnYield.
func (i *instance) Yield() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed.Load() || i.interruptG == nil || i.onYield == nil {
		return
	}
	i.yieldReq = true
	i.interruptG.Set(1)
}

// yieldNow runs in the guest's $preempt (the interrupt global is set): it
// calls OnYield if Yield asked for it, then clears the global unless
// Interrupt set it, so that $preempt returns instead of trapping. A Yield
// made while OnYield runs is dropped with the one it answers.
func (i *instance) yieldNow() {
	i.mu.Lock()
	req := i.yieldReq
	i.yieldReq = false
	i.mu.Unlock()
	if req {
		i.onYield()
	}
	i.mu.Lock()
	i.yieldReq = false
	if !i.interrupted {
		i.interruptG.Set(0)
	}
	i.mu.Unlock()
}

// takeInterrupt reports whether an interrupt was requested, and clears it.
// The global is only written by Go under mu (the guest reads it), so the
// race detector sees no race.
func (i *instance) takeInterrupt() bool {
	if i.interruptG == nil {
		return false
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if !i.interrupted {
		return false
	}
	i.interrupted = false
	i.interruptG.Set(0)
	return true
}

// Close closes the instance.
func (i *instance) Close(ctx context.Context) error {
	i.mu.Lock()
	if i.closed.Swap(true) {
		i.mu.Unlock()
		return nil
	}
	i.mu.Unlock()
	i.m.e.instances.Delete(i.mod)
	yielders.Delete(i.mod)
	return i.mod.Close(ctx)
}

// caller is the engine.Caller of an instance.
type caller struct{ i *instance }

func (c caller) Memory() engine.Memory { return c.i.Memory() }
func (c caller) Data() any             { return c.i.data }

// memory wraps an api.Memory.
type memory struct{ m api.Memory }

func (m *memory) Size() uint64 {
	if s := m.m.Size(); s != 0 {
		return uint64(s)
	}
	// Size is a uint32: 4 GiB reads as 0.
	pages, _ := m.m.Grow(0)
	return uint64(pages) * engine.PageSize
}

func (m *memory) Read(offset, n uint32) ([]byte, bool) { return m.m.Read(offset, n) }
func (m *memory) Write(offset uint32, b []byte) bool   { return m.m.Write(offset, b) }
func (m *memory) Grow(delta uint32) (uint32, bool)     { return m.m.Grow(delta) }

// global wraps an api.Global.
type global struct{ g api.Global }

func (g global) Type() engine.GlobalType {
	_, mutable := g.g.(api.MutableGlobal)
	return engine.GlobalType{Type: engine.ValueType(g.g.Type()), Mutable: mutable}
}

func (g global) Get() uint64 { return g.g.Get() }

func (g global) Set(v uint64) error {
	mg, ok := g.g.(api.MutableGlobal)
	if !ok {
		return engine.ErrImmutable
	}
	mg.Set(v)
	return nil
}
