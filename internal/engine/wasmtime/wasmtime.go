//go:build wasmtime

package wasmtime

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"runtime/cgo"
	"strings"
	"sync"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v37"

	"github.com/wactor/wactor/internal/engine"
)

// Name is the name the engine registers under.
const Name = "wasmtime"

func init() {
	engine.Register(Name, func(ctx context.Context, cfg engine.Config) (engine.Engine, error) { return New(ctx, cfg) })
}

// Engine is a wasmtime engine.
type Engine struct {
	eng    *wasmtime.Engine
	cfg    engine.Config
	shared *shared
}

// shared is a wasmtime engine shared by the Engines of one process with the
// same settings, with the modules it compiled: as wazero's compilation
// cache, a module loaded by a second Engine (a second host) is not compiled
// again. Compiled code is dropped when the last module handle compiled
// from it is closed (an unloaded class frees its code; instances still
// running keep it alive inside wasmtime).
type shared struct {
	eng  *wasmtime.Engine
	mu   sync.Mutex
	mods map[[sha256.Size]byte]*sharedModule
}

// sharedModule is a compiled module and the number of open handles to it.
type sharedModule struct {
	mod  *wasmtime.Module
	refs int
}

var (
	sharedMu sync.Mutex
	engines  = map[[2]bool]*shared{}
)

func sharedEngine(cfg engine.Config) *shared {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	key := [2]bool{cfg.NoFuel, cfg.NoInterrupt}
	if s, ok := engines[key]; ok {
		return s
	}
	c := wasmtime.NewConfig()
	c.SetConsumeFuel(!cfg.NoFuel)
	c.SetEpochInterruption(!cfg.NoInterrupt)
	s := &shared{eng: wasmtime.NewEngineWithConfig(c), mods: map[[sha256.Size]byte]*sharedModule{}}
	engines[key] = s
	return s
}

// compile returns the module compiled from wasm, compiling it once, and
// takes a reference to it, which release gives back.
func (s *shared) compile(wasm []byte) (*wasmtime.Module, [sha256.Size]byte, error) {
	sum := sha256.Sum256(wasm)
	s.mu.Lock()
	if m, ok := s.mods[sum]; ok {
		m.refs++
		s.mu.Unlock()
		return m.mod, sum, nil
	}
	s.mu.Unlock()
	mod, err := wasmtime.NewModule(s.eng, wasm)
	if err != nil {
		return nil, sum, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.mods[sum]; ok {
		m.refs++
		return m.mod, sum, nil // compiled concurrently
	}
	s.mods[sum] = &sharedModule{mod: mod, refs: 1}
	return mod, sum, nil
}

// release gives back a reference that compile took; the last one drops the
// compiled module (wasmtime-go frees it when it is collected).
func (s *shared) release(sum [sha256.Size]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.mods[sum]; ok {
		if m.refs--; m.refs <= 0 {
			delete(s.mods, sum)
		}
	}
}

// New creates a wasmtime engine with fuel consumption and epoch interruption
// enabled (unless cfg turns them off). Engines with the same settings share
// one wasmtime engine and its compiled modules. cfg.CacheDir is ignored.
func New(_ context.Context, cfg engine.Config) (*Engine, error) {
	sh := sharedEngine(cfg)
	e := &Engine{eng: sh.eng, cfg: cfg, shared: sh}
	if !cfg.NoInterrupt {
		// Fail now, not at the first instance, if the epoch callback cannot
		// be installed with this wasmtime-go.
		s := wasmtime.NewStore(e.eng)
		_, err := storePtr(s)
		s.Close()
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Name returns "wasmtime".
func (e *Engine) Name() string { return Name }

// Close releases the engine. The shared wasmtime engine and its compiled
// code stay, for the process's other and later Engines.
func (e *Engine) Close(context.Context) error { return nil }

// module is a compiled module.
type module struct {
	e       *Engine
	mod     *wasmtime.Module
	sum     [sha256.Size]byte // of the code, for shared.release
	info    *engine.ModuleInfo
	types   []*wasmtime.FuncType // of every import (nil for non-functions)
	globals map[string]engine.GlobalType
	memName string

	mu     sync.Mutex
	closed bool
}

// Compile compiles a module with Cranelift.
func (e *Engine) Compile(_ context.Context, wasm []byte) (engine.Module, error) {
	info, err := engine.ParseModule(wasm)
	if err != nil {
		return nil, err
	}
	mod, sum, err := e.shared.compile(wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", engine.ErrCompile, err)
	}
	m := &module{e: e, mod: mod, sum: sum, info: info, types: make([]*wasmtime.FuncType, len(info.Imports)), globals: map[string]engine.GlobalType{}}
	for i, imp := range info.Imports {
		if imp.Kind != engine.KindFunc {
			continue
		}
		for _, t := range append(imp.Func.Params[:len(imp.Func.Params):len(imp.Func.Params)], imp.Func.Results...) {
			if t == engine.V128 {
				e.shared.release(sum)
				return nil, fmt.Errorf("%w: import %s.%s: wasmtime-go cannot define host functions with v128 values", engine.ErrCompile, imp.Module, imp.Name)
			}
		}
		m.types[i] = wasmtime.NewFuncType(valTypes(imp.Func.Params), valTypes(imp.Func.Results))
	}
	for _, x := range info.Exports {
		switch {
		case x.Kind == engine.KindGlobal:
			m.globals[x.Name] = x.Global
		case x.Kind == engine.KindMemory && m.memName == "":
			m.memName = x.Name
		}
	}
	return m, nil
}

func valTypes(ts []engine.ValueType) []*wasmtime.ValType {
	out := make([]*wasmtime.ValType, len(ts))
	for i, t := range ts {
		out[i] = wasmtime.NewValType(valKind(t))
	}
	return out
}

func valKind(t engine.ValueType) wasmtime.ValKind {
	switch t {
	case engine.I32:
		return wasmtime.KindI32
	case engine.I64:
		return wasmtime.KindI64
	case engine.F32:
		return wasmtime.KindF32
	case engine.F64:
		return wasmtime.KindF64
	case engine.FuncRef:
		return wasmtime.KindFuncref
	}
	return wasmtime.KindExternref
}

// Imports lists the module's imports.
func (m *module) Imports() []engine.Import { return m.info.Imports }

// Exports lists the module's exports.
func (m *module) Exports() []engine.Export { return m.info.Exports }

// Close releases the compiled code.
func (m *module) Close(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	// The compiled code is shared (see shared): this handle's reference goes.
	if !m.closed {
		m.closed = true
		m.e.shared.release(m.sum)
	}
	return nil
}

// Instantiate creates a store and an instance in it.
func (m *module) Instantiate(ctx context.Context, cfg engine.InstanceConfig) (engine.Instance, error) {
	funcs, err := engine.ResolveImports(m.info.Imports, &cfg)
	if err != nil {
		return nil, err
	}
	if err := m.info.CheckMemoryLimit(&cfg); err != nil {
		return nil, err
	}
	if cfg.Fuel > 0 && m.e.cfg.NoFuel {
		return nil, fmt.Errorf("%w: the engine was created with NoFuel", engine.ErrNoFuel)
	}
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("%w: module", engine.ErrClosed)
	}

	store := wasmtime.NewStore(m.e.eng)
	limit := cfg.MemoryLimitBytes()
	store.Limiter(int64(limit), -1, -1, -1, -1)
	inst := &instance{m: m, store: store, cx: contextPtr(store), data: cfg.Data, funcs: map[string]*function{}, ctx: ctx, limit: limit}
	inst.caller.inst = inst
	fail := func(err error) (engine.Instance, error) {
		inst.release()
		return nil, err
	}
	if !m.e.cfg.NoFuel {
		// Metering is on for the whole engine: an instance without a fuel
		// limit gets as much as a store holds.
		inst.metered = cfg.Fuel > 0
		fuel := cfg.Fuel
		if !inst.metered {
			fuel = math.MaxUint64
		}
		if err := inst.setFuel(fuel); err != nil {
			return fail(fmt.Errorf("%w: %w", engine.ErrInstantiate, err))
		}
	}
	if !m.e.cfg.NoInterrupt {
		inst.flag = newInterruptFlag()
		if cfg.OnYield != nil {
			inst.onYield = cfg.OnYield
			inst.handle = cgo.NewHandle(inst)
			inst.flag.setHandle(uintptr(inst.handle))
		}
		if err := installEpochCallback(store, inst.flag); err != nil {
			return fail(fmt.Errorf("%w: %w", engine.ErrInstantiate, err))
		}
		store.SetEpochDeadline(1)
	}

	externs := make([]wasmtime.AsExtern, 0, len(funcs))
	fi := 0
	for i, imp := range m.info.Imports {
		if imp.Kind != engine.KindFunc {
			continue // ResolveImports rejected the module
		}
		h := funcs[fi]
		fi++
		externs = append(externs, wasmtime.NewFunc(store, m.types[i], inst.hostFunc(h, imp.Func)))
	}
	wi, err := wasmtime.NewInstance(store, m.mod, externs)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", engine.ErrInstantiate, err))
	}
	inst.wi = wi
	if m.memName != "" {
		if x := wi.GetExport(store, m.memName); x != nil && x.Memory() != nil {
			inst.mem = &memory{mem: x.Memory(), st: store}
			inst.caller.mem = memory{mem: x.Memory()}
		}
	}
	inst.ctx = nil
	return inst, nil
}

// instance is an instance alone in its store.
type instance struct {
	m      *module
	store  *wasmtime.Store
	cx     unsafe.Pointer // the store's wasmtime_context_t
	wi     *wasmtime.Instance
	mem    *memory
	data   any
	caller caller
	funcs  map[string]*function
	flag   interruptFlag // zero with Config.NoInterrupt
	// onYield is InstanceConfig.OnYield, which the epoch callback reaches
	// through handle (0 without OnYield).
	onYield func()
	handle  cgo.Handle

	limit uint64 // InstanceConfig.MemoryLimitPages, in bytes

	metered  bool   // fuel limit set by the user
	fuelLeft uint64 // after the latest call or SetFuel
	fuelUsed uint64

	ctx     context.Context // of the running call, for host functions
	hostErr error           // set by a failing host function during a call
	scratch []uint64        // host functions' stack

	mu     sync.Mutex // guards closed and flag against Interrupt
	closed bool
}

// SetMemoryLimit implements engine.MemoryLimiter with the store's limiter.
func (i *instance) SetMemoryLimit(bytes uint64) {
	i.store.Limiter(int64(min(bytes, i.limit)), -1, -1, -1, -1)
}

// release frees the store and the flag.
func (i *instance) release() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed {
		return
	}
	i.closed = true
	i.store.Close()
	if i.flag.p != nil {
		i.flag.free()
		i.flag.p = nil
	}
	if i.handle != 0 {
		i.handle.Delete()
		i.handle = 0
	}
}

// hostFunc adapts a HostFunc to wasmtime-go's calling convention.
func (i *instance) hostFunc(h engine.HostFunc, typ engine.FuncType) func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
	n := max(len(typ.Params), len(typ.Results))
	results := typ.Results
	return func(c *wasmtime.Caller, args []wasmtime.Val) (res []wasmtime.Val, trap *wasmtime.Trap) {
		if cap(i.scratch) < n {
			i.scratch = make([]uint64, n)
		}
		stack := i.scratch[:n]
		for k, a := range args {
			stack[k] = fromVal(a)
		}
		i.caller.mem.st = c
		i.caller.mem.invalidate()
		defer func() {
			i.caller.mem.st = nil
			i.caller.mem.invalidate()
			if r := recover(); r != nil {
				i.hostErr = engine.PanicError(r)
				res, trap = nil, wasmtime.NewTrap(engine.FirstLine(i.hostErr.Error()))
			}
		}()
		ctx := i.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		h.Func(ctx, &i.caller, stack)
		if len(results) == 0 {
			return nil, nil
		}
		out := make([]wasmtime.Val, len(results))
		for k, t := range results {
			out[k] = toVal(t, stack[k])
		}
		return out, nil
	}
}

func fromVal(v wasmtime.Val) uint64 {
	switch v.Kind() {
	case wasmtime.KindI32:
		return uint64(uint32(v.I32()))
	case wasmtime.KindI64:
		return uint64(v.I64())
	case wasmtime.KindF32:
		return uint64(math.Float32bits(v.F32()))
	case wasmtime.KindF64:
		return math.Float64bits(v.F64())
	}
	return 0
}

func toVal(t engine.ValueType, v uint64) wasmtime.Val {
	switch t {
	case engine.I32:
		return wasmtime.ValI32(int32(uint32(v)))
	case engine.I64:
		return wasmtime.ValI64(int64(v))
	case engine.F32:
		return wasmtime.ValF32(math.Float32frombits(uint32(v)))
	case engine.F64:
		return wasmtime.ValF64(math.Float64frombits(v))
	}
	// Reference types cannot cross the raw-bits stack.
	return wasmtime.ValI64(int64(v))
}

// function is a cached exported function.
type function struct {
	f       *wasmtime.Func
	results []engine.ValueType
	n       int // stack length: the larger of the parameter and result counts
}

func (i *instance) function(name string) (*function, error) {
	if f, ok := i.funcs[name]; ok {
		return f, nil
	}
	var typ engine.FuncType
	found := false
	for _, x := range i.m.info.Exports {
		if x.Name == name && x.Kind == engine.KindFunc {
			typ, found = x.Func, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: %q", engine.ErrNoFunc, name)
	}
	for _, t := range append(typ.Params[:len(typ.Params):len(typ.Params)], typ.Results...) {
		switch t {
		case engine.I32, engine.I64, engine.F32, engine.F64:
		default:
			return nil, fmt.Errorf("%w: %q has a %s parameter or result, which Call cannot pass", engine.ErrNoFunc, name, t)
		}
	}
	n := max(len(typ.Params), len(typ.Results))
	if n > maxStack {
		return nil, fmt.Errorf("%w: %q takes or returns more than %d values", engine.ErrNoFunc, name, maxStack)
	}
	wf := i.wi.GetFunc(i.store, name)
	if wf == nil {
		return nil, fmt.Errorf("%w: %q", engine.ErrNoFunc, name)
	}
	// The call is unchecked: make sure wasmtime agrees with the parsed type.
	wt := wf.Type(i.store)
	if !sameKinds(wt.Params(), typ.Params) || !sameKinds(wt.Results(), typ.Results) {
		return nil, fmt.Errorf("%w: %q: wasmtime's type differs from the module's %s", engine.ErrNoFunc, name, typ)
	}
	f := &function{f: wf, results: typ.Results, n: n}
	i.funcs[name] = f
	return f, nil
}

func sameKinds(vs []*wasmtime.ValType, ts []engine.ValueType) bool {
	if len(vs) != len(ts) {
		return false
	}
	for k, v := range vs {
		if v.Kind() != valKind(ts[k]) {
			return false
		}
	}
	return true
}

// Call calls an exported function.
func (i *instance) Call(ctx context.Context, name string, stack []uint64) error {
	if i.isClosed() {
		return fmt.Errorf("%w: instance", engine.ErrClosed)
	}
	f, err := i.function(name)
	if err != nil {
		return err
	}
	if len(stack) < f.n {
		return fmt.Errorf("%w: %s needs %d values, got %d", engine.ErrStack, name, f.n, len(stack))
	}
	i.ctx, i.hostErr = ctx, nil
	failed, code, msg := rawCall(i.cx, f.f, stack[:f.n])
	i.ctx = nil
	if i.mem != nil {
		i.mem.invalidate()
	}
	before := i.fuelLeft
	if i.metered {
		left, ferr := i.store.GetFuel()
		if ferr == nil {
			i.fuelLeft = left
			i.fuelUsed = before - left
		}
	}
	if !failed {
		for k, t := range f.results {
			if t == engine.I32 || t == engine.F32 {
				stack[k] &= math.MaxUint32
			}
		}
		return nil
	}
	hostErr := i.hostErr
	i.hostErr = nil
	switch {
	case i.flag.p != nil && i.flag.isSet():
		i.flag.clear()
		return &engine.TrapError{Kind: engine.TrapInterrupted, Func: name, Message: "call interrupted", Cause: hostErr}
	case hostErr != nil:
		return engine.HostTrap(name, hostErr)
	case code != nil && *code == trapOutOfFuel:
		return &engine.TrapError{Kind: engine.TrapOutOfFuel, Func: name, Message: fmt.Sprintf("call used up its fuel (%d)", before)}
	case code != nil && *code == trapInterrupt:
		return &engine.TrapError{Kind: engine.TrapInterrupted, Func: name, Message: "call interrupted"}
	}
	return &engine.TrapError{Kind: engine.TrapGuest, Func: name, Message: trapMessage(msg), Cause: errors.New(msg)}
}

// Trap codes of the wasmtime 37 C API (wasmtime/trap.h). wasmtime-go v37's
// own TrapCode constants stop matching after Interrupt: they lack
// WASMTIME_TRAP_CODE_ALWAYS_TRAP_ADAPTER (11), so its OutOfFuel (11) is not
// the code an out-of-fuel trap has (12), and Trap.Code of such a trap
// compares unequal to it.
const (
	trapInterrupt wasmtime.TrapCode = 10
	trapOutOfFuel wasmtime.TrapCode = 12
)

// trapMessage returns the cause of a wasmtime error. Its message starts with
// "error while executing at wasm backtrace:" and the frames, then lists the
// causes after "Caused by:", one per line, numbered when there are several
// ("0: memory fault at ...", "1: wasm trap: out of bounds memory access"),
// and ends with a native "Stack backtrace:". The "wasm trap:" line is the
// most useful; else the first cause.
func trapMessage(s string) string {
	const causedBy = "Caused by:"
	i := strings.Index(s, causedBy)
	if i < 0 {
		return engine.FirstLine(s)
	}
	rest := s[i+len(causedBy):]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	var first string
	for _, line := range strings.Split(rest, "\n") {
		line = strings.TrimSpace(line)
		if k := strings.Index(line, ": "); k > 0 && strings.Trim(line[:k], "0123456789") == "" {
			line = line[k+2:] // a cause's number
		}
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "wasm trap:") {
			return engine.FirstLine(line)
		}
		if first == "" {
			first = line
		}
	}
	if first == "" {
		return engine.FirstLine(s)
	}
	return engine.FirstLine(first)
}

func (i *instance) isClosed() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.closed
}

// Memory returns the exported memory, or nil.
func (i *instance) Memory() engine.Memory {
	if i.mem == nil {
		return nil
	}
	return i.mem
}

// Global returns an exported global.
func (i *instance) Global(name string) (engine.Global, bool) {
	typ, ok := i.m.globals[name]
	if !ok || i.isClosed() {
		return nil, false
	}
	x := i.wi.GetExport(i.store, name)
	if x == nil || x.Global() == nil {
		return nil, false
	}
	return &global{g: x.Global(), st: i.store, typ: typ}, true
}

// SetFuel sets the fuel left.
func (i *instance) SetFuel(fuel uint64) error {
	if !i.metered {
		return fmt.Errorf("%w: instance created without fuel", engine.ErrNoFuel)
	}
	if i.isClosed() {
		return fmt.Errorf("%w: instance", engine.ErrClosed)
	}
	return i.setFuel(fuel)
}

func (i *instance) setFuel(fuel uint64) error {
	if err := i.store.SetFuel(fuel); err != nil {
		return fmt.Errorf("%w: %w", engine.ErrNoFuel, err)
	}
	i.fuelLeft = fuel
	return nil
}

// Fuel returns the fuel left.
func (i *instance) Fuel() uint64 {
	if !i.metered {
		return 0
	}
	return i.fuelLeft
}

// FuelUsed returns the fuel the latest call used.
func (i *instance) FuelUsed() uint64 {
	if !i.metered {
		return 0
	}
	return i.fuelUsed
}

// Interrupt stops the running call, or the next one.
func (i *instance) Interrupt() {
	i.mu.Lock()
	if i.closed || i.flag.p == nil {
		i.mu.Unlock()
		return
	}
	i.flag.set()
	i.mu.Unlock()
	// Every running store reaches its deadline; only this one's callback
	// sees its flag set.
	i.m.e.eng.IncrementEpoch()
}

// Yield makes the running call, or the next one, call OnYield at its next
// epoch check: it sets the store's yield bit and, as Interrupt, increments
// the engine's epoch, so every running store reaches its deadline and only
// this one's callback finds the bit.
func (i *instance) Yield() {
	i.mu.Lock()
	if i.closed || i.flag.p == nil || i.handle == 0 {
		i.mu.Unlock()
		return
	}
	i.flag.setYield()
	i.mu.Unlock()
	i.m.e.eng.IncrementEpoch()
}

// Close releases the store.
func (i *instance) Close(context.Context) error {
	i.release()
	return nil
}

// caller is the engine.Caller of an instance during a host function.
type caller struct {
	inst *instance
	mem  memory // st is the wasmtime Caller during a host function
}

func (c *caller) Memory() engine.Memory {
	if c.mem.mem == nil || c.mem.st == nil {
		return nil
	}
	return &c.mem
}

func (c *caller) Data() any { return c.inst.data }

// memory is a linear memory seen through a store or a host function's caller.
// It caches its view (wasmtime-go fetches the base and the length with two
// cgo calls); the view is dropped whenever the guest may have grown the
// memory: after every call, at every host function entry, and on Grow.
type memory struct {
	mem  *wasmtime.Memory
	st   wasmtime.Storelike
	view []byte
	ok   bool
}

func (m *memory) data() []byte {
	if !m.ok {
		m.view, m.ok = m.mem.UnsafeData(m.st), true
	}
	return m.view
}

func (m *memory) invalidate() { m.view, m.ok = nil, false }

func (m *memory) Size() uint64 { return uint64(len(m.data())) }

func (m *memory) Read(offset, n uint32) ([]byte, bool) {
	d := m.data()
	end := uint64(offset) + uint64(n)
	if end > uint64(len(d)) {
		return nil, false
	}
	return d[offset:end:end], true
}

func (m *memory) Write(offset uint32, b []byte) bool {
	d := m.data()
	if uint64(offset)+uint64(len(b)) > uint64(len(d)) {
		return false
	}
	copy(d[offset:], b)
	return true
}

func (m *memory) Grow(delta uint32) (uint32, bool) {
	m.invalidate()
	prev, err := m.mem.Grow(m.st, uint64(delta))
	if err != nil {
		return 0, false
	}
	return uint32(prev), true
}

// global is an exported global.
type global struct {
	g   *wasmtime.Global
	st  *wasmtime.Store
	typ engine.GlobalType
}

func (g *global) Type() engine.GlobalType { return g.typ }

func (g *global) Get() uint64 { return fromVal(g.g.Get(g.st)) }

func (g *global) Set(v uint64) error {
	if !g.typ.Mutable {
		return engine.ErrImmutable
	}
	if err := g.g.Set(g.st, toVal(g.typ.Type, v)); err != nil {
		return fmt.Errorf("engine/wasmtime: set global: %w", err)
	}
	return nil
}
