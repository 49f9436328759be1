package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/instrument"
	"github.com/wactor/wactor/internal/memtrack"
	"github.com/wactor/wactor/snapshots"
)

// Sandbox is one instance of a class: the unit of isolation. Its calls are
// made by one goroutine at a time (the actor's mailbox worker); Interrupt,
// Preempt and Close may be called from any goroutine.
type Sandbox struct {
	class   *Class
	owner   Owner   // nil for a class probe
	imports Imports // nil for a class probe
	rec     recorder
	actorID string
	logs    Log
	ctx     context.Context
	inst    engine.Instance
	mem     engine.Memory
	// pending is the envelope an import left for wactor.take.
	pending []byte
	// maxArgBytes bounds the arguments of the guest's calls, sends and
	// spawns (Config.MaxArgBytes).
	maxArgBytes int
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

	// meter is charged the sandbox's memory (nil for a class probe);
	// charged is what it is charged now (memory.go).
	meter   Meter
	charged atomic.Int64
	// guestRuns: guest code runs (run's fn), whose memory growth the
	// meter's limit may refuse; the host restoring a state (restore,
	// replay) is charged without refusal, as it was accepted before.
	guestRuns bool
	// limitSet is the memory limit in force with engine.MemoryLimiter
	// (wasmtime): maxBytes, or lower when the meter's limit is short.
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
	stopWhy           api.TrapReason // why the running call was interrupted ("" if not)
	killed            bool           // set by a kill: no further call may start
	stopCh            chan struct{}  // made on demand by host functions that block; closed by interrupt
}

// New instantiates cfg.Class and runs its start-up code (start function
// and _initialize, under the engine's load timeout), or puts cfg.From's
// state (or the class's template) into it instead. It does not run the
// constructor: the caller invokes it. It fails with an *api.ModuleError if
// the class cannot be instantiated, with the Meter's LimitError past its
// limit, or with an *api.TrapError if start-up code fails.
func New(ctx context.Context, e *Engine, cfg Config) (*Sandbox, error) {
	return newSandbox(ctx, e, cfg, false)
}

// newSandbox is New; probe: the sandbox of a class probe (no actor: no
// template, no reseed).
func newSandbox(ctx context.Context, e *Engine, cfg Config, probe bool) (*Sandbox, error) {
	c, from, memPages := cfg.Class, cfg.From, cfg.MemoryPages
	usedTemplate := false
	var tmplFile *memtrack.Template
	if from == nil && !probe {
		// The template stays until the sandbox holds its state: unloading
		// the class waits to release it.
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
	logs := cfg.Log
	if logs == nil {
		logs = discardLog{}
	}
	sb := &Sandbox{class: c, owner: cfg.Owner, imports: cfg.Imports, actorID: cfg.ActorID, logs: logs, stack: make([]uint64, 2),
		maxBytes: limit, usedTemplate: usedTemplate, fuelLimit: cfg.Fuel, meter: cfg.Meter, maxArgBytes: cfg.MaxArgBytes}
	sb.limitSet = limit
	if sb.owner != nil {
		sb.owner.Booted(sb) // a kill from now on interrupts its guest code
	}
	startup, mode, timeout, actorID, fuel := cfg.Startup, cfg.Mode, cfg.Timeout, cfg.ActorID, cfg.Fuel
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
			Stdout:    sb.lineWriter(0),
			Stderr:    sb.lineWriter(1),
			Walltime:  sb.walltime,
			Nanotime:  sb.nanotime,
			Nanosleep: sb.nanosleep,
			Random:    &sb.rec,
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
			sb.lm.sb = sb
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
		return nil, api.ModuleErrorf(err, "instantiate: %v", err)
	}
	sb.inst = inst
	sb.mem = inst.Memory()
	if sb.mem == nil {
		_ = inst.Close(ctx)
		sb.uncharge()
		return nil, api.ModuleErrorf(nil, "no memory")
	}
	if sb.meter != nil {
		// The meter's limit (a namespace's memory quota): what the engine made (wasmtime's
		// own memory is charged here), checked once more now that
		// concurrent spawns are counted.
		sb.charge(sb.mem.Size(), true)
		if sb.overMemory() {
			err := sb.meter.LimitError(int64(sb.mem.Size()))
			sb.Close()
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
			sb.Close()
			return nil, err
		}
		// A copy of another actor's state (a fork, or the template) gets
		// fresh randomness: the guest reseeds from random_get.
		if c.exports[abi.ExportReseed] && from.ActorID != actorID && !probe {
			if _, err := sb.run(ctx, abi.ExportReseed, timeout, func() error { return sb.inst.Call(sb.ctx, abi.ExportReseed, nil) }); err != nil {
				sb.Close()
				return nil, err
			}
		}
		return sb, nil
	}
	// A cold start: the data segments the class took out of the module.
	for _, s := range c.segments {
		if !sb.mem.Write(s.Offset, s.Data) {
			sb.Close()
			return nil, api.ModuleErrorf(nil, "data segment [%d, +%d) does not fit in memory (%d bytes)", s.Offset, len(s.Data), sb.mem.Size())
		}
	}
	// The start function (where the start section would have run), then
	// _initialize: load-time code, under the load deadline.
	for _, hook := range [...]string{instrument.StartExport, abi.ExportInitialize} {
		if hook == instrument.StartExport && !c.hasStart || hook == abi.ExportInitialize && !c.exports[hook] {
			continue
		}
		if _, err := sb.run(ctx, hook, e.loadTimeout, func() error { return sb.inst.Call(sb.ctx, hook, nil) }); err != nil {
			sb.Close()
			return nil, err
		}
	}
	return sb, nil
}

// onYield runs inside a guest call, on its goroutine, when the engine
// reached a yield point after Preempt: the owner gives the goroutine's
// worker to waiting work until its turn, or until the call is interrupted,
// which the guest's next check then obeys.
func (sb *Sandbox) onYield() {
	if sb.owner != nil {
		sb.owner.OnYield(sb)
	}
}

// Method returns the export name of the class's method number midx
// (Class.Lookup).
func (sb *Sandbox) Method(midx int) string { return sb.class.methods[midx].Name }

// Stopped returns a channel closed when the running call is interrupted
// (closed already if it was, or if the sandbox was killed).
func (sb *Sandbox) Stopped() <-chan struct{} {
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

// closedChan is a closed channel.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Close discards the sandbox, gives its memory back to the meter and
// logs the unfinished lines of its output. Called during a call (by a dying
// actor), it takes effect when the call returns.
func (sb *Sandbox) Close() {
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

// enter marks the sandbox busy outside a guest call (capture, restore), so
// a concurrent close waits for leave; it reports false if it is closed.
func (sb *Sandbox) enter() bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.closed || sb.inCall {
		return false
	}
	sb.inCall = true
	return true
}

func (sb *Sandbox) leave() {
	sb.mu.Lock()
	sb.inCall = false
	later := sb.closeAt
	sb.closeAt = false
	sb.mu.Unlock()
	if later {
		sb.Close()
	}
}

// Interrupt stops the running call at its next loop header or function
// entry; it fails with an *api.TrapError of reason why. api.TrapKilled also
// refuses every later call.
func (sb *Sandbox) Interrupt(why api.TrapReason) { sb.interrupt(0, why) }

// Preempt asks the running call, if any, to yield at its next check, where
// the sandbox calls its Owner's OnYield.
func (sb *Sandbox) Preempt() { sb.inst.Yield() }

// interrupt stops the call running as generation gen (any call if gen == 0)
// at its next loop header or function entry.
func (sb *Sandbox) interrupt(gen uint64, why api.TrapReason) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.interruptLocked(gen, why)
}

// onTimer enforces the running call's deadline. The timer is armed lazily
// (run re-arms it only when it would fire too late), so calls do not pay a
// timer operation each: when it fires early, it re-arms for the deadline of
// the call running then.
func (sb *Sandbox) onTimer() {
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
	sb.interruptLocked(0, api.TrapDeadline)
}

// monoNow is a monotonic clock in nanoseconds.
func monoNow() int64 { return int64(time.Since(monoEpoch)) }

func (sb *Sandbox) interruptLocked(gen uint64, why api.TrapReason) {
	if why == api.TrapKilled {
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
func (sb *Sandbox) run(callCtx context.Context, method string, timeout time.Duration, fn func() error) (api.TrapReason, error) {
	sb.mu.Lock()
	if sb.killed || sb.closed {
		sb.mu.Unlock()
		return api.TrapKilled, sb.trap(method, api.TrapKilled, nil)
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
	if o := sb.owner; o != nil {
		o.CallStarted(sb)
		defer o.CallEnded(sb)
	}

	if sb.fuelLimit > 0 {
		_ = sb.inst.SetFuel(sb.fuelLimit)
	}
	var stopCancel func() bool
	if callCtx != nil && callCtx.Done() != nil {
		stopCancel = context.AfterFunc(callCtx, func() {
			// A caller's deadline that passes is a deadline, not a
			// cancellation (the server's and client's call timeouts).
			why := api.TrapCancelled
			if errors.Is(context.Cause(callCtx), context.DeadlineExceeded) {
				why = api.TrapDeadline
			}
			sb.interrupt(gen, why)
		})
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
	overQuota := sb.lm == nil && sb.meter != nil && !sb.charge(sb.mem.Size(), sb.rec.replaying())
	sb.mu.Lock()
	// A deadline that passed as the call returned counts: the timer decides
	// under mu, so it either interrupted this call or sees it ended.
	if why := sb.stopWhy; why == "" && sb.deadline != 0 && monoNow() >= sb.deadline {
		sb.stopWhy = api.TrapDeadline
	}
	sb.inCall = false
	sb.deadline = 0
	why := sb.stopWhy
	later := sb.closeAt
	sb.closeAt = false
	sb.mu.Unlock()
	if later {
		sb.Close()
	}
	if why == "" && overQuota {
		sb.charge(sb.mem.Size(), true) // until close gives it back
		te := sb.trap(method, api.TrapMemory, nil)
		te.Message = sb.meter.LimitError(0).Error()
		return api.TrapMemory, te
	}
	if why == "" && outOfFuel && err != nil {
		te := sb.trap(method, api.TrapFuel, nil)
		te.Message = fmt.Sprintf("call used up its fuel (limit %d)", sb.fuelLimit)
		return api.TrapFuel, te
	}
	if why != "" {
		// The flag may have been set after the guest returned: either way the
		// sandbox is discarded so no later call sees it.
		return why, sb.trap(method, why, err)
	}
	if err != nil {
		return api.TrapGuest, sb.classify(method, err)
	}
	return "", nil
}

func (sb *Sandbox) trap(method string, why api.TrapReason, err error) *api.TrapError {
	te := &api.TrapError{ActorID: sb.actorID, Method: method, Reason: why, GuestOutput: sb.stderr.String()}
	switch why {
	case api.TrapDeadline:
		te.Message = "call exceeded its deadline"
	case api.TrapCancelled:
		te.Message = "caller cancelled the call"
	case api.TrapKilled:
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

func (sb *Sandbox) classify(method string, err error) *api.TrapError {
	if sb.abiErr != nil {
		te := sb.trap(method, api.TrapABI, nil)
		te.Message = sb.abiErr.Error()
		return te
	}
	why := api.TrapGuest
	// A runtime that cannot grow its memory says so on stderr before it
	// aborts (Go: "fatal error: out of memory").
	if out := sb.stderr.String(); strings.Contains(out, "out of memory") || strings.Contains(out, "cannot allocate memory") {
		why = api.TrapMemory
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

// Invoke calls fn, a method-shaped export, with encoded arguments and
// returns the decoded envelope, within timeout (0: none) and cancelled by
// callCtx. method names the call in a trap; a result past maxResult bytes
// is an ABI violation. A failed call returns an *api.TrapError; the
// sandbox must then be discarded.
func (sb *Sandbox) Invoke(callCtx context.Context, method string, fn string, args []byte, timeout time.Duration, maxResult int) (abi.Envelope, error) {
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

// Capture copies the sandbox's state, as the state of actor actorID after
// calls completed calls. Call it only between calls. It copies
// only the pages written since the previous capture or restore when the
// kernel tracks writes, else the pages that differ from that image.
func (sb *Sandbox) Capture(actorID string, calls uint64) (*snapshots.State, error) {
	if !sb.enter() {
		return nil, fmt.Errorf("%w: the actor's sandbox is gone", api.ErrActorDied)
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
		ClassID: sb.class.Info.ID, ActorID: actorID, Memory: sb.image,
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
func (sb *Sandbox) restore(st *snapshots.State) error {
	if st.ClassID != sb.class.Info.ID {
		return fmt.Errorf("%w: snapshot of class %s cannot restore into class %s", api.ErrInvalidArgument, st.ClassID, sb.class.Info.ID)
	}
	n := st.Memory.Len()
	if uint64(n) > sb.maxBytes {
		return fmt.Errorf("%w: snapshot memory of %d bytes exceeds the actor's limit of %d", api.ErrInvalidOptions, n, sb.maxBytes)
	}
	if cur := sb.mem.Size(); uint64(n) > cur {
		if _, ok := sb.mem.Grow(uint32((uint64(n) - cur) / 65536)); !ok {
			return fmt.Errorf("%w: cannot grow memory to %d bytes", api.ErrInvalidOptions, n)
		}
	}
	mem, ok := sb.mem.Read(0, uint32(n))
	if !ok {
		return fmt.Errorf("%w: snapshot memory does not fit", api.ErrInvalidArgument)
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
			return fmt.Errorf("%w: snapshot has global %d, which the class does not", api.ErrInvalidArgument, idx)
		}
		g, ok := sb.inst.Global(name)
		if !ok || g.Set(v) != nil {
			return fmt.Errorf("%w: global %d is not mutable", api.ErrInvalidArgument, idx)
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

// AskCheckpoint calls the guest's wactor_should_checkpoint.
func (sb *Sandbox) AskCheckpoint(calls uint64, since time.Duration, timeout time.Duration) (bool, error) {
	stack := []uint64{calls, uint64(since.Milliseconds())}
	_, err := sb.run(context.Background(), abi.ExportShouldCheckpoint, timeout, func() error {
		return sb.inst.Call(sb.ctx, sb.shouldCheckpoint, stack)
	})
	return err == nil && uint32(stack[0]) != 0, err
}

// ChooseCheckpoint asks the guest's wactor_load_checkpoint which of the
// checkpoints (newest first) to restore, passing [[id, taken_unix_ms,
// calls], ...]. It returns the ID chosen, or "" for the newest (a null or
// non-text answer). The sandbox is a fresh one, discarded after.
func (sb *Sandbox) ChooseCheckpoint(ctx context.Context, states []*snapshots.State, timeout time.Duration, maxResult int) (string, error) {
	avail := make([]any, len(states))
	for i, st := range states {
		avail[i] = []any{st.ID, st.Taken.UnixMilli(), int64(st.Calls)}
	}
	enc, err := codec.EncodeArgs([]any{avail})
	if err != nil {
		return "", err
	}
	env, err := sb.Invoke(ctx, abi.ExportLoadCheckpoint, abi.ExportLoadCheckpoint, enc, timeout, maxResult)
	if err != nil {
		return "", fmt.Errorf("%s: %w", abi.ExportLoadCheckpoint, err)
	}
	var id string
	if env.Kind == abi.KindValue && len(env.Values) == 1 {
		_ = codec.Decode(env.Values[0], &id) // null or not a string: the newest
	}
	return id, nil
}

// MemoryBytes returns the current size of linear memory.
func (sb *Sandbox) MemoryBytes() uint64 { return uint64(sb.mem.Size()) }

// FuelUsed returns the fuel the last call used (0 without a fuel limit).
func (sb *Sandbox) FuelUsed() uint64 { return sb.fuelUsed }

// ExitRequested reports whether the guest called wactor.exit since the
// sandbox was made or ResetExit was called.
func (sb *Sandbox) ExitRequested() bool { return sb.exitRequested }

// ResetExit forgets a wactor.exit (one replayed from the journal).
func (sb *Sandbox) ResetExit() { sb.exitRequested = false }

// HasInit reports whether the class has a constructor (wactor_init).
func (sb *Sandbox) HasInit() bool { return sb.init != "" }

// CanAskCheckpoint reports whether the guest exports
// wactor_should_checkpoint (AskCheckpoint).
func (sb *Sandbox) CanAskCheckpoint() bool { return sb.shouldCheckpoint != "" }

// HasCheckpointExpired reports whether the guest exports
// wactor_checkpoint_expired.
func (sb *Sandbox) HasCheckpointExpired() bool { return sb.checkpointExpired != "" }

// FromTemplate reports whether the sandbox started from its class's
// template (used) and whether its memory maps the template's copy-on-write
// (mapped).
func (sb *Sandbox) FromTemplate() (used, mapped bool) { return sb.usedTemplate, sb.preloaded }

// Memory returns the guest's linear memory, for tools and benchmarks that
// look into it between calls.
func (sb *Sandbox) Memory() engine.Memory { return sb.mem }

// Image returns the memory as last captured or restored, which the next
// Capture updates with what changed since.
func (sb *Sandbox) Image() snapshots.Image { return sb.image }

// ForgetImage makes the next Capture copy the whole memory, as the first
// one does.
func (sb *Sandbox) ForgetImage() { sb.hasImage, sb.tracked = false, 0 }
