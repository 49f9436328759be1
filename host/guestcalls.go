package host

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/sandbox"
	"github.com/wactor/wactor/host/tenancy"
	"github.com/wactor/wactor/internal/futuretable"
	"github.com/wactor/wactor/snapshots"
)

// Actor-to-actor calls: the host side of the wactor.call, send, await,
// spawn, get_actor, kill and take imports (docs/ABI.md section 6). They run
// on the calling actor's worker, inside its guest call. Every outcome is an
// envelope left pending in the sandbox for the guest to take.

// guestState is the per-sandbox state of actor-to-actor calls. Only the
// goroutine running the sandbox's guest call touches it (futures excepted,
// which resolutions update).
type guestState struct {
	futures  futuretable.Table[*Future] // from send, until awaited
	outgoing map[string]*Actor          // one caller handle per target, for per-caller order
	// callDepth is the depth of the call running (call.depth), 0 for a
	// constructor or between calls.
	callDepth int
}

// resultSize is what a resolved future's result counts against
// futuretable.MaxKeptBytes.
func resultSize(f *Future) int {
	v, err := f.result()
	n := len(v) + 64
	if err != nil {
		n += len(err.Error())
	}
	return n
}

// nextDepth is the depth of a spawn, call or send the running guest call
// makes: one more than its own (Config.MaxDepth).
func (sb *box) nextDepth(a *actor) (int, error) {
	d := max(a.depth, sb.guest.callDepth) + 1
	if limit := a.h.cfg.MaxDepth; limit >= 0 && d > limit {
		return 0, fmt.Errorf("%w: depth %d exceeds the limit of %d (max_depth): each spawn, call or send made from inside a guest call is one level deeper than that call", ErrQuota, d, limit)
	}
	return d, nil
}

// block runs fn, which waits, leaving the pool's count if the guest call
// runs on a worker place: a.yielder is set exactly then (handle on a
// mailbox worker, or startScheduled's place for a constructor).
func (sb *box) block(a *actor, fn func()) {
	if a.yielder.Load() != nil {
		a.h.pool.Blocking(fn)
		return
	}
	fn()
}

// guestSpawn, in a spawn's context, says that a guest asked for it
// (Host.spawn): the spawning actor, which waits for the child's constructor,
// and the child's depth.
type guestSpawn struct {
	parent *actor
	depth  int
}

type guestSpawnKey struct{}

func withGuestSpawn(ctx context.Context, gs guestSpawn) context.Context {
	return context.WithValue(ctx, guestSpawnKey{}, gs)
}

// spawnDepth is the depth of the actor a spawn with ctx creates (0 for
// Host.Spawn).
func spawnDepth(ctx context.Context) int {
	gs, _ := ctx.Value(guestSpawnKey{}).(guestSpawn)
	return gs.depth
}

// waitForChild records, for the deadlock check, that the guest spawning a
// waits for a's constructor: a constructor calling its parent then fails
// with wactor.deadlock instead of waiting for a deadline. The returned
// function removes the wait.
func waitForChild(ctx context.Context, a *actor) func() {
	gs, _ := ctx.Value(guestSpawnKey{}).(guestSpawn)
	if gs.parent == nil || a.h.waitFor(gs.parent, a) != nil {
		return func() {}
	}
	return func() { a.h.waits.RemoveIf(gs.parent, a) }
}

// waitFor records, in the host's wait graph, that a waits for b, or
// returns ErrDeadlock naming the cycle that wait would close.
func (h *Host) waitFor(a, b *actor) error {
	cycle := h.waits.Add(a, b)
	if cycle == nil {
		return nil
	}
	names := make([]string, len(cycle))
	for i, c := range cycle {
		names[i] = c.label()
	}
	return fmt.Errorf("%w: %s", ErrDeadlock, strings.Join(names, " -> "))
}

// label names an actor in messages: its name if it has one, else its ID.
func (a *actor) label() string {
	if a.opts.Name != "" {
		return a.opts.Name + "(" + a.id[:8] + ")"
	}
	return a.id
}

// maxOutgoing bounds a sandbox's cache of handles to the actors its guest
// called: without it, a guest that spawns, calls and kills actors in a loop
// would keep every dead actor's record alive for as long as it lives.
const maxOutgoing = 256

// cacheOutgoing keeps hd as the handle for calls to id. The cache only saves
// a lookup (a guest's calls carry no futures, so they reach the mailbox in
// order whatever handle pushes them): when full, dead targets go first, then
// everything.
func (sb *box) cacheOutgoing(id string, hd *Actor) {
	if sb.guest.outgoing == nil {
		sb.guest.outgoing = map[string]*Actor{}
	}
	if len(sb.guest.outgoing) >= maxOutgoing {
		for k, h := range sb.guest.outgoing {
			if h.a.deathError() != nil {
				delete(sb.guest.outgoing, k)
			}
		}
		if len(sb.guest.outgoing) >= maxOutgoing {
			clear(sb.guest.outgoing)
		}
	}
	sb.guest.outgoing[id] = hd
}

// submitFromGuest sends one call (op: "call" or "send") from actor a to the
// target handle, an actor of a's namespace, at depth; ctx cancels it
// (a send's is never cancelled). method is a view of guest memory
// (viewBytes), copied only once it is no longer than the target class's
// longest method name.
func (sb *box) submitFromGuest(ctx context.Context, a *actor, op string, depth int, target, method, args []byte) (*Future, *actor, error) {
	ref, err := sandbox.DecodeTarget(target)
	if err != nil {
		return nil, nil, err
	}
	n, err := abi.ArgCount(args)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: arguments: %w", ErrInvalidArgument, err)
	}
	hd := sb.guest.outgoing[ref.ID]
	if hd == nil {
		if hd, err = a.h.Actor(context.Background(), ref.ID); err != nil {
			return nil, nil, err
		}
		// The handle is only bytes the guest chose: the host's record of
		// the target says where it lives.
		if err := a.sameNamespace(op, hd.a); err != nil {
			return nil, nil, err
		}
		sb.cacheOutgoing(ref.ID, hd)
	}
	if err := hd.a.deathError(); err != nil {
		delete(sb.guest.outgoing, ref.ID)
		return nil, nil, err
	}
	if len(method) > hd.a.class.MaxMethodName() {
		return nil, nil, fmt.Errorf("%w: a method name of %d bytes (class %s has none longer than %d)", ErrMethodNotFound, len(method), hd.a.class.Info.ID, hd.a.class.MaxMethodName())
	}
	if !utf8.Valid(method) {
		return nil, nil, fmt.Errorf("%w: method name is not UTF-8", ErrInvalidArgument)
	}
	futs, err := hd.submitEncoded(ctx, depth, string(method), args, n)
	if err != nil {
		return nil, nil, err
	}
	return futs[0], hd.a, nil
}

// testHookBeforeWait, set by tests only, runs in wait before the waiting
// actor's edge enters the wait graph: it lets a test order the edges of a
// cycle (a failpoint, as bbolt's).
var testHookBeforeWait func(a *actor)

// wait blocks the calling actor until f resolves, refusing waits that would
// deadlock and giving up when the actor's own call is interrupted (then
// cancel, if not nil, cancels the call waited for: a chain of waiting
// actors comes down from its root).
func (sb *box) wait(a *actor, f *Future, on *actor, cancel context.CancelFunc) []byte {
	if !f.Ready() {
		if testHookBeforeWait != nil {
			testHookBeforeWait(a)
		}
		if err := a.h.waitFor(a, on); err != nil {
			return sandbox.Outcome(nil, err)
		}
		defer a.h.waits.Remove(a)
		stop := sb.Stopped()
		sb.block(a, func() {
			select {
			case <-f.doneChan():
			case <-stop:
			}
		})
		if !f.Ready() {
			if cancel != nil {
				cancel()
			}
			return sandbox.ErrorEnvelope(abi.CodeCancelled, "the calling actor's call was interrupted while it waited")
		}
	}
	return sandbox.Outcome(f.result())
}

// callFromGuest makes a synchronous call for the call import and returns
// its recorded outcome.
func (sb *box) callFromGuest(a *actor, target, method, args []byte) []byte {
	var env []byte
	release, err := a.ns.AcquireWait()
	if err == nil {
		defer release()
	}
	if err != nil {
		env = sandbox.Outcome(nil, err)
	} else if depth, err := sb.nextDepth(a); err != nil {
		env = sandbox.Outcome(nil, err)
	} else {
		// The call is cancelled if this guest's own call is interrupted
		// while it waits (wait calls cancel): a chain of waiting actors
		// comes down from its root. Not when the wait is refused as a
		// deadlock: the call is then running or queued inside the cycle,
		// and cancelling it would trap innocent actors of the cycle (the
		// refusal alone breaks it), so the deferred cancel only runs once
		// the call is done, to free the context.
		ctx, cancel := context.WithCancel(context.Background())
		f, on, err := sb.submitFromGuest(ctx, a, "call", depth, target, method, args)
		defer func() {
			if f == nil || f.Ready() {
				cancel()
			}
		}()
		if err != nil {
			env = sandbox.Outcome(nil, err)
		} else {
			env = sb.wait(a, f, on, cancel)
		}
	}
	return env
}

// spawnChild spawns a child of a for the spawn import. The child's spawn,
// its constructor included, runs on a goroutine of its own, never on the
// calling guest's stack (a constructor that spawns its own class would
// otherwise recurse until the stack overflows); the guest waits for it, and
// gives up when its own call is interrupted, which cancels the spawn.
func (sb *box) spawnChild(a *actor, classID string, args []byte, o abi.SpawnOptions) (abi.Value, error) {
	if ms := deref(o.CallTimeoutMS); ms < 0 {
		return nil, fmt.Errorf("%w: negative call_timeout_ms", ErrInvalidOptions)
	} else if max := a.h.cfg.MaxCallTimeout.Milliseconds(); ms > max { // before the conversion can overflow
		return nil, fmt.Errorf("%w: call_timeout_ms %d exceeds the host's maximum of %d", ErrInvalidOptions, ms, max)
	}
	if o.Namespace != "" && o.Namespace != a.opts.Namespace {
		ns := tenancy.Clip(o.Namespace)
		return nil, a.forbid("spawn", ns, "spawn: namespace %q: an actor spawns only into its own namespace %q", ns, a.opts.Namespace)
	}
	c := a.class
	if classID != "" {
		var err error
		if c, err = a.h.classes.GetIn(a.opts.Namespace, classID); err != nil {
			return nil, err
		}
	}
	n, err := abi.ArgCount(args)
	if err != nil {
		return nil, fmt.Errorf("%w: arguments: %w", ErrInvalidArgument, err)
	}
	opts := Options{
		Name: o.Name, Namespace: a.opts.Namespace, Detached: o.Detached, GetIfExists: o.GetIfExists,
		MaxRestarts: o.MaxRestarts, MemoryPages: o.MemoryPages,
	}
	if o.CallTimeoutMS != nil {
		opts.CallTimeout = api.Ptr(time.Duration(*o.CallTimeoutMS) * time.Millisecond)
	}
	depth, err := sb.nextDepth(a)
	if err != nil {
		return nil, err
	}
	release, err := a.ns.AcquireWait()
	if err != nil {
		return nil, err
	}
	defer release()
	ctx, cancel := context.WithCancel(withGuestSpawn(a.h.base, guestSpawn{parent: a, depth: depth}))
	defer cancel() // stops the spawn if this guest gave up on it
	var child *Actor
	var childErr error
	done := make(chan struct{})
	a.h.spawns.Go(func() {
		defer close(done)
		child, childErr = a.h.spawn(ctx, &a.children, c, opts, args, n, nil)
	})
	// A spawn may wait (for resources, for passivations under memory
	// pressure, for the constructor): off the pool's count, like a wait
	// for another actor.
	stop := sb.Stopped()
	interrupted := false
	sb.block(a, func() {
		select {
		case <-done:
		case <-stop:
			interrupted = true
		}
	})
	if interrupted {
		return nil, fmt.Errorf("spawn: the calling actor's call was interrupted while it waited: %w", context.Canceled)
	}
	if childErr != nil {
		return nil, childErr
	}
	return codec.Encode(child.Ref())
}

func (a *actor) killFromGuest(target []byte) []byte {
	ref, err := sandbox.DecodeTarget(target)
	if err != nil {
		return sandbox.Outcome(nil, err)
	}
	t, err := a.h.dir.Find(ref.ID)
	if err != nil {
		return sandbox.Outcome(nil, err)
	}
	if err := a.sameNamespace("kill", t); err != nil {
		return sandbox.Outcome(nil, err)
	}
	t.die(DeathKilled, fmt.Errorf("killed by actor %s", a.id))
	return sandbox.Outcome(abi.Null(), nil)
}

// box is an actor's sandbox with the actor-level state of its guest's
// imports. It is the sandbox's Owner and Imports: the host side of the
// actor-level imports (call, send, await, spawn, get_actor, kill), which
// the sandbox's trampolines call once they read and bounded the guest's
// inputs, and which record their outcomes for a replay.
type box struct {
	*sandbox.Sandbox
	a     *actor
	guest guestState
}

// newBox makes a sandbox of a (sandbox.New), from a state or not, with its
// start-up recorded or replayed (mode).
func (a *actor) newBox(ctx context.Context, from *snapshots.State, startup *entry, mode sandbox.Mode) (*box, error) {
	b := &box{a: a}
	cfg := sandbox.Config{
		Class: a.class.Class, ActorID: a.id, MemoryPages: a.opts.MemoryPages, Fuel: a.opts.Fuel,
		Timeout: a.opts.CallTimeout, MaxArgBytes: a.h.cfg.MaxArgBytes,
		From: from, Startup: startup, Mode: mode, Owner: b, Imports: b,
	}
	if a.logs != nil {
		cfg.Log = a.logs
	}
	if a.ns != nil {
		cfg.Meter = a.ns
	}
	sb, err := sandbox.New(ctx, a.h.eng, cfg)
	if err != nil {
		return nil, err
	}
	b.Sandbox = sb
	return b, nil
}

// Booted implements sandbox.Owner: a kill from now on interrupts the
// sandbox's guest code.
func (b *box) Booted(sb *sandbox.Sandbox) {
	b.Sandbox = sb
	b.a.setBoot(b)
}

// CallStarted implements sandbox.Owner: the sandbox is the one the pool
// asks to yield (actor.preempt).
func (b *box) CallStarted(*sandbox.Sandbox) { b.a.inCall.Store(b) }

// CallEnded implements sandbox.Owner.
func (b *box) CallEnded(*sandbox.Sandbox) { b.a.inCall.CompareAndSwap(b, nil) }

// OnYield implements sandbox.Owner: when the pool asked the call to yield
// (actor.preempt), the call gives its worker to waiting work and waits for
// its namespace's turn, or until it is interrupted (killed, deadline,
// cancelled), which the guest's next check then obeys. Only guest code run
// on a worker place yields: from the mailbox (calls, restarts) or from
// Spawn's place for the constructor (actor.yielder); recovery at New does
// not.
func (b *box) OnYield(*sandbox.Sandbox) {
	a := b.a
	if a.inCall.Load() != b {
		return
	}
	if y := a.yielder.Load(); y != nil {
		(*y)(b.Stopped())
	}
}

// Blocking implements sandbox.Owner: a sleep gives its worker away as a
// waiting guest (Quota.Waiting, Config.MaxWaiting), else sleeps on it.
func (b *box) Blocking(_ *sandbox.Sandbox, wait func()) {
	if release, err := b.a.ns.AcquireWait(); err == nil {
		defer release()
		b.block(b.a, wait)
		return
	}
	wait()
}

// Call implements sandbox.Imports (wactor.call).
func (b *box) Call(target, method, args []byte) []byte {
	return b.callFromGuest(b.a, target, method, args)
}

// Send implements sandbox.Imports (wactor.send).
func (b *box) Send(target, method, args []byte) (int64, []byte) {
	a := b.a
	depth, err := b.nextDepth(a)
	if err == nil {
		if n := b.guest.futures.Unresolved(); n >= maxGuestFutures {
			err = fmt.Errorf("%w: %d futures sent by this actor are not resolved yet (at most %d)", ErrQuota, n, maxGuestFutures)
		}
	}
	var f *Future
	if err == nil {
		f, _, err = b.submitFromGuest(context.Background(), a, "send", depth, target, method, args)
	}
	if err != nil {
		return 0, sandbox.Outcome(nil, err)
	}
	g := &b.guest.futures
	id := g.Add(f)
	f.whenDone(func() { g.Resolved(id, f, resultSize) })
	return id, nil
}

// Await implements sandbox.Imports (wactor.await).
func (b *box) Await(id int64) []byte {
	a := b.a
	release, err := a.ns.AcquireWait()
	if err != nil {
		return sandbox.Outcome(nil, err) // the future stays, for a later await
	}
	defer release()
	f, ok, dropped := b.guest.futures.Take(id)
	switch {
	case dropped:
		return sandbox.ErrorEnvelope(abi.CodeQuota, fmt.Sprintf("future %d was dropped: it was not awaited while newer results arrived (at most %d results, %d MiB, of futures not awaited are kept)",
			id, futuretable.MaxKept, futuretable.MaxKeptBytes>>20))
	case !ok:
		return sandbox.ErrorEnvelope(abi.CodeBadArgs, fmt.Sprintf("no future %d (each future can be awaited once)", id))
	}
	on, _ := a.h.dir.Find(f.actorID)
	return b.wait(a, f, on, nil)
}

// Spawn implements sandbox.Imports (wactor.spawn).
func (b *box) Spawn(classID, args []byte, opts abi.SpawnOptions) []byte {
	return sandbox.Outcome(b.spawnChild(b.a, string(classID), args, opts))
}

// GetActor implements sandbox.Imports (wactor.get_actor).
func (b *box) GetActor(ns, name []byte) []byte {
	a := b.a
	if len(ns) > 0 && string(ns) != a.opts.Namespace {
		other := tenancy.ClipBytes(ns)
		return sandbox.Outcome(nil, a.forbid("get_actor", other, "get_actor: namespace %q: an actor looks up only actors of its own namespace %q", other, a.opts.Namespace))
	}
	hd, err := a.h.Lookup(context.Background(), a.opts.Namespace, string(name))
	if err != nil {
		return sandbox.Outcome(nil, err)
	}
	return sandbox.Outcome(codec.Encode(hd.Ref()))
}

// Kill implements sandbox.Imports (wactor.kill).
func (b *box) Kill(target []byte) []byte { return b.a.killFromGuest(target) }
