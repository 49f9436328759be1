package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"slices"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/internal/engine"
	_ "github.com/wactor/wactor/internal/engine/wazero" // the default engine
	"github.com/wactor/wactor/internal/instrument"
	"github.com/wactor/wactor/internal/logring"
	"github.com/wactor/wactor/internal/memtrack"
	"github.com/wactor/wactor/snapshots"
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

// wasmEngine owns the engine shared by all classes and sandboxes of a host.
type wasmEngine struct {
	eng  engine.Engine
	name string
	// ownMemory: sandboxes back linear memory themselves (wazero), with
	// dirty-page tracking and copy-on-write templates; else the engine's
	// memory is used and captures compare pages.
	ownMemory bool
	hostFuncs []engine.HostFunc          // module "wactor"
	hostSigs  map[string]engine.FuncType // by import name
	wasiSigs  map[string]engine.FuncType
	// loadTimeout bounds the start function and _initialize
	// (Config.LoadTimeout).
	loadTimeout time.Duration
}

// defaultEngine is the engine of a Config without one: EngineWazero. The
// tests set it (from the build tag wasmtime or $WACTOR_TEST_ENGINE) to run
// the whole suite on either engine.
var defaultEngine = EngineWazero

func newEngine(ctx context.Context, name, cacheDir string) (*wasmEngine, error) {
	if name == "" {
		name = defaultEngine
	}
	if !slices.Contains(engine.Names(), name) {
		hint := ""
		if name == EngineWasmtime {
			hint = " (wasmtime needs a build with -tags wasmtime and cgo)"
		}
		return nil, fmt.Errorf("%w: engine %q is not available in this build%s; available: %s", ErrInvalidOptions, name, hint, strings.Join(engine.Names(), ", "))
	}
	eng, err := engine.New(ctx, name, engine.Config{CacheDir: cacheDir})
	if err != nil {
		return nil, fmt.Errorf("host: engine %s: %w", name, err)
	}
	i32, i64 := engine.I32, engine.I64
	p := func(ts ...engine.ValueType) []engine.ValueType { return ts }
	e := &wasmEngine{eng: eng, name: name, ownMemory: name == EngineWazero, loadTimeout: defaultLoadTimeout,
		hostSigs: map[string]engine.FuncType{}, wasiSigs: map[string]engine.FuncType{}}
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
	for _, f := range e.hostFuncs {
		e.hostSigs[f.Name] = f.Type()
	}
	for _, f := range engine.WASIFuncs(engine.WASIConfig{}) {
		e.wasiSigs[f.Name] = f.Type()
	}
	return e, nil
}

func (e *wasmEngine) close(ctx context.Context) error { return e.eng.Close(ctx) }

// sandbox is one instance of a class: the unit of isolation. Its calls are
// made by one goroutine at a time (the actor's mailbox worker); interrupt may
// be called from any goroutine.
type sandbox struct {
	class   *class
	actor   *actor // nil for a class probe
	guest   guestState
	rec     recorder
	actorID string
	logs    *logring.Ring
	ctx     context.Context
	inst    engine.Instance
	mem     engine.Memory
	// init is the constructor's export name, "" if the class has none.
	init string
	// shouldCheckpoint is "wactor_should_checkpoint" if the guest exports it.
	shouldCheckpoint string
	// checkpointExpired is "wactor_checkpoint_expired" if the guest exports it.
	checkpointExpired string
	// usedTemplate: the sandbox started from its class's template;
	// preloaded: its memory maps the template's, copy-on-write.
	usedTemplate, preloaded bool
	stack                   []uint64
	// maxBytes is the memory limit in bytes.
	maxBytes uint64
	// lm backs linear memory (nil when the engine owns it: wasmtime);
	// image is the memory as last captured or restored, which capture
	// updates with the pages written since.
	lm       *limitedMemory
	image    snapshots.Image
	hasImage bool
	// tracked is how many bytes of memory the kernel tracks writes to
	// since image was taken (0: none, find changes by comparison).
	tracked int
	// The guest's monotonic clock: live time plus clockOffset, never less
	// than lastNano (it continues from a restored snapshot's clock).
	clockOffset int64
	lastNano    int64

	// ns is the namespace charged for the sandbox's memory (nil for a
	// class probe); charged is what it is charged now (quota.go).
	ns      *nsState
	charged atomic.Int64
	// guestRuns: guest code runs (run's fn), whose memory growth the
	// namespace's quota may refuse; the host restoring a state (restore,
	// replay) is charged without refusal, as it was accepted before.
	guestRuns bool
	// limitSet is the memory limit in force with engine.MemoryLimiter
	// (wasmtime): maxBytes, or lower when the namespace's quota is short.
	limitSet uint64

	fuelLimit uint64 // 0 without a fuel limit
	fuelUsed  uint64 // by the last call
	timer     *time.Timer
	stderr    tailBuffer
	// out turns stdout and stderr into log lines.
	out [2]*lineWriter

	// Set by host functions during a call.
	exitRequested bool
	abiErr        error

	mu     sync.Mutex // guards the fields below against the timer and interrupt
	inCall bool
	// deadline is the running call's deadline (monoNow), 0 for none; the
	// timer is armed (timerArmed) to fire at timerAt.
	deadline, timerAt int64
	timerArmed        bool
	closed            bool // close ran: memory is unmapped
	closeAt           bool // close was asked for during a call; run does it after
	gen               uint64
	stopWhy           TrapReason    // why the running call was interrupted ("" if not)
	killed            bool          // set by a kill: no further call may start
	stopCh            chan struct{} // made on demand by host functions that block; closed by interrupt
}

// regionMinBytes is the memory size from which a sandbox's memory lives in
// a memtrack.Region (kernel dirty tracking, no copy on growth).
const regionMinBytes = 1 << 20

// limitedMemory backs a linear memory and refuses growth past a limit, which
// the guest sees as memory.grow returning -1. With a region (the usual
// case) memory is one mapping of the limit's size that never moves, and the
// kernel tracks its written pages; without one, it is on the Go heap.
type limitedMemory struct {
	buf    []byte
	limit  uint64
	region *memtrack.Region
	// grow, if set, may refuse a growth to size bytes (a namespace's
	// memory quota).
	grow func(size uint64) bool
}

// newLimitedMemory makes a memory; with tmpl its first bytes hold the
// template's content, shared copy-on-write (preloaded reports it).
//
// A small memory without a template starts on the Go heap: mapping and
// unmapping a region costs more than a small guest's whole spawn, and
// comparing a small memory for a checkpoint is cheap. It moves to a region
// when it grows to regionMinBytes.
func newLimitedMemory(capacity, limit uint64, tmpl *memtrack.Template) (m *limitedMemory, preloaded bool) {
	if tmpl == nil && capacity < regionMinBytes {
		return &limitedMemory{buf: heapBuffer(capacity), limit: limit}, false
	}
	if r, err := memtrack.NewFrom(int(limit), tmpl); err == nil {
		return &limitedMemory{buf: r.Bytes()[:capacity], limit: limit, region: r}, tmpl != nil
	}
	if tmpl != nil {
		return newLimitedMemory(capacity, limit, nil)
	}
	return &limitedMemory{buf: make([]byte, 0, capacity), limit: limit}, false
}

func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		return nil
	}
	if m.grow != nil && size > uint64(len(m.buf)) && !m.grow(size) {
		return nil
	}
	if m.region == nil && size >= regionMinBytes {
		if r, err := memtrack.New(int(m.limit)); err == nil {
			copy(r.Bytes(), m.buf)
			m.region = r
		}
	}
	if m.region != nil {
		m.buf = m.region.Bytes()[:size]
		return m.buf
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	newCap := 2 * uint64(cap(m.buf))
	if newCap < size {
		newCap = size
	}
	if newCap > m.limit {
		newCap = m.limit
	}
	nb := make([]byte, size, newCap)
	copy(nb, m.buf)
	m.buf = nb
	return nb
}

// Free is a no-op: the garbage collector reclaims the buffer, which keeps a
// concurrent interrupt safe.
func (m *limitedMemory) Free() {}

// newSandbox instantiates a class and runs _initialize, or, with from, puts
// the snapshot's state into it instead. It does not run the constructor.
func newSandbox(ctx context.Context, e *wasmEngine, c *class, a *actor, actorID string, logs *logring.Ring, memPages uint32, timeout time.Duration, from *snapshots.State, startup *entry, mode recMode) (*sandbox, error) {
	var fuel uint64
	usedTemplate := false
	if a != nil && a.opts.Fuel > 0 {
		fuel = a.opts.Fuel
	}
	var tmplFile *memtrack.Template
	if from == nil && a != nil {
		// The template stays until the sandbox holds its state: UnloadClass
		// waits to release it.
		c.tmplMu.RLock()
		if t := c.template; t != nil && t.Memory.Len() >= templateMinBytes && uint64(t.Memory.Len()) <= uint64(memPages)*65536 {
			// Start from the class's template instead of running _initialize.
			from, usedTemplate, tmplFile = t, true, c.tmplFile
		} else {
			c.tmplMu.RUnlock()
		}
	}
	unlocked := !usedTemplate
	unlock := func() {
		if !unlocked {
			unlocked = true
			c.tmplMu.RUnlock()
		}
	}
	defer unlock()
	limit := uint64(memPages) * 65536
	sb := &sandbox{class: c, actor: a, actorID: actorID, logs: logs, stack: make([]uint64, 2), maxBytes: limit, usedTemplate: usedTemplate, fuelLimit: fuel}
	sb.limitSet = limit
	if a != nil {
		sb.ns = a.ns
		a.setBoot(sb) // a kill from now on interrupts its guest code
	}
	if startup != nil {
		sb.rec.start(startup, mode)
	}
	sb.ctx = context.Background()
	icfg := engine.InstanceConfig{
		HostFuncs:        e.hostFuncs,
		MemoryLimitPages: memPages,
		Fuel:             fuel,
		Data:             sb,
		OnYield:          sb.onYield,
		// Clocks and randomness go through the recorder, so a journal can
		// replay them exactly (journal.go).
		WASI: engine.WASIConfig{
			Stdout:   sb.lineWriter(0),
			Stderr:   sb.lineWriter(1),
			Walltime: sb.walltime,
			Nanotime: sb.nanotime,
			Random:   &sb.rec,
		},
	}
	if e.ownMemory {
		icfg.MemoryAllocator = func(capacity, l uint64) engine.LinearMemory {
			var tmpl *memtrack.Template
			if usedTemplate && c.split && tmplFile != nil && uint64(tmplFile.Len()) <= l {
				tmpl = tmplFile
			}
			sb.lm, sb.preloaded = newLimitedMemory(capacity, l, tmpl)
			sb.charge(capacity, true)
			sb.lm.grow = func(size uint64) bool { return sb.charge(size, !sb.guestRuns || sb.rec.replaying()) }
			return sb.lm
		}
	}
	// One timer per sandbox, re-armed per call: it interrupts whatever call is
	// running when it fires (run treats a timer that fired as a deadline).
	sb.timer = time.AfterFunc(time.Hour, sb.onTimer)
	sb.timer.Stop()

	// Instantiation runs no guest code (prepare took the start section out:
	// its function runs below, with a deadline), so it needs none.
	inst, err := c.module.Instantiate(ctx, icfg)
	if err != nil {
		sb.uncharge() // what the allocator charged
		return nil, moduleErrorf(err, "instantiate: %v", err)
	}
	sb.inst = inst
	sb.mem = inst.Memory()
	if sb.mem == nil {
		_ = inst.Close(ctx)
		sb.uncharge()
		return nil, moduleErrorf(nil, "no memory")
	}
	if sb.ns != nil {
		// The namespace's memory quota: what the engine made (wasmtime's
		// own memory is charged here), checked once more now that
		// concurrent spawns are counted.
		sb.charge(sb.mem.Size(), true)
		if sb.overMemory() {
			err := sb.ns.memoryError(int64(sb.mem.Size()))
			sb.close()
			return nil, err
		}
	}
	if c.hasInit {
		sb.init = abi.ExportInit
	}
	if c.exports[abi.ExportShouldCheckpoint] {
		sb.shouldCheckpoint = abi.ExportShouldCheckpoint
	}
	if c.exports[abi.ExportCheckpointExpired] {
		sb.checkpointExpired = abi.ExportCheckpointExpired
	}
	if from != nil {
		err := sb.restore(from)
		unlock()
		if err != nil {
			sb.close()
			return nil, err
		}
		// A copy of another actor's state (a fork, or the template) gets
		// fresh randomness: the guest reseeds from random_get.
		if c.exports[abi.ExportReseed] && from.ActorID != actorID && a != nil {
			if _, err := sb.run(ctx, abi.ExportReseed, timeout, func() error { return sb.inst.Call(sb.ctx, abi.ExportReseed, nil) }); err != nil {
				sb.close()
				return nil, err
			}
		}
		return sb, nil
	}
	// A cold start: the data segments the class took out of the module.
	for _, s := range c.segments {
		if !sb.mem.Write(s.Offset, s.Data) {
			sb.close()
			return nil, moduleErrorf(nil, "data segment [%d, +%d) does not fit in memory (%d bytes)", s.Offset, len(s.Data), sb.mem.Size())
		}
	}
	// The start function (where the start section would have run), then
	// _initialize: load-time code, under the load deadline.
	for _, hook := range [...]string{instrument.StartExport, abi.ExportInitialize} {
		if hook == instrument.StartExport && !c.hasStart || hook == abi.ExportInitialize && !c.exports[hook] {
			continue
		}
		if _, err := sb.run(ctx, hook, e.loadTimeout, func() error { return sb.inst.Call(sb.ctx, hook, nil) }); err != nil {
			sb.close()
			return nil, err
		}
	}
	return sb, nil
}

// onYield runs inside a guest call, on its goroutine, when the pool asked
// the call to yield (actor.preempt): the call gives its worker to waiting
// work and waits for its namespace's turn, or until it is interrupted
// (killed, deadline, cancelled), which the guest's next check then obeys.
// Only guest code run on a worker place yields: from the mailbox (calls,
// restarts) or from Spawn's place for the constructor (actor.yielder);
// class probes and recovery at New do not.
func (sb *sandbox) onYield() {
	a := sb.actor
	if a == nil || a.inCall.Load() != sb {
		return
	}
	if y := a.yielder.Load(); y != nil {
		(*y)(sb.stopChan())
	}
}

// method returns the export name of method midx.
func (sb *sandbox) method(midx int) string { return sb.class.methods[midx].name }

// stopChan returns a channel closed when the running call is interrupted.
func (sb *sandbox) stopChan() <-chan struct{} {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.stopWhy != "" || sb.killed {
		return closedChan
	}
	if sb.stopCh == nil {
		sb.stopCh = make(chan struct{})
	}
	return sb.stopCh
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// close discards the sandbox and frees its memory. Called during a call
// (by a dying actor), it takes effect when the call returns.
func (sb *sandbox) close() {
	sb.mu.Lock()
	if sb.closed || sb.inCall {
		sb.closeAt = sb.inCall
		sb.mu.Unlock()
		return
	}
	sb.closed = true
	sb.mu.Unlock()
	sb.uncharge()
	sb.timer.Stop()
	sb.flushOutput()
	if sb.inst != nil {
		_ = sb.inst.Close(context.Background())
	}
	switch {
	case sb.lm == nil:
	case sb.lm.region != nil:
		sb.lm.buf = nil
		_ = sb.lm.region.Close()
	default:
		// Nothing reads a closed sandbox's memory (values are copied out),
		// so its buffer can serve the next small sandbox.
		putHeapBuffer(sb.lm.buf)
		sb.lm.buf = nil
	}
}

// Heap buffers of small memories are pooled by capacity (powers of two
// from 64 KiB): spawning small actors otherwise allocates and zeroes a
// large object each time, and the garbage collector pays for the churn.
var heapBuffers [8]sync.Pool // 64 KiB << i

func bufferClass(capacity uint64) (int, bool) {
	for i := range heapBuffers {
		if capacity <= 64<<10<<i {
			return i, true
		}
	}
	return 0, false
}

// heapBuffer returns a zeroed buffer of length 0 and at least capacity.
func heapBuffer(capacity uint64) []byte {
	i, ok := bufferClass(capacity)
	if !ok {
		return make([]byte, 0, capacity)
	}
	if b, _ := heapBuffers[i].Get().(*[]byte); b != nil {
		return (*b)[:0]
	}
	return make([]byte, 0, 64<<10<<i)
}

// putHeapBuffer zeroes b and keeps it for heapBuffer.
func putHeapBuffer(b []byte) {
	i, ok := bufferClass(uint64(cap(b)))
	if !ok || cap(b) != 64<<10<<i {
		return
	}
	b = b[:cap(b)]
	clear(b)
	heapBuffers[i].Put(&b)
}

// enter marks the sandbox busy outside a guest call (capture, restore), so
// a concurrent close waits for leave; it reports false if it is closed.
func (sb *sandbox) enter() bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.closed || sb.inCall {
		return false
	}
	sb.inCall = true
	return true
}

func (sb *sandbox) leave() {
	sb.mu.Lock()
	sb.inCall = false
	later := sb.closeAt
	sb.closeAt = false
	sb.mu.Unlock()
	if later {
		sb.close()
	}
}

// interrupt stops the call running as generation gen (any call if gen == 0)
// at its next loop header or function entry.
func (sb *sandbox) interrupt(gen uint64, why TrapReason) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.interruptLocked(gen, why)
}

// onTimer enforces the running call's deadline. The timer is armed lazily
// (run re-arms it only when it would fire too late), so calls do not pay a
// timer operation each: when it fires early, it re-arms for the deadline of
// the call running then.
func (sb *sandbox) onTimer() {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.timerArmed = false
	if !sb.inCall || sb.deadline == 0 {
		return
	}
	if rem := sb.deadline - monoNow(); rem > 0 {
		sb.timer.Reset(time.Duration(rem))
		sb.timerArmed, sb.timerAt = true, sb.deadline
		return
	}
	sb.interruptLocked(0, TrapDeadline)
}

// monoNow is a monotonic clock in nanoseconds.
func monoNow() int64 { return int64(time.Since(monoEpoch)) }

func (sb *sandbox) interruptLocked(gen uint64, why TrapReason) {
	if why == TrapKilled {
		// Sticky, so a call about to start does not escape the kill.
		sb.killed = true
	}
	if !sb.inCall || (gen != 0 && gen != sb.gen) || sb.stopWhy != "" {
		return
	}
	sb.stopWhy = why
	if sb.stopCh != nil {
		close(sb.stopCh)
		sb.stopCh = nil
	}
	// The engine stops the guest at its next function entry or loop
	// iteration (wazero: the instrumented interrupt global; wasmtime: an
	// epoch deadline); a request made between two engine calls of one run
	// stops the next one at once.
	sb.inst.Interrupt()
}

// run executes fn as one guest call with a deadline and cancellation by
// callCtx, and classifies its failure.
func (sb *sandbox) run(callCtx context.Context, method string, timeout time.Duration, fn func() error) (TrapReason, error) {
	sb.mu.Lock()
	if sb.killed || sb.closed {
		sb.mu.Unlock()
		return TrapKilled, sb.trap(method, TrapKilled, nil)
	}
	sb.inCall = true
	sb.gen++
	gen := sb.gen
	sb.stopWhy = ""
	sb.stopCh = nil
	sb.deadline = 0
	if timeout > 0 {
		sb.deadline = monoNow() + int64(timeout)
		if !sb.timerArmed || sb.timerAt > sb.deadline {
			sb.timer.Reset(timeout)
			sb.timerArmed, sb.timerAt = true, sb.deadline
		}
	}
	sb.mu.Unlock()
	sb.abiErr = nil
	sb.stderr.reset()
	if a := sb.actor; a != nil {
		a.inCall.Store(sb)
		defer a.inCall.CompareAndSwap(sb, nil)
	}

	if sb.fuelLimit > 0 {
		_ = sb.inst.SetFuel(sb.fuelLimit)
	}
	var stopCancel func() bool
	if callCtx != nil && callCtx.Done() != nil {
		stopCancel = context.AfterFunc(callCtx, func() { sb.interrupt(gen, TrapCancelled) })
	}

	sb.limitGrowth()
	sb.guestRuns = true
	err := fn()
	sb.guestRuns = false
	outOfFuel := false
	if sb.fuelLimit > 0 {
		outOfFuel = errors.Is(err, engine.ErrOutOfFuel)
		sb.fuelUsed = sb.fuelLimit
		if !outOfFuel {
			sb.fuelUsed -= min(sb.fuelLimit, sb.inst.Fuel())
		}
	}

	if stopCancel != nil {
		stopCancel()
	}
	// The engine's own memory (wasmtime) cannot refuse a growth against the
	// namespace's quota: charge it now, and fail the call that passed it.
	overQuota := sb.lm == nil && sb.ns != nil && !sb.charge(sb.mem.Size(), sb.rec.replaying())
	sb.mu.Lock()
	// A deadline that passed as the call returned counts: the timer decides
	// under mu, so it either interrupted this call or sees it ended.
	if why := sb.stopWhy; why == "" && sb.deadline != 0 && monoNow() >= sb.deadline {
		sb.stopWhy = TrapDeadline
	}
	sb.inCall = false
	sb.deadline = 0
	why := sb.stopWhy
	later := sb.closeAt
	sb.closeAt = false
	sb.mu.Unlock()
	if later {
		sb.close()
	}
	if why == "" && overQuota {
		sb.charge(sb.mem.Size(), true) // until close gives it back
		te := sb.trap(method, TrapMemory, nil)
		te.Message = sb.ns.memoryError(0).Error()
		return TrapMemory, te
	}
	if why == "" && outOfFuel && err != nil {
		te := sb.trap(method, TrapFuel, nil)
		te.Message = fmt.Sprintf("call used up its fuel (limit %d)", sb.fuelLimit)
		return TrapFuel, te
	}
	if why != "" {
		// The flag may have been set after the guest returned: either way the
		// sandbox is discarded so no later call sees it.
		return why, sb.trap(method, why, err)
	}
	if err != nil {
		return TrapGuest, sb.classify(method, err)
	}
	return "", nil
}

func (sb *sandbox) trap(method string, why TrapReason, err error) *TrapError {
	te := &TrapError{ActorID: sb.actorID, Method: method, Reason: why, GuestOutput: sb.stderr.String()}
	switch why {
	case TrapDeadline:
		te.Message = "call exceeded its deadline"
	case TrapCancelled:
		te.Message = "caller cancelled the call"
	case TrapKilled:
		te.Message = "actor killed during the call"
	default:
		var et *engine.TrapError
		if errors.As(err, &et) {
			te.Message = et.Message
		} else if err != nil {
			te.Message = firstLine(err.Error())
		}
	}
	return te
}

func (sb *sandbox) classify(method string, err error) *TrapError {
	if sb.abiErr != nil {
		te := sb.trap(method, TrapABI, nil)
		te.Message = sb.abiErr.Error()
		return te
	}
	why := TrapGuest
	// A runtime that cannot grow its memory says so on stderr before it
	// aborts (Go: "fatal error: out of memory").
	if out := sb.stderr.String(); strings.Contains(out, "out of memory") || strings.Contains(out, "cannot allocate memory") {
		why = TrapMemory
	}
	var exit *engine.ExitError
	if errors.As(err, &exit) {
		te := sb.trap(method, why, nil)
		te.Message = fmt.Sprintf("guest exited with code %d", exit.Code)
		return te
	}
	return sb.trap(method, why, err)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 1024 {
		s = s[:1024] + "..."
	}
	return s
}

// invoke calls a method-shaped export with encoded arguments and returns the
// decoded envelope.
func (sb *sandbox) invoke(callCtx context.Context, method string, fn string, args []byte, timeout time.Duration, maxResult int) (abi.Envelope, error) {
	var env abi.Envelope
	var envErr error
	_, err := sb.run(callCtx, method, timeout, func() error {
		stack := sb.stack[:2]
		stack[0] = uint64(len(args))
		if err := sb.inst.Call(sb.ctx, abi.ExportAlloc, stack); err != nil {
			return err
		}
		ptr := uint32(stack[0])
		if ptr == 0 && len(args) > 0 {
			sb.abiErr = fmt.Errorf("%s returned 0 for %d bytes", abi.ExportAlloc, len(args))
			return sb.abiErr
		}
		if !sb.mem.Write(ptr, args) {
			sb.abiErr = fmt.Errorf("%s returned %d: %d bytes do not fit in memory", abi.ExportAlloc, ptr, len(args))
			return sb.abiErr
		}
		stack[0], stack[1] = uint64(ptr), uint64(len(args))
		if err := sb.inst.Call(sb.ctx, fn, stack); err != nil {
			return err
		}
		rptr, rlen := abi.UnpackPtrLen(stack[0])
		if int64(rlen) > int64(maxResult) {
			sb.abiErr = fmt.Errorf("result of %d bytes exceeds the limit of %d: %w", rlen, maxResult, abi.ErrTooLarge)
			return sb.abiErr
		}
		raw, ok := sb.mem.Read(rptr, rlen)
		if !ok {
			sb.abiErr = fmt.Errorf("result [%d, +%d) is out of bounds of memory (%d bytes)", rptr, rlen, sb.mem.Size())
			return sb.abiErr
		}
		// Decoding copies what it keeps, so raw can stay a view of guest memory.
		env, envErr = abi.DecodeEnvelope(raw, maxResult)
		if envErr != nil {
			sb.abiErr = envErr
			return envErr
		}
		return nil
	})
	return env, err
}

// capture copies the sandbox's state. Call it only between calls. It copies
// only the pages written since the previous capture or restore when the
// kernel tracks writes, else the pages that differ from that image.
func (sb *sandbox) capture(actorID string, calls uint64) (*snapshots.State, error) {
	if !sb.enter() {
		return nil, fmt.Errorf("%w: the actor's sandbox is gone", ErrActorDied)
	}
	defer sb.leave()
	mem, _ := sb.mem.Read(0, uint32(sb.mem.Size()))
	var r *memtrack.Region
	if sb.lm != nil {
		r = sb.lm.region
	}
	switch {
	case sb.hasImage && sb.tracked > 0:
		// Pages past the tracked range (grown since) count as changed.
		var dirty []uint32
		if err := r.Dirty(sb.tracked, snapshots.PageSize, func(p uint32) { dirty = append(dirty, p) }); err != nil {
			sb.image, sb.tracked = sb.image.Refresh(mem), 0
		} else {
			sb.image = sb.image.Update(mem, dirty)
		}
	case sb.hasImage:
		sb.image = sb.image.Refresh(mem)
	default:
		sb.image = snapshots.ImageOf(mem)
	}
	sb.hasImage = true
	// Track writes from now on (once, and again after memory grew).
	if r != nil && r.Tracking() && len(mem) > sb.tracked {
		if r.Reset(len(mem)) == nil {
			sb.tracked = len(mem)
		} else {
			sb.tracked = 0
		}
	}
	st := &snapshots.State{
		ClassID: sb.class.info.ID, ActorID: actorID, Memory: sb.image,
		Globals: make(map[uint32]uint64, len(sb.class.globals)), Taken: time.Now(), Calls: calls,
		Nanotime: sb.guestNanotime(),
	}
	for idx, name := range sb.class.globals {
		if g, ok := sb.inst.Global(name); ok && g.Type().Mutable {
			st.Globals[idx] = g.Get()
		}
	}
	st.ID = snapshots.NewID(actorID, st.Taken)
	return st, nil
}

// restore puts a snapshot's state into a fresh sandbox of the same class.
func (sb *sandbox) restore(st *snapshots.State) error {
	if st.ClassID != sb.class.info.ID {
		return fmt.Errorf("%w: snapshot of class %s cannot restore into class %s", ErrInvalidArgument, st.ClassID, sb.class.info.ID)
	}
	n := st.Memory.Len()
	if uint64(n) > sb.maxBytes {
		return fmt.Errorf("%w: snapshot memory of %d bytes exceeds the actor's limit of %d", ErrInvalidOptions, n, sb.maxBytes)
	}
	if cur := sb.mem.Size(); uint64(n) > cur {
		if _, ok := sb.mem.Grow(uint32((uint64(n) - cur) / 65536)); !ok {
			return fmt.Errorf("%w: cannot grow memory to %d bytes", ErrInvalidOptions, n)
		}
	}
	mem, ok := sb.mem.Read(0, uint32(n))
	if !ok {
		return fmt.Errorf("%w: snapshot memory does not fit", ErrInvalidArgument)
	}
	switch {
	case sb.preloaded && st == sb.class.template:
		// The memory maps the template: nothing to copy.
	case sb.lm == nil && sb.class.split:
		// The engine's own memory (wasmtime), fresh and all zero (the data
		// segments were taken out of the module): writing only the non-zero
		// parts spares the page faults of the rest.
		copyNonZero(mem, st.Memory)
	default:
		if sb.lm != nil && sb.lm.region != nil {
			sb.lm.region.Populate(n)
		}
		st.Memory.CopyTo(mem)
	}
	for idx, v := range st.Globals {
		name, ok := sb.class.globals[idx]
		if !ok {
			return fmt.Errorf("%w: snapshot has global %d, which the class does not", ErrInvalidArgument, idx)
		}
		g, ok := sb.inst.Global(name)
		if !ok || g.Set(v) != nil {
			return fmt.Errorf("%w: global %d is not mutable", ErrInvalidArgument, idx)
		}
	}
	// The next capture compares with the image, then starts tracking:
	// actors that never checkpoint pay nothing for it.
	sb.image, sb.hasImage, sb.tracked = st.Memory, uint64(n) == sb.mem.Size(), 0
	if st.Nanotime > sb.lastNano {
		sb.lastNano = st.Nanotime
	}
	return nil
}

var zeroChunk [4096]byte

// copyNonZero copies im into dst, which is all zero, skipping the 4 KiB
// chunks that are zero in im.
func copyNonZero(dst []byte, im snapshots.Image) {
	off := 0
	for i := range im.NumPages() {
		p := im.Page(i)
		for c := 0; c < len(p); c += len(zeroChunk) {
			chunk := p[c:min(c+len(zeroChunk), len(p))]
			if !bytes.Equal(chunk, zeroChunk[:len(chunk)]) {
				copy(dst[off+c:], chunk)
			}
		}
		off += len(p)
	}
}

// askCheckpoint calls the guest's wactor_should_checkpoint.
func (sb *sandbox) askCheckpoint(calls uint64, since time.Duration, timeout time.Duration) (bool, error) {
	stack := []uint64{calls, uint64(since.Milliseconds())}
	_, err := sb.run(context.Background(), abi.ExportShouldCheckpoint, timeout, func() error {
		return sb.inst.Call(sb.ctx, sb.shouldCheckpoint, stack)
	})
	return err == nil && uint32(stack[0]) != 0, err
}

// memoryBytes returns the current size of linear memory.
func (sb *sandbox) memoryBytes() uint64 { return uint64(sb.mem.Size()) }

// Host functions. They find their sandbox as the instance's data
// (engine.Caller.Data) and read and write the caller's memory
// (engine.Caller.Memory), which is current even if the guest grew its
// memory during the call; a bad pointer records an ABI error and panics,
// which the engine turns into a trap.

var errBadPointer = errors.New("bad pointer passed to a host function")

func sandboxFrom(c engine.Caller) *sandbox {
	sb, _ := c.Data().(*sandbox)
	return sb
}

func (sb *sandbox) abiPanic(format string, args ...any) {
	sb.abiErr = fmt.Errorf(format+": %w", append(args, errBadPointer)...)
	panic(sb.abiErr)
}

func hostLog(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	level, ptr, n := int32(stack[0]), uint32(stack[1]), uint32(stack[2])
	b, ok := callerMemory(c).Read(ptr, n)
	if !ok {
		sb.abiPanic("wactor.log(%d, %d, %d)", level, ptr, n)
	}
	if sb.rec.replaying() {
		return
	}
	// Cut before converting: the text is at most MaxLogLine bytes however
	// long the guest's buffer (invalid bytes may grow by a third, cut again).
	truncated := len(b) > MaxLogLine
	if truncated {
		b = trimPartialRune(b[:MaxLogLine])
	}
	text := logring.ValidText(b)
	sb.logs.AddLine(int(level), text, truncated)
	if level >= abi.LogError {
		sb.stderr.errorLine(text)
	}
}

func hostSelfID(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		stack[0] = 0
		return
	}
	ptr, capacity := uint32(stack[0]), uint32(stack[1])
	id := sb.actorID
	n := uint32(len(id))
	if capacity < n {
		n = capacity
	}
	if !callerMemory(c).Write(ptr, []byte(id[:n])) {
		sb.abiPanic("wactor.self_id(%d, %d)", ptr, capacity)
	}
	stack[0] = uint64(len(id))
}

func hostExit(_ context.Context, c engine.Caller, _ []uint64) {
	if sb := sandboxFrom(c); sb != nil {
		sb.exitRequested = true
	}
}

// callerMemory returns the calling instance's memory (a class always has
// one; an empty one otherwise, so every access fails its bounds check).
func callerMemory(c engine.Caller) engine.Memory {
	if m := c.Memory(); m != nil {
		return m
	}
	return noMemory{}
}

type noMemory struct{}

func (noMemory) Size() uint64                       { return 0 }
func (noMemory) Read(uint32, uint32) ([]byte, bool) { return nil, false }
func (noMemory) Write(uint32, []byte) bool          { return false }
func (noMemory) Grow(uint32) (uint32, bool)         { return 0, false }

// tailBuffer keeps what a failed call reports of the guest's output
// (TrapError.GuestOutput): the first bytes it wrote to stderr during the
// call, as runtimes put the cause first ("panic: ...", "fatal error: ...")
// and a long traceback after it, and the last error-level lines it logged
// through the log import (an AssemblyScript abort, a C guest's message
// before it traps). Both are bounded by tailSize.
type tailBuffer struct {
	mu   sync.Mutex
	buf  []byte
	errs []byte
}

const tailSize = 2048

func (t *tailBuffer) write(p []byte) {
	t.mu.Lock()
	if room := tailSize - len(t.buf); room > 0 {
		if len(p) > room {
			p = p[:room]
		}
		t.buf = append(t.buf, p...)
	}
	t.mu.Unlock()
}

// errorLine records an error-level line, keeping the last tailSize bytes
// of them, from a line's start.
func (t *tailBuffer) errorLine(text string) {
	text = logring.CutText(text, tailSize-1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if over := len(t.errs) + len(text) + 1 - tailSize; over > 0 {
		if i := bytes.IndexByte(t.errs[over:], '\n'); i >= 0 {
			over += i + 1
		} else {
			over = len(t.errs)
		}
		t.errs = t.errs[:copy(t.errs, t.errs[over:])]
	}
	t.errs = append(t.errs, text...)
	t.errs = append(t.errs, '\n')
}

func (t *tailBuffer) reset() {
	t.mu.Lock()
	t.buf = t.buf[:0]
	t.errs = t.errs[:0]
	t.mu.Unlock()
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.errs) == 0 {
		return string(t.buf)
	}
	out := make([]byte, 0, len(t.buf)+1+len(t.errs))
	out = append(out, t.buf...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return string(append(out, t.errs...))
}

// lineWriter turns a guest's stdout or stderr into log lines. A line is
// cut at MaxLogLine bytes (the rest of it, up to its newline, is
// discarded), so the unfinished line it holds is bounded by MaxLogLine
// whatever the guest writes. An unfinished line is logged when the sandbox
// closes (after a trap, a kill, or passivation).
type lineWriter struct {
	sb    *sandbox
	logs  *logring.Ring
	level int
	tail  *tailBuffer // stderr: the call's output for a TrapError

	mu      sync.Mutex
	partial []byte // the unfinished line, at most MaxLogLine bytes
	// skip: the current line was cut; discard up to its newline.
	skip bool
}

// lineWriter makes the writer of descriptor fd+1 (0 stdout, 1 stderr).
func (sb *sandbox) lineWriter(fd int) *lineWriter {
	w := &lineWriter{sb: sb, logs: sb.logs, level: abi.LogInfo}
	if fd == 1 {
		w.level, w.tail = abi.LogError, &sb.stderr
	}
	sb.out[fd] = w
	return w
}

// flushOutput logs the unfinished lines of stdout and stderr.
func (sb *sandbox) flushOutput() {
	for _, w := range sb.out {
		if w != nil {
			w.flush()
		}
	}
}

// Write logs the complete lines of p and keeps its unfinished one. It
// costs time in proportion to len(p) and copies at most MaxLogLine bytes of
// it (p is a view of guest memory, valid only during the call).
func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	if w.sb.rec.replaying() {
		return n, nil // written the first time the call ran
	}
	if w.tail != nil {
		w.tail.write(p)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		switch {
		case w.skip:
		case len(w.partial)+len(seg) > MaxLogLine:
			// Cut: log the line's first MaxLogLine bytes now.
			line := append(w.partial, seg[:MaxLogLine-len(w.partial)]...)
			w.logs.AddBytes(w.level, trimPartialRune(line), true)
			w.partial, w.skip = w.partial[:0], true
		case i >= 0 && len(w.partial) == 0:
			w.logs.AddBytes(w.level, seg, false) // a whole line: no copy to partial
		default:
			w.partial = append(w.partial, seg...)
			if i >= 0 {
				w.logs.AddBytes(w.level, w.partial, false)
				w.partial = w.partial[:0]
			}
		}
		if i < 0 {
			break
		}
		w.skip = false
		p = p[i+1:]
	}
	return n, nil
}

// flush logs the unfinished line, if any, and frees its buffer.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.logs.AddBytes(w.level, w.partial, false)
	}
	w.partial, w.skip = nil, false
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b (left
// by a cut), so the cut line does not end in a replacement character.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}
