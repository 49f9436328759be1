package host

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wactor/wactor/host/directory"
	"github.com/wactor/wactor/host/sandbox"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/host/tenancy"
	"github.com/wactor/wactor/internal/callvalues"
	"github.com/wactor/wactor/internal/logring"
	"github.com/wactor/wactor/scheduler"
	"github.com/wactor/wactor/snapshots"
)

// actor is the host's record of one actor. Its sandbox is used only by the
// worker running its mailbox; mu guards state, sb (the pointer) and death.
type actor struct {
	h        *Host
	id       string
	class    *tenancy.Class
	opts     actorOptions
	initArgs []byte
	created  time.Time
	logs     *logring.Ring
	mb       *scheduler.Mailbox[*call]
	seq      atomic.Uint64
	// inc is the incarnation of this record (newIncarnation), part of
	// every future ID: seq starts again when a host recovers the actor.
	inc string
	// served counts the calls completed (and journaled, when the actor
	// keeps a journal): the sequence number of its latest journal record.
	// failed counts the calls that trapped or could not be journaled.
	served atomic.Uint64
	failed atomic.Uint64
	// damage is set while the actor is damaged (StateDamaged). Atomic, so
	// that lookups (host/directory) read it without actor.mu.
	damage   atomic.Pointer[Damage]
	memBytes atomic.Uint64
	running  atomic.Pointer[string] // method of the call in the sandbox, nil when idle
	// inCall is the actor's sandbox running a guest call (box.CallStarted), nil
	// between calls: the one the pool asks to yield (preempt).
	inCall atomic.Pointer[box]
	// yielder gives the worker place of the goroutine running the actor's
	// guest code away and waits for its turn (box.OnYield): the
	// mailbox's Yield while the mailbox handles a call (mbYield), a
	// scheduler.Place's while Spawn runs the constructor; nil otherwise, and
	// then guest code does not yield. While it is set, a host function that
	// blocks leaves the pool's count (box.block).
	yielder atomic.Pointer[yieldFunc]
	mbYield *yieldFunc
	// lastActive is when the actor last started a call (Unix ns), for
	// passivation of the least recently used.
	lastActive atomic.Int64
	// passive holds a passivated actor's state; guarded by mu.
	passive *passiveState
	// res is the actor's reserved resources, released when it dies.
	res *scheduler.Reservation
	// ns is the accounting of its namespace (set by register).
	ns *tenancy.Namespace
	// depth is how deep in guest-initiated work it was spawned: 0 for
	// Host.Spawn, the spawning guest call's depth + 1 for the spawn import
	// (Config.MaxDepth).
	depth int

	// ready is closed when the constructor has finished; startErr (written
	// before) says whether it failed.
	ready    chan struct{}
	startErr error
	// children owns the actors it spawned (guarded by the directory).
	children directory.Owner[*actor]

	// journal holds the calls completed since the latest checkpoint (or
	// since start-up), for exact restarts; only the worker touches it.
	journal      []*entry
	journalBytes int

	// durable actors outlive the host (Host.durable); jf is their journal
	// on disk (nil in DurabilityCheckpoint mode). Worker only, like journal.
	durable bool
	jf      *journal.File
	// rollingBack is set while rollback checkpoints (worker only), so that
	// a failure there does not roll back again.
	rollingBack bool
	// Checkpoint policy state; worker only.
	lastCheckpoint  time.Time
	sinceCheckpoint int

	mu          sync.Mutex
	state       State
	restarts    int
	sb          *box
	boot        *box // the sandbox being made or started (start), which die interrupts
	died        *ActorDiedError
	checkpoints []*snapshots.State // oldest first, at most snapshots.DefaultKeep
}

// Key, Children, Ready, Started and Damaged make an actor a directory.Entry.
func (a *actor) Key() directory.Key {
	return directory.Key{ID: a.id, Namespace: a.opts.Namespace, Name: a.opts.Name, Class: a.class.Info.ID}
}
func (a *actor) Children() *directory.Owner[*actor] { return &a.children }
func (a *actor) Ready() <-chan struct{}             { return a.ready }
func (a *actor) Started() bool {
	select {
	case <-a.ready:
		return a.startErr == nil
	default:
		return false
	}
}

// call is one method invocation on its way through an actor's mailbox.
type call struct {
	// control, if set, runs instead of a method, between calls, with the
	// actor's sandbox (checkpoint, restore); its result goes to futs[0].
	control func(sb *box) (abi.Value, error)
	// depth is the call's nesting (Config.MaxDepth): 0 from the Go API,
	// the calling guest call's depth + 1 from call and send.
	depth int

	ctx    context.Context
	queued time.Time // when it entered the mailbox
	method string
	midx   int
	args   callvalues.Args[*Future] // encoded once the futures among them are resolved
	futs   []*Future
}

// newIncarnation returns a fresh actor incarnation: 48 random bits, so two
// incarnations of one actor (before and after a host restart) differ but
// for a chance of 2^-48.
func newIncarnation() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (c *call) fail(err error) {
	for _, f := range c.futs {
		f.set(nil, err)
	}
}

// resolve hands a value envelope (KindValue or KindValues) to the futures.
func (c *call) resolve(env abi.Envelope) {
	if err := callvalues.SplitResults(env, len(c.futs), c.method, func(i int, v abi.Value) { c.futs[i].set(v, nil) }); err != nil {
		c.fail(err)
	}
}

// start makes a sandbox and runs the constructor, or restores from. With
// startup, the start-up's nondeterministic inputs are recorded into it (mode
// sandbox.Record) or replayed from it (sandbox.Replay).
func (a *actor) start(ctx context.Context, from *snapshots.State, startup *entry, mode sandbox.Mode) (*box, error) {
	defer a.setBoot(nil)
	sb, err := a.newBox(ctx, from, startup, mode)
	if err != nil {
		return nil, err
	}
	defer sb.StopRecord()
	if sb.HasInit() && from == nil {
		env, err := sb.Invoke(ctx, abi.ExportInit, abi.ExportInit, a.initArgs, a.opts.CallTimeout, a.h.cfg.MaxResultBytes)
		if err != nil {
			sb.Close()
			return nil, err
		}
		if env.Kind == abi.KindError {
			sb.Close()
			return nil, &AppError{Code: env.Code, Message: env.Message}
		}
	}
	a.memBytes.Store(sb.MemoryBytes())
	return sb, nil
}

// setBoot records the sandbox start is making, so that a kill during the
// constructor (or _initialize) interrupts it.
func (a *actor) setBoot(sb *box) {
	a.mu.Lock()
	a.boot = sb
	dead := a.state == StateDead
	a.mu.Unlock()
	if dead && sb != nil {
		sb.Interrupt(TrapKilled)
	}
}

// handle runs one call; the mailbox calls it on a pool worker.
func (a *actor) handle(c *call) {
	a.unqueued()
	// Guest code run from here (the call, a restart's constructor and
	// replay, the checkpoint hooks) yields the mailbox's worker.
	a.yielder.Store(a.mbYield)
	defer a.yielder.Store(nil)
	if c.ctx != nil && c.ctx.Err() != nil {
		c.fail(fmt.Errorf("call cancelled before it ran: %w", c.ctx.Err()))
		return
	}
	a.mu.Lock()
	if a.state == StateDead || a.state == StateDamaged {
		a.mu.Unlock()
		c.fail(a.deathError())
		return
	}
	sb := a.sb
	a.mu.Unlock()
	if sb == nil {
		if sb = a.restart(); sb == nil {
			c.fail(a.deathError())
			return
		}
	}
	if c.control != nil {
		v, err := c.control(sb)
		c.futs[0].set(v, err)
		return
	}
	a.running.Store(&c.method)
	sb.guest.callDepth = c.depth
	// Clock reads cost a noticeable part of a small call: only when an
	// observer or passivation uses them.
	var start time.Time
	if a.h.timed {
		start = time.Now()
		a.lastActive.Store(start.UnixNano())
	}
	var rec *entry
	if a.journaling() {
		rec = &entry{Method: c.method, Index: c.midx, Args: c.args.Encoded}
		sb.Record(rec, sandbox.Record)
	}
	env, err := sb.Invoke(c.ctx, c.method, sb.Method(c.midx), c.args.Encoded, a.opts.CallTimeout, a.h.cfg.MaxResultBytes)
	sb.StopRecord()
	sb.guest.callDepth = 0
	a.running.Store(nil)
	var persistErr error
	if err == nil && rec != nil {
		persistErr = a.record(sb, rec, a.served.Load()+1)
	}
	if err == nil && persistErr == nil {
		a.served.Add(1)
	} else {
		a.failed.Add(1)
	}
	outcome := err
	var appErr *AppError
	if err == nil && env.Kind == abi.KindError {
		appErr = &AppError{Code: env.Code, Message: env.Message}
		outcome = appErr
	}
	if persistErr != nil {
		outcome = fmt.Errorf("%w: %w", ErrPersist, diskError{Err: persistErr})
	}
	if a.h.observed {
		a.h.cfg.Observer.CallDone(CallEvent{ActorID: a.id, Class: a.class.Info.ID, Method: c.method,
			Queued: start.Sub(c.queued), Ran: time.Since(start), Fuel: sb.FuelUsed(), Err: outcome})
	}
	if err != nil {
		a.onTrap(sb, err)
		if died := a.deathError(); died != nil && isKilled(err) {
			err = died
		}
		c.fail(err)
		return
	}
	if persistErr != nil {
		// The call ran but is not durable: it fails, and its effect is
		// undone, so that no later acknowledged call builds on it.
		a.rollback(sb, persistErr)
		c.fail(fmt.Errorf("%w: call %s failed and was rolled back: its journal record could not be written: %w", ErrPersist, c.method, diskError{Err: persistErr}))
		return
	}
	a.memBytes.Store(sb.MemoryBytes())
	a.sinceCheckpoint++
	if sb.ExitRequested() {
		// exit: the actor dies before the futures resolve, so that its name
		// is free once the caller has the reply (for a get-or-create).
		a.die(DeathExited, nil)
	} else if due, err := a.checkpointDue(sb); err != nil {
		// The call completed and is journaled: its result stands, and the
		// actor is rebuilt as it was after it, at no cost to MaxRestarts.
		defer a.rebuildAfterHook(sb, abi.ExportShouldCheckpoint, err)
	} else if due {
		if _, err := a.takeCheckpoint(sb); err != nil {
			a.logs.Add(abi.LogError, "wactor: checkpoint failed: "+err.Error())
		}
	}
	switch {
	case appErr != nil:
		c.fail(appErr)
	default:
		c.resolve(env)
	}
}

// rebuildAfterHook replaces a sandbox whose checkpoint hook failed between
// calls: rebuilt from the latest checkpoint and journal (restart), not
// counted against MaxRestarts. Worker only.
func (a *actor) rebuildAfterHook(sb *box, hook string, cause error) {
	a.logs.Add(abi.LogWarn, fmt.Sprintf("wactor: %s failed (%v); rebuilt from the journal, at no cost to max_restarts", hook, cause))
	sb.Close()
	a.mu.Lock()
	if a.sb == sb {
		a.sb = nil
	}
	a.mu.Unlock()
	a.restart()
}

// rollback undoes a call whose journal record could not be written: the
// sandbox, which holds its effect, is discarded and rebuilt from the latest
// checkpoint and the journal without it (as a restart after a trap, without
// counting as one). A broken journal (one that could not be cut back after
// the failure) is mended by a checkpoint of the rebuilt state, when the
// disk allows. If the state cannot be rebuilt, the actor is damaged.
// Worker only.
func (a *actor) rollback(sb *box, cause error) {
	sb.Close()
	a.mu.Lock()
	if a.sb == sb {
		a.sb = nil
	}
	dead := a.state == StateDead
	a.mu.Unlock()
	if dead {
		return // killed while the call ran (which closed the journal)
	}
	a.h.cfg.Logger.Error("journal write failed: the call is failed and rolled back", slog.String("actor", a.id), slog.Any("err", cause))
	a.logs.Add(abi.LogError, "wactor: a call failed and was rolled back: its journal record could not be written: "+diskError{Err: cause}.Error())
	if a.rollingBack {
		// Within a rollback's own checkpoint: the sandbox is gone, and the
		// next call rebuilds it.
		return
	}
	a.rollingBack = true
	defer func() { a.rollingBack = false }()
	nsb, err := a.rebuild()
	if err != nil {
		a.h.damage(a, "its state could not be rebuilt after a failed journal write: "+err.Error())
		return
	}
	a.mu.Lock()
	if a.state != StateAlive && a.state != StateRestarting {
		a.mu.Unlock()
		nsb.Close()
		return
	}
	a.sb = nsb
	a.mu.Unlock()
	a.memBytes.Store(nsb.MemoryBytes())
	if a.jf != nil && a.jf.Broken() {
		if _, err := a.takeCheckpoint(nsb); err != nil {
			a.h.cfg.Logger.Error("the journal stays unusable: checkpoint failed", slog.String("actor", a.id), slog.Any("err", err))
		}
	}
}

// preempt is the mailbox's OnPreempt hook: the pool wants the running call
// to yield (its time slice is up and other calls wait). The guest stops at
// its next check and calls box.OnYield.
func (a *actor) preempt() {
	if sb := a.inCall.Load(); sb != nil {
		sb.Preempt()
	}
}

// yieldFunc gives a worker place away until its group's turn, or stop.
type yieldFunc func(stop <-chan struct{}) bool

func isKilled(err error) bool {
	var te *TrapError
	return errors.As(err, &te) && te.Reason == TrapKilled
}

// onTrap discards a failed sandbox and restarts the actor if its policy allows.
func (a *actor) onTrap(sb *box, err error) {
	sb.Close()
	a.mu.Lock()
	if a.sb == sb {
		a.sb = nil
	}
	if a.state == StateDead {
		a.mu.Unlock()
		return
	}
	if a.opts.MaxRestarts != -1 && a.restarts >= a.opts.MaxRestarts {
		a.mu.Unlock()
		a.die(DeathRestartsExhausted, err)
		return
	}
	a.restarts++
	a.state = StateRestarting
	a.mu.Unlock()
	a.h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: a.class.Info.ID, State: StateRestarting})
	a.logs.Add(abi.LogWarn, "wactor: sandbox discarded after: "+err.Error())
	a.restart()
}

// restart makes a fresh sandbox holding the state the actor had after its
// last completed call (rebuild: the latest checkpoint or the recorded
// start-up, then the journal replayed). It returns nil if the actor is dead or the restart failed,
// which kills it (a durable one is damaged instead: its files are kept).
func (a *actor) restart() *box {
	a.mu.Lock()
	if a.state == StateDead {
		a.mu.Unlock()
		return nil
	}
	if a.sb != nil {
		sb := a.sb
		a.mu.Unlock()
		return sb
	}
	a.mu.Unlock()
	sb, err := a.rebuild()
	if err != nil {
		if a.durable {
			// Its state is on disk: kept for an operator, not deleted.
			a.h.damage(a, "its state could not be rebuilt: "+err.Error())
			return nil
		}
		a.die(DeathInitFailed, err)
		return nil
	}
	a.mu.Lock()
	if a.state == StateDead {
		a.mu.Unlock()
		sb.Close()
		return nil
	}
	a.sb = sb
	a.state = StateAlive
	a.h.setLive(a, true)
	reactivated := a.passive != nil
	if reactivated {
		a.h.passiveBytes.Add(-int64(len(a.passive.enc)))
	}
	a.passive = nil
	a.mu.Unlock()
	if reactivated {
		a.h.reactivations.Add(1)
		a.h.pool.Blocking(func() { a.h.notePressure(sb.MemoryBytes()) }) // on a worker
	}
	a.h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: a.class.Info.ID, State: StateAlive})
	return sb
}

// die marks the actor dead, fails its queued calls, stops a running call and
// releases its name. Only the first call has an effect.
func (a *actor) die(reason DeathReason, cause error) {
	a.mu.Lock()
	if a.state == StateDead {
		a.mu.Unlock()
		return
	}
	a.state = StateDead
	a.died = &ActorDiedError{ActorID: a.id, Reason: reason, Cause: cause}
	sb, boot := a.sb, a.boot
	a.sb = nil
	a.mu.Unlock()
	a.h.setLive(a, false)
	if a.res != nil {
		a.res.Release()
	}
	if boot != nil {
		// Its constructor runs: stop it (start's caller closes it).
		boot.Interrupt(TrapKilled)
	}
	if sb != nil {
		sb.Interrupt(TrapKilled)
		sb.Close() // now, or when its running call returns
	}
	if a.jf != nil {
		a.jf.Close()
	}
	if a.durable && reason != DeathHostClosed && reason != DeathDiscarded {
		if err := a.h.persist.RemoveActor(context.Background(), a.id); err != nil {
			a.h.cfg.Logger.Error("removing a dead durable actor's files", slog.String("actor", a.id), slog.Any("err", err))
		}
	}
	if a.mb != nil {
		for _, c := range a.mb.Close() {
			a.unqueued()
			c.fail(a.died)
		}
	}
	a.h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: a.class.Info.ID, State: StateDead, Death: reason})
	info := a.info()
	kids := a.h.forget(a, &info)
	a.logs.Add(abi.LogInfo, "wactor: actor died: "+a.died.Error())
	for _, k := range kids {
		k.die(DeathOwnerGone, nil)
	}
}

// deathError is why the actor does not take calls: it died, or it is
// damaged; nil when it takes them.
func (a *actor) deathError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.died != nil {
		return a.died
	}
	return a.Damaged()
}

// Damaged is a *DamagedError while the actor is damaged, else nil.
func (a *actor) Damaged() error {
	if d := a.damage.Load(); d != nil {
		return &DamagedError{ActorID: a.id, Reason: d.Reason}
	}
	return nil
}

func (a *actor) info() ActorInfo {
	a.mu.Lock()
	info := ActorInfo{
		ID: a.id, Name: a.opts.Name, Class: a.class.Info.ID, State: a.state,
		Restarts: a.restarts, Checkpoints: len(a.checkpoints), Options: a.opts.public(), Created: a.created,
	}
	if a.died != nil {
		info.Death = a.died.Reason
		if a.died.Cause != nil {
			info.DeathError = a.died.Cause.Error()
		}
	}
	if d := a.damage.Load(); d != nil && a.died == nil {
		cp := *d
		info.Damage = &cp
	}
	a.mu.Unlock()
	if a.mb != nil {
		info.QueueLen = a.mb.Len()
	}
	info.MemoryBytes = a.memBytes.Load()
	if m := a.running.Load(); m != nil {
		info.Running = *m
	}
	info.CallsServed = a.served.Load() + a.failed.Load()
	return info
}

// Actor is a handle to an actor. Handles are cheap; each handle is one
// caller: calls submitted through one handle run in submission order, also
// when some of them wait for futures. A handle is safe for concurrent use.
type Actor struct {
	a *actor

	mu      sync.Mutex // guards waiting; held while pushing to keep caller order
	waiting []*call    // calls held back behind a call with unresolved futures
}

// ID returns the actor's globally unique ID.
func (h *Actor) ID() string { return h.a.id }

// Ref returns the actor as a handle value, which can be passed to other
// actors (as an argument or result) and resolved with Host.Resolve. Passing
// an *Actor as a call argument passes its Ref.
func (h *Actor) Ref() abi.Handle { return abi.Handle{ID: h.a.id, Class: h.a.class.Info.ID} }

// MarshalCBOR encodes the handle as its Ref, so an *Actor can be passed
// anywhere in a call's arguments (also inside slices, maps and structs).
func (h *Actor) MarshalCBOR() ([]byte, error) { return codec.Encode(h.Ref()) }

// Namespace returns the namespace of the actor's name.
func (h *Actor) Namespace() string { return h.a.opts.Namespace }

// Name returns the actor's name ("" if unnamed).
func (h *Actor) Name() string { return h.a.opts.Name }

// Class returns the actor's class ID.
func (h *Actor) Class() string { return h.a.class.Info.ID }

// Info returns the actor's current state.
func (h *Actor) Info() ActorInfo { return h.a.info() }

// Logs returns the actor's kept log lines with Seq >= since, and a channel
// that is closed when a newer line arrives (for following the log).
//
// A dead actor's log keeps its last Config.DeadLogBytes while the host
// keeps the actor (Config.KeepDead, Config.KeepDeadFor), then nothing.
func (h *Actor) Logs(since uint64) ([]LogLine, <-chan struct{}) { return h.a.logs.Since(since) }

// LogStats describes what the actor's log keeps and what it dropped.
func (h *Actor) LogStats() LogStats {
	_, st, _ := h.a.logs.Page(^uint64(0))
	return st
}

// Call submits a call and returns one future for its result (for a
// multi-return method, the whole tuple as one array value). It returns at
// once; Future.Get waits. ctx governs the call itself: cancelled before the
// call starts, the call is dropped; cancelled while it runs, the guest is
// stopped (which discards its sandbox, as a trap does).
func (h *Actor) Call(ctx context.Context, method string, args ...any) (*Future, error) {
	futs, err := h.Submit(ctx, method, CallOptions{NumReturns: 1}, args...)
	if err != nil {
		return nil, err
	}
	return futs[0], nil
}

// Invoke is Call followed by Get: a synchronous call.
func (h *Actor) Invoke(ctx context.Context, method string, args ...any) (abi.Value, error) {
	f, err := h.Call(ctx, method, args...)
	if err != nil {
		return nil, err
	}
	return f.Get(ctx)
}

// Submit submits a call and returns one future per return value. Arguments
// are Go values (encoded as CBOR), abi.Value (passed as is) or *Future (the
// call waits for it and receives its value). Errors that can be known before
// the call runs are returned here: unknown method, wrong arity, arguments
// that do not encode or are too large, a dead actor, a full mailbox.
func (h *Actor) Submit(ctx context.Context, method string, opts CallOptions, args ...any) ([]*Future, error) {
	a := h.a
	if err := a.deathError(); err != nil {
		return nil, err
	}
	midx, m, err := a.class.Lookup(method)
	if err != nil {
		return nil, err
	}
	if m.Checked && !m.Spec.CheckArity(len(args)) {
		return nil, fmt.Errorf("%w: %s takes %d, got %d", ErrArity, method, len(m.Spec.Params), len(args))
	}
	n := opts.NumReturns
	if n == 0 {
		n = m.Spec.DefaultReturns()
	}
	if n < 1 || n > 64 {
		return nil, fmt.Errorf("%w: num_returns %d out of range 1..64", ErrInvalidOptions, n)
	}
	var cancel context.CancelFunc
	if opts.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
	}
	c := &call{ctx: ctx, method: method, midx: midx}
	if err := c.args.Encode(args, a.h.cfg.MaxArgBytes); err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, err
	}
	seq := a.seq.Add(1)
	c.futs = make([]*Future, n)
	for i := range c.futs {
		c.futs[i] = newFuture(a, seq, i)
	}
	if err := h.enqueue(c); err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, err
	}
	if cancel != nil {
		// The timer goes once the call is done (its futures are all set
		// together).
		c.futs[0].whenDone(cancel)
	}
	return c.futs, nil
}

// submitEncoded submits a call whose arguments are already an encoded
// array of n elements (a guest's call), with the method's default number of
// results.
func (h *Actor) submitEncoded(ctx context.Context, depth int, method string, args []byte, n int) ([]*Future, error) {
	a := h.a
	midx, m, err := a.class.Lookup(method)
	if err != nil {
		return nil, err
	}
	if m.Checked && !m.Spec.CheckArity(n) {
		return nil, fmt.Errorf("%w: %s takes %d, got %d", ErrArity, method, len(m.Spec.Params), n)
	}
	if err := callvalues.CheckSize(len(args), a.h.cfg.MaxArgBytes); err != nil {
		return nil, err
	}
	c := &call{ctx: ctx, depth: depth, method: method, midx: midx, args: callvalues.Args[*Future]{Encoded: args}, futs: []*Future{newFuture(a, a.seq.Add(1), 0)}}
	if err := h.enqueue(c); err != nil {
		return nil, err
	}
	return c.futs, nil
}

// enqueue pushes c to the mailbox, or holds it behind earlier calls of this
// handle that wait for futures, keeping the handle's calls in order.
func (h *Actor) enqueue(c *call) error {
	h.mu.Lock()
	if len(h.waiting) == 0 && c.args.Ready() {
		err := h.a.push(c)
		h.mu.Unlock()
		return err
	}
	h.waiting = append(h.waiting, c)
	h.mu.Unlock()
	for _, d := range c.args.Deps() {
		if d != nil {
			d.whenDone(h.flush)
		}
	}
	h.flush()
	return nil
}

// flush pushes the held calls whose futures are resolved, in order, up to
// the first one still waiting.
func (h *Actor) flush() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.waiting) > 0 && h.waiting[0].args.Ready() {
		c := h.waiting[0]
		h.waiting[0] = nil
		h.waiting = h.waiting[1:]
		if err := h.a.push(c); err != nil {
			c.fail(err)
		}
	}
}

// unqueued uncounts a call that left the mailbox (to run, or failed
// there), or that push counted and the mailbox refused: the host's
// queued calls (Config.MaxQueuedCalls) and its namespace's pending ones
// (Quota.PendingCalls) go together.
func (a *actor) unqueued() {
	a.h.queued.Add(-1)
	a.ns.DonePending()
}

// push materializes the arguments and puts the call in the mailbox. A
// failed future argument (or arguments that grew too large) fails the call's
// futures, whether or not the future was resolved at submission, so the
// outcome does not depend on timing; only mailbox errors are returned.
func (a *actor) push(c *call) error {
	if a.mb == nil { // a damaged actor has no mailbox
		if err := a.deathError(); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s", ErrActorNotFound, a.id)
	}
	if err := c.args.Resolve((*Future).result, a.h.cfg.MaxArgBytes); err != nil {
		c.fail(err)
		return nil
	}
	if a.h.observed {
		c.queued = time.Now()
	}
	if max := a.h.cfg.MaxQueuedCalls; a.h.queued.Add(1) > int64(max) {
		a.h.queued.Add(-1)
		return fmt.Errorf("%w: the host has %d calls queued (max_queued_calls)", ErrBackpressure, max)
	}
	if err := a.ns.AddPending(); err != nil {
		a.h.queued.Add(-1)
		return err
	}
	switch err := a.mb.Push(c); {
	case err == nil:
		return nil
	case errors.Is(err, scheduler.ErrFull):
		a.unqueued()
		return fmt.Errorf("%w: actor %s has %d pending calls", ErrBackpressure, a.id, a.opts.MaxPending)
	default:
		a.unqueued()
		if d := a.deathError(); d != nil {
			return d
		}
		return fmt.Errorf("actor %s: %w", a.id, err)
	}
}

// Kill kills the actor: a running call is stopped, queued calls fail with
// ErrActorDied (reason killed), and its name is released.
func (h *Actor) Kill(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h.a.die(DeathKilled, nil)
	return nil
}
