package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/sandbox"
	"github.com/wactor/wactor/snapshots"
)

// Actor-to-actor calls: the host side of the wactor.call, send, await,
// spawn, get_actor, kill and take imports (docs/ABI.md section 6). They run
// on the calling actor's worker, inside its guest call. Every outcome is an
// envelope left pending in the sandbox for the guest to take.

// errBadHandle marks a target that is not an actor handle (wactor.bad_handle).
var errBadHandle = errors.New("not an actor handle")

// decodeTarget decodes the target handle of an actor-call import.
func decodeTarget(b []byte) (abi.Handle, error) {
	ref, err := abi.DecodeHandle(b)
	if err != nil {
		return ref, fmt.Errorf("%w: %w: %w", ErrInvalidArgument, errBadHandle, err)
	}
	return ref, nil
}

// errorCode maps a host error to the code a guest sees.
func errorCode(err error) (code, msg string) {
	var ae *AppError
	if errors.As(err, &ae) {
		return ae.Code, ae.Message
	}
	msg = err.Error()
	switch {
	case errors.Is(err, errBadHandle):
		return abi.CodeBadHandle, msg
	case errors.Is(err, ErrForbidden):
		return abi.CodeForbidden, msg
	case errors.Is(err, ErrDeadlock):
		return abi.CodeDeadlock, msg
	case errors.Is(err, ErrActorDied):
		return abi.CodeActorDied, msg
	case errors.Is(err, ErrTrap):
		return abi.CodeTrap, msg
	case errors.Is(err, ErrActorNotFound):
		return abi.CodeActorNotFound, msg
	case errors.Is(err, ErrMethodNotFound):
		return abi.CodeMethodNotFound, msg
	case errors.Is(err, ErrArity):
		return abi.CodeArity, msg
	case errors.Is(err, ErrBackpressure):
		return abi.CodeBackpressure, msg
	case errors.Is(err, ErrQuota):
		return abi.CodeQuota, msg
	case errors.Is(err, ErrNameTaken):
		return abi.CodeNameTaken, msg
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrTooLarge), errors.Is(err, ErrInvalidOptions),
		errors.Is(err, ErrClassNotFound), errors.Is(err, abi.ErrMalformed):
		return abi.CodeBadArgs, msg
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return abi.CodeCancelled, msg
	}
	return abi.CodeError, msg
}

func errorEnvelope(code, msg string) []byte {
	b, _ := abi.EncodeEnvelope(abi.Envelope{Kind: abi.KindError, Code: code, Message: msg})
	return b
}

func envelopeFor(v abi.Value, err error) []byte {
	if err != nil {
		return errorEnvelope(errorCode(err))
	}
	b, _ := abi.EncodeEnvelope(abi.Envelope{Kind: abi.KindValue, Values: []abi.Value{v}})
	return b
}

// guestState is the per-sandbox state of actor-to-actor calls. Only the
// goroutine running the sandbox's guest call touches it (futures excepted,
// which resolutions update).
type guestState struct {
	futures  guestFutures      // from send, until awaited
	outgoing map[string]*Actor // one caller handle per target, for per-caller order
	// callDepth is the depth of the call running (call.depth), 0 for a
	// constructor or between calls.
	callDepth int
}

// Bounds of a sandbox's futures (docs/ABI.md section 6): futures not yet
// resolved count against maxGuestFutures (a send past it fails with
// wactor.quota); of the resolved ones not yet awaited, at most
// maxKeptResults results, together at most maxKeptResultBytes, are kept for
// await, the oldest dropped first.
const (
	maxKeptResults     = 10_000
	maxKeptResultBytes = 64 << 20
	maxDroppedSpans    = 1000 // runs of dropped futures that await names as such
)

// guestFutures holds the futures a guest sent and has not awaited. Safe for
// concurrent use: futures resolve on other goroutines.
type guestFutures struct {
	mu         sync.Mutex
	m          map[int64]*guestFuture
	next       int64
	unresolved int     // sent, not yet resolved (awaited or not)
	done       []int64 // resolution order of kept results; may hold stale IDs
	kept       int     // resolved futures in m
	keptBytes  int
	dropped    []idSpan // the newest runs of dropped future numbers
}

// idSpan is the future numbers lo..hi.
type idSpan struct{ lo, hi int64 }

func (g *guestFutures) drop(id int64) {
	if n := len(g.dropped); n > 0 && g.dropped[n-1].hi+1 == id {
		g.dropped[n-1].hi = id
		return
	}
	if len(g.dropped) >= maxDroppedSpans {
		g.dropped = append(g.dropped[:0], g.dropped[1:]...)
	}
	g.dropped = append(g.dropped, idSpan{id, id})
}

func (g *guestFutures) wasDropped(id int64) bool {
	for _, s := range g.dropped {
		if s.lo <= id && id <= s.hi {
			return true
		}
	}
	return false
}

type guestFuture struct {
	f    *Future
	kept bool // resolved, counted in kept and keptBytes
	size int
}

// full refuses a new future while maxGuestFutures are unresolved.
func (g *guestFutures) full() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.unresolved >= maxGuestFutures {
		return fmt.Errorf("%w: %d futures sent by this actor are not resolved yet (at most %d)", ErrQuota, g.unresolved, maxGuestFutures)
	}
	return nil
}

// add keeps f and returns its number.
func (g *guestFutures) add(f *Future) int64 {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[int64]*guestFuture{}
	}
	g.next++
	id := g.next
	g.m[id] = &guestFuture{f: f}
	g.unresolved++
	g.mu.Unlock()
	f.whenDone(func() { g.resolved(id, f) })
	return id
}

// resolved counts f's result as kept until awaited, dropping the oldest
// kept results past the bounds.
func (g *guestFutures) resolved(id int64, f *Future) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.unresolved--
	e := g.m[id]
	if e == nil || e.f != f {
		return // awaited already
	}
	v, err := f.result()
	e.kept, e.size = true, len(v)+64
	if err != nil {
		e.size += len(err.Error())
	}
	g.kept++
	g.keptBytes += e.size
	g.done = append(g.done, id)
	for len(g.done) > 0 && (g.kept > maxKeptResults || g.keptBytes > maxKeptResultBytes) {
		old := g.done[0]
		g.done = g.done[1:]
		if o := g.m[old]; o != nil && o.kept {
			delete(g.m, old)
			g.kept--
			g.keptBytes -= o.size
			g.drop(old)
		}
	}
	if len(g.done) > 2*g.kept+64 { // drop the IDs awaited since
		live := make([]int64, 0, g.kept)
		for _, x := range g.done {
			if o := g.m[x]; o != nil && o.kept {
				live = append(live, x)
			}
		}
		g.done = live
	}
}

// take removes future id for await. It returns nil if there is none, and
// whether it was dropped (not awaited while newer results arrived).
func (g *guestFutures) take(id int64) (f *Future, dropped bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.m[id]
	if e == nil {
		return nil, g.wasDropped(id)
	}
	delete(g.m, id)
	if e.kept {
		g.kept--
		g.keptBytes -= e.size
	}
	return e.f, false
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
	if gs.parent == nil || a.h.waits.add(gs.parent, a) != nil {
		return func() {}
	}
	return func() { a.h.waits.removeIf(gs.parent, a) }
}

// waitGraph records which actor each blocked actor waits for, to refuse a
// wait that would close a cycle. Safe for concurrent use.
type waitGraph struct {
	mu sync.Mutex
	on map[*actor]*actor
}

// add records that a waits for b, or returns ErrDeadlock naming the cycle.
func (g *waitGraph) add(a, b *actor) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	chain := []*actor{a}
	for x := b; x != nil; x = g.on[x] {
		chain = append(chain, x)
		if x == a {
			names := make([]string, len(chain))
			for i, c := range chain {
				names[i] = c.label()
			}
			return fmt.Errorf("%w: %s", ErrDeadlock, strings.Join(names, " -> "))
		}
		if len(chain) > 10000 {
			break
		}
	}
	if g.on == nil {
		g.on = map[*actor]*actor{}
	}
	g.on[a] = b
	return nil
}

func (g *waitGraph) remove(a *actor) {
	g.mu.Lock()
	delete(g.on, a)
	g.mu.Unlock()
}

// removeIf removes a's wait if it is for b.
func (g *waitGraph) removeIf(a, b *actor) {
	g.mu.Lock()
	if g.on[a] == b {
		delete(g.on, a)
	}
	g.mu.Unlock()
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
	ref, err := decodeTarget(target)
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
		if err := a.h.waits.add(a, on); err != nil {
			return envelopeFor(nil, err)
		}
		defer a.h.waits.remove(a)
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
			return errorEnvelope(abi.CodeCancelled, "the calling actor's call was interrupted while it waited")
		}
	}
	return envelopeFor(f.result())
}

// callFromGuest makes a synchronous call for the call import and returns
// its recorded outcome.
func (sb *box) callFromGuest(a *actor, target, method, args []byte) []byte {
	var env []byte
	release, err := acquireWait(a)
	if err == nil {
		defer release()
	}
	if err != nil {
		env = envelopeFor(nil, err)
	} else if depth, err := sb.nextDepth(a); err != nil {
		env = envelopeFor(nil, err)
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
			env = envelopeFor(nil, err)
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
func (sb *box) spawnChild(a *actor, classID string, args, rawOpts []byte) (abi.Value, error) {
	var o abi.SpawnOptions
	if len(rawOpts) > 0 {
		if err := abi.Validate(rawOpts); err != nil {
			return nil, fmt.Errorf("%w: spawn options: %w", ErrInvalidArgument, err)
		}
		if err := codec.Decode(abi.Value(rawOpts), &o); err != nil {
			return nil, fmt.Errorf("%w: spawn options: %w", ErrInvalidArgument, err)
		}
	}
	if ms := deref(o.CallTimeoutMS); ms < 0 {
		return nil, fmt.Errorf("%w: negative call_timeout_ms", ErrInvalidOptions)
	} else if max := a.h.cfg.MaxCallTimeout.Milliseconds(); ms > max { // before msDuration can overflow
		return nil, fmt.Errorf("%w: call_timeout_ms %d exceeds the host's maximum of %d", ErrInvalidOptions, ms, max)
	}
	if o.Namespace != "" && o.Namespace != a.opts.Namespace {
		ns := clip(o.Namespace)
		return nil, a.forbid("spawn", ns, "spawn: namespace %q: an actor spawns only into its own namespace %q", ns, a.opts.Namespace)
	}
	c := a.class
	if classID != "" {
		var err error
		if c, err = a.h.classIn(a.opts.Namespace, classID); err != nil {
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
		opts.CallTimeout = api.Ptr(msDuration(*o.CallTimeoutMS))
	}
	depth, err := sb.nextDepth(a)
	if err != nil {
		return nil, err
	}
	release, err := acquireWait(a)
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
	ref, err := decodeTarget(target)
	if err != nil {
		return envelopeFor(nil, err)
	}
	t, err := a.h.actorByID(ref.ID)
	if err != nil {
		return envelopeFor(nil, err)
	}
	if err := a.sameNamespace("kill", t); err != nil {
		return envelopeFor(nil, err)
	}
	t.die(DeathKilled, fmt.Errorf("killed by actor %s", a.id))
	return envelopeFor(abi.Null(), nil)
}

// closedChan is a closed channel.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

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
func (a *actor) newBox(ctx context.Context, from *snapshots.State, startup *entry, mode recMode) (*box, error) {
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

// Call implements sandbox.Imports (wactor.call).
func (b *box) Call(target, method, args []byte) []byte {
	return b.callFromGuest(b.a, target, method, args)
}

// Send implements sandbox.Imports (wactor.send).
func (b *box) Send(target, method, args []byte) (int64, []byte) {
	a := b.a
	depth, err := b.nextDepth(a)
	if err == nil {
		err = b.guest.futures.full()
	}
	var f *Future
	if err == nil {
		f, _, err = b.submitFromGuest(context.Background(), a, "send", depth, target, method, args)
	}
	if err != nil {
		return 0, envelopeFor(nil, err)
	}
	return b.guest.futures.add(f), nil
}

// Await implements sandbox.Imports (wactor.await).
func (b *box) Await(id int64) []byte {
	a := b.a
	release, err := acquireWait(a)
	if err != nil {
		return envelopeFor(nil, err) // the future stays, for a later await
	}
	defer release()
	f, dropped := b.guest.futures.take(id)
	switch {
	case dropped:
		return errorEnvelope(abi.CodeQuota, fmt.Sprintf("future %d was dropped: it was not awaited while newer results arrived (at most %d results, %d MiB, of futures not awaited are kept)",
			id, maxKeptResults, maxKeptResultBytes>>20))
	case f == nil:
		return errorEnvelope(abi.CodeBadArgs, fmt.Sprintf("no future %d (each future can be awaited once)", id))
	}
	on, _ := a.h.actorByID(f.actorID)
	return b.wait(a, f, on, nil)
}

// Spawn implements sandbox.Imports (wactor.spawn).
func (b *box) Spawn(classID, args, opts []byte) []byte {
	return envelopeFor(b.spawnChild(b.a, string(classID), args, opts))
}

// GetActor implements sandbox.Imports (wactor.get_actor).
func (b *box) GetActor(ns, name []byte) []byte {
	a := b.a
	if len(ns) > 0 && string(ns) != a.opts.Namespace {
		other := clipBytes(ns)
		return envelopeFor(nil, a.forbid("get_actor", other, "get_actor: namespace %q: an actor looks up only actors of its own namespace %q", other, a.opts.Namespace))
	}
	hd, err := a.h.Lookup(context.Background(), a.opts.Namespace, string(name))
	if err != nil {
		return envelopeFor(nil, err)
	}
	return envelopeFor(codec.Encode(hd.Ref()))
}

// Kill implements sandbox.Imports (wactor.kill).
func (b *box) Kill(target []byte) []byte { return b.a.killFromGuest(target) }
