package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/internal/engine"
)

// Actor-to-actor calls: the host side of the wactor.call, send, await,
// spawn, get_actor, kill and take imports (docs/ABI.md section 6). They run
// on the calling actor's worker, inside its guest call. Every outcome is an
// envelope left pending in the sandbox for the guest to take.

// Error codes in host-made envelopes.
const (
	codeActorNotFound  = "wactor.actor_not_found"
	codeMethodNotFound = "wactor.method_not_found"
	codeArity          = "wactor.arity"
	codeActorDied      = "wactor.actor_died"
	codeTrap           = "wactor.trap"
	codeDeadlock       = "wactor.deadlock"
	codeBackpressure   = "wactor.backpressure"
	codeQuota          = "wactor.quota"
	codeBadHandle      = "wactor.bad_handle"
	codeBadArgs        = "wactor.bad_args"
	codeNameTaken      = "wactor.name_taken"
	codeCancelled      = "wactor.cancelled"
	codeForbidden      = "wactor.forbidden"
	codeError          = "wactor.error"
)

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
		return codeBadHandle, msg
	case errors.Is(err, ErrForbidden):
		return codeForbidden, msg
	case errors.Is(err, ErrDeadlock):
		return codeDeadlock, msg
	case errors.Is(err, ErrActorDied):
		return codeActorDied, msg
	case errors.Is(err, ErrTrap):
		return codeTrap, msg
	case errors.Is(err, ErrActorNotFound):
		return codeActorNotFound, msg
	case errors.Is(err, ErrMethodNotFound):
		return codeMethodNotFound, msg
	case errors.Is(err, ErrArity):
		return codeArity, msg
	case errors.Is(err, ErrBackpressure):
		return codeBackpressure, msg
	case errors.Is(err, ErrQuota):
		return codeQuota, msg
	case errors.Is(err, ErrNameTaken):
		return codeNameTaken, msg
	case errors.Is(err, ErrInvalidArgument), errors.Is(err, ErrTooLarge), errors.Is(err, ErrInvalidOptions),
		errors.Is(err, ErrClassNotFound), errors.Is(err, abi.ErrMalformed):
		return codeBadArgs, msg
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return codeCancelled, msg
	}
	return codeError, msg
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
// actor's worker touches it (inside guest calls).
type guestState struct {
	pending  []byte            // envelope waiting for take
	futures  map[int64]*Future // from send, until awaited
	nextFut  int64             //
	outgoing map[string]*Actor // one caller handle per target, for per-caller order
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

// label names an actor in messages: its name if it has one, else its ID.
func (a *actor) label() string {
	if a.opts.Name != "" {
		return a.opts.Name + "(" + a.id[:8] + ")"
	}
	return a.id
}

// guestActor returns the calling sandbox and actor, or nil (class probe).
func guestActor(c engine.Caller) (*sandbox, *actor) {
	sb := sandboxFrom(c)
	if sb == nil || sb.actor == nil {
		return sb, nil
	}
	return sb, sb.actor
}

// readBytes copies n bytes at ptr from the caller's memory.
func (sb *sandbox) readBytes(c engine.Caller, ptr, n uint32, what string) []byte {
	b, ok := callerMemory(c).Read(ptr, n)
	if !ok {
		sb.abiPanic("%s [%d, +%d) out of bounds", what, ptr, n)
	}
	return append([]byte(nil), b...)
}

func (sb *sandbox) setPending(env []byte) uint64 {
	sb.guest.pending = env
	return uint64(uint32(len(env)))
}

// submitFromGuest sends one call (op: "call" or "send") from actor a to the
// target handle, an actor of a's namespace.
func (sb *sandbox) submitFromGuest(a *actor, op string, target, method, args []byte) (*Future, *actor, error) {
	ref, err := decodeTarget(target)
	if err != nil {
		return nil, nil, err
	}
	if !utf8.Valid(method) {
		return nil, nil, fmt.Errorf("%w: method name is not UTF-8", ErrInvalidArgument)
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
		if sb.guest.outgoing == nil {
			sb.guest.outgoing = map[string]*Actor{}
		}
		sb.guest.outgoing[ref.ID] = hd
	}
	if err := hd.a.deathError(); err != nil {
		delete(sb.guest.outgoing, ref.ID)
		return nil, nil, err
	}
	futs, err := hd.submitEncoded(string(method), args, n)
	if err != nil {
		return nil, nil, err
	}
	return futs[0], hd.a, nil
}

// wait blocks the calling actor until f resolves, refusing waits that would
// deadlock and giving up when the actor's own call is interrupted.
func (sb *sandbox) wait(a *actor, f *Future, on *actor) []byte {
	if !f.Ready() {
		if err := a.h.waits.add(a, on); err != nil {
			return envelopeFor(nil, err)
		}
		defer a.h.waits.remove(a)
		stop := sb.stopChan()
		a.h.pool.Blocking(func() {
			select {
			case <-f.doneChan():
			case <-stop:
			}
		})
		if !f.Ready() {
			return errorEnvelope(codeCancelled, "the calling actor's call was interrupted while it waited")
		}
	}
	return envelopeFor(f.result())
}

// Host functions.

func hostCall(_ context.Context, c engine.Caller, stack []uint64) {
	sb, a := guestActor(c)
	if sb == nil {
		return
	}
	target := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), "call target")
	method := sb.readBytes(c, uint32(stack[2]), uint32(stack[3]), "call method")
	args := sb.readBytes(c, uint32(stack[4]), uint32(stack[5]), "call arguments")
	if a == nil {
		stack[0] = sb.setPending(errorEnvelope(codeError, "actor calls are not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok { // replaying: the call was made before
		stack[0] = sb.setPending(env)
		return
	}
	var env []byte
	if f, on, err := sb.submitFromGuest(a, "call", target, method, args); err != nil {
		env = envelopeFor(nil, err)
	} else {
		env = sb.wait(a, f, on)
	}
	sb.rec.recordExternal(env)
	stack[0] = sb.setPending(env)
}

func hostSend(_ context.Context, c engine.Caller, stack []uint64) {
	sb, a := guestActor(c)
	if sb == nil {
		return
	}
	target := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), "send target")
	method := sb.readBytes(c, uint32(stack[2]), uint32(stack[3]), "send method")
	args := sb.readBytes(c, uint32(stack[4]), uint32(stack[5]), "send arguments")
	fail := func(env []byte) { stack[0] = uint64(-int64(len(env))); sb.guest.pending = env }
	if a == nil {
		fail(errorEnvelope(codeError, "actor calls are not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok { // replaying: the call was sent before
		var id int64
		if e, err := abi.DecodeEnvelope(env, 0); err == nil && e.Kind == abi.KindValue && e.Values[0].Decode(&id) == nil {
			stack[0] = uint64(id)
			return
		}
		fail(env)
		return
	}
	record := func(env []byte) { sb.rec.recordExternal(env) }
	if len(sb.guest.futures) >= maxGuestFutures {
		env := errorEnvelope(codeQuota, fmt.Sprintf("%d futures not awaited yet", len(sb.guest.futures)))
		record(env)
		fail(env)
		return
	}
	f, _, err := sb.submitFromGuest(a, "send", target, method, args)
	if err != nil {
		env := envelopeFor(nil, err)
		record(env)
		fail(env)
		return
	}
	if sb.guest.futures == nil {
		sb.guest.futures = map[int64]*Future{}
	}
	sb.guest.nextFut++
	sb.guest.futures[sb.guest.nextFut] = f
	record(envelopeFor(abi.Encode(sb.guest.nextFut)))
	stack[0] = uint64(sb.guest.nextFut)
}

func hostAwait(_ context.Context, c engine.Caller, stack []uint64) {
	sb, a := guestActor(c)
	if sb == nil {
		return
	}
	if env, ok := sb.rec.external(); ok {
		stack[0] = sb.setPending(env)
		return
	}
	id := int64(stack[0])
	f, ok := sb.guest.futures[id]
	var env []byte
	if !ok || a == nil {
		env = errorEnvelope(codeBadArgs, fmt.Sprintf("no future %d (each future can be awaited once)", id))
	} else {
		delete(sb.guest.futures, id)
		on, _ := a.h.actorByID(f.actorID)
		env = sb.wait(a, f, on)
	}
	sb.rec.recordExternal(env)
	stack[0] = sb.setPending(env)
}

// guestSpawnOptions is the opts map of the spawn import.
type guestSpawnOptions struct {
	Name          string `cbor:"name,omitempty"`
	Namespace     string `cbor:"namespace,omitempty"`
	Detached      bool   `cbor:"detached,omitempty"`
	GetIfExists   bool   `cbor:"get_if_exists,omitempty"`
	MaxRestarts   int    `cbor:"max_restarts,omitempty"`
	MemoryPages   uint32 `cbor:"memory_pages,omitempty"`
	CallTimeoutMS int64  `cbor:"call_timeout_ms,omitempty"`
}

func hostSpawn(_ context.Context, c engine.Caller, stack []uint64) {
	sb, a := guestActor(c)
	if sb == nil {
		return
	}
	classID := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), "spawn class")
	args := sb.readBytes(c, uint32(stack[2]), uint32(stack[3]), "spawn arguments")
	rawOpts := sb.readBytes(c, uint32(stack[4]), uint32(stack[5]), "spawn options")
	if a == nil {
		stack[0] = sb.setPending(errorEnvelope(codeError, "spawn is not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok {
		stack[0] = sb.setPending(env)
		return
	}
	env := envelopeFor(a.spawnChild(string(classID), args, rawOpts))
	sb.rec.recordExternal(env)
	stack[0] = sb.setPending(env)
}

func (a *actor) spawnChild(classID string, args, rawOpts []byte) (abi.Value, error) {
	var o guestSpawnOptions
	if len(rawOpts) > 0 {
		if err := abi.Validate(rawOpts); err != nil {
			return nil, fmt.Errorf("%w: spawn options: %w", ErrInvalidArgument, err)
		}
		if err := abi.Value(rawOpts).Decode(&o); err != nil {
			return nil, fmt.Errorf("%w: spawn options: %w", ErrInvalidArgument, err)
		}
	}
	if o.CallTimeoutMS < 0 {
		return nil, fmt.Errorf("%w: negative call_timeout_ms", ErrInvalidOptions)
	}
	if o.Namespace != "" && o.Namespace != a.opts.Namespace {
		return nil, a.forbid("spawn", o.Namespace, "spawn: namespace %q: an actor spawns only into its own namespace %q", o.Namespace, a.opts.Namespace)
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
		CallTimeout: msDuration(o.CallTimeoutMS),
	}
	// A spawn may wait (for resources, or for passivations under memory
	// pressure): off the pool's count, like a wait for another actor.
	var child *Actor
	a.h.pool.Blocking(func() {
		child, err = a.h.spawn(context.Background(), &a.children, c, opts, args, n, nil)
	})
	if err != nil {
		return nil, err
	}
	return abi.Encode(child.Ref())
}

func hostGetActor(_ context.Context, c engine.Caller, stack []uint64) {
	sb, a := guestActor(c)
	if sb == nil {
		return
	}
	ns := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), "get_actor namespace")
	name := sb.readBytes(c, uint32(stack[2]), uint32(stack[3]), "get_actor name")
	if a == nil {
		stack[0] = sb.setPending(errorEnvelope(codeError, "get_actor is not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok {
		stack[0] = sb.setPending(env)
		return
	}
	var env []byte
	if len(ns) > 0 && string(ns) != a.opts.Namespace {
		env = envelopeFor(nil, a.forbid("get_actor", string(ns), "get_actor: namespace %q: an actor looks up only actors of its own namespace %q", ns, a.opts.Namespace))
	} else if hd, err := a.h.Lookup(context.Background(), a.opts.Namespace, string(name)); err != nil {
		env = envelopeFor(nil, err)
	} else {
		env = envelopeFor(abi.Encode(hd.Ref()))
	}
	sb.rec.recordExternal(env)
	stack[0] = sb.setPending(env)
}

func hostKill(_ context.Context, c engine.Caller, stack []uint64) {
	sb, a := guestActor(c)
	if sb == nil {
		return
	}
	target := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), "kill target")
	if a == nil {
		stack[0] = sb.setPending(errorEnvelope(codeError, "kill is not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok {
		stack[0] = sb.setPending(env)
		return
	}
	env := a.killFromGuest(target)
	sb.rec.recordExternal(env)
	stack[0] = sb.setPending(env)
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

func hostTake(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	ptr, capacity := uint32(stack[0]), uint32(stack[1])
	env := sb.guest.pending
	if uint32(len(env)) > capacity {
		stack[0] = uint64(uint32(-int32(len(env))))
		return
	}
	if !callerMemory(c).Write(ptr, env) {
		sb.abiPanic("wactor.take(%d, %d)", ptr, capacity)
	}
	sb.guest.pending = nil
	stack[0] = uint64(len(env))
}
