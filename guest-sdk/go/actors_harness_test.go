//go:build !wasip1

package wactor

// A fake actor system for the guest tests of actor-to-actor calls: the
// wactor imports call, send, await, spawn, get_actor, kill and take of
// docs/ABI.md section 6, served in process for guests instantiated by the
// harness (harness_test.go). Actors are guest instances in one wazero
// runtime; a call runs the target's method right away on the caller's
// goroutine (calling another module from a host function), a send is run
// when it is awaited. A call into a busy actor (one that is waiting in its
// own call) is refused with wactor.deadlock. A trapping actor dies (no
// restarts). Host-made values (handles, error envelopes) are encoded with
// the host's own codec (package abi), and every guest result is checked with
// abi.DecodeEnvelope, so the tests also show that the two codecs agree.

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
)

type fakeSystem struct {
	tb     testing.TB
	k      guestKey
	actors map[string]*guest // live and trapped actors by ID (killed ones are removed)
	names  map[string]string // namespace + "\x00" + name -> ID
	next   int
	stack  []string // IDs of the actors running a call, outermost first
	// spawnOpts has the options of every spawn import (nil when empty).
	spawnOpts []map[string]any
	// log has one line per import the guests called, for assertions.
	log []string
}

type fakeActor struct {
	sys        *fakeSystem
	g          *guest
	id, class  string
	owner      *guest
	detached   bool
	children   []*guest
	busy       bool
	dead       string // why the actor died; "" while alive
	pending    []byte // the envelope take returns next
	futures    map[int64]fakeRequest
	nextFuture int64
}

type fakeRequest struct {
	target, method string
	args           []byte
}

func newFakeSystem(tb testing.TB, k guestKey) *fakeSystem {
	return &fakeSystem{tb: tb, k: k, actors: map[string]*guest{}, names: map[string]string{}}
}

func errEnv(code, msg string) []byte {
	b, err := abi.EncodeEnvelope(abi.Envelope{Kind: abi.KindError, Code: code, Message: msg})
	if err != nil {
		panic(err)
	}
	return b
}

func valueEnv(v any) []byte {
	b, err := abi.EncodeEnvelope(abi.Envelope{Kind: abi.KindValue, Values: []abi.Value{codec.MustEncode(v)}})
	if err != nil {
		panic(err)
	}
	return b
}

func actorOf(ctx context.Context) *fakeActor {
	g, _ := ctx.Value(guestCtxKey{}).(*guest)
	if g == nil || g.actor == nil {
		panic("an actor-call import was called by a guest outside a fakeSystem")
	}
	return g.actor
}

// read copies guest memory; out of bounds traps, as in the real host.
func read(m api.Module, ptr, n uint32) []byte {
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		panic("wactor import: pointer out of bounds")
	}
	return bytes.Clone(b)
}

// hold makes env the pending envelope and returns its length.
func (a *fakeActor) hold(env []byte) uint32 {
	a.pending = env
	return uint32(len(env))
}

// withActorImports adds the actor-call imports to the harness's wactor
// host module.
func withActorImports(b wazero.HostModuleBuilder) wazero.HostModuleBuilder {
	return b.
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, tp, tl, mp, ml, ap, al uint32) uint32 {
		a := actorOf(ctx)
		target, method, args := read(m, tp, tl), string(read(m, mp, ml)), read(m, ap, al)
		a.sys.log = append(a.sys.log, a.id+" call "+method)
		h, env := a.sys.resolve(target)
		if env == nil {
			env = a.sys.callID(h.ID, method, args)
		}
		return a.hold(env)
	}).Export("call").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, tp, tl, mp, ml, ap, al uint32) int64 {
		a := actorOf(ctx)
		target, method, args := read(m, tp, tl), string(read(m, mp, ml)), read(m, ap, al)
		a.sys.log = append(a.sys.log, a.id+" send "+method)
		h, env := a.sys.resolve(target)
		if env == nil {
			env = a.sys.alive(h.ID)
		}
		if env == nil && abi.Validate(args) != nil {
			env = errEnv(CodeBadArgs, "malformed arguments")
		}
		if env != nil {
			return -int64(a.hold(env))
		}
		a.nextFuture++
		a.futures[a.nextFuture] = fakeRequest{h.ID, method, args}
		return a.nextFuture
	}).Export("send").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, f int64) uint32 {
		a := actorOf(ctx)
		a.sys.log = append(a.sys.log, a.id+" await "+strconv.FormatInt(f, 10))
		req, ok := a.futures[f]
		if !ok {
			return a.hold(errEnv(CodeBadArgs, "unknown future "+strconv.FormatInt(f, 10)))
		}
		delete(a.futures, f)
		return a.hold(a.sys.callID(req.target, req.method, req.args))
	}).Export("await").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, cp, cl, ap, al, op, ol uint32) uint32 {
		a := actorOf(ctx)
		class, args, opts := string(read(m, cp, cl)), read(m, ap, al), read(m, op, ol)
		a.sys.log = append(a.sys.log, a.id+" spawn "+class)
		return a.hold(a.sys.spawnImport(a, class, args, opts))
	}).Export("spawn").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, np, nl, mp, ml uint32) uint32 {
		a := actorOf(ctx)
		ns, name := string(read(m, np, nl)), string(read(m, mp, ml))
		a.sys.log = append(a.sys.log, a.id+" get_actor "+ns+"/"+name)
		id, ok := a.sys.names[ns+"\x00"+name]
		if g := a.sys.actors[id]; ok && g != nil && g.actor.dead == "" {
			return a.hold(valueEnv(abi.Handle{ID: id, Class: g.actor.class}))
		}
		return a.hold(errEnv(CodeActorNotFound, "no actor named "+name))
	}).Export("get_actor").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, tp, tl uint32) uint32 {
		a := actorOf(ctx)
		a.sys.log = append(a.sys.log, a.id+" kill")
		h, env := a.sys.resolve(read(m, tp, tl))
		if env == nil {
			if g := a.sys.actors[h.ID]; g == nil {
				env = errEnv(CodeActorNotFound, "no actor "+h.ID)
			} else {
				a.sys.kill(g, "killed")
				env = valueEnv(nil)
			}
		}
		return a.hold(env)
	}).Export("kill").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, ptr, capacity uint32) int32 {
		a := actorOf(ctx)
		if uint32(len(a.pending)) > capacity {
			return -int32(len(a.pending))
		}
		if !m.Memory().Write(ptr, a.pending) {
			panic("take: pointer out of bounds")
		}
		n := len(a.pending)
		a.pending = nil
		return int32(n)
	}).Export("take")
}

// resolve decodes a guest-encoded handle with the host's codec.
func (s *fakeSystem) resolve(target []byte) (abi.Handle, []byte) {
	h, err := abi.DecodeHandle(target)
	if err != nil {
		return h, errEnv(CodeBadHandle, err.Error())
	}
	return h, nil
}

// alive returns nil if the actor can be called, else the error envelope.
func (s *fakeSystem) alive(id string) []byte {
	g := s.actors[id]
	switch {
	case g == nil:
		return errEnv(CodeActorNotFound, "no actor "+id)
	case g.actor.dead != "":
		return errEnv(CodeActorDied, "actor "+id+" died: "+g.actor.dead)
	}
	return nil
}

// callID runs a call of method on the actor with the ID, as the call import.
func (s *fakeSystem) callID(id, method string, args []byte) []byte {
	if env := s.alive(id); env != nil {
		return env
	}
	if err := abi.Validate(args); err != nil {
		return errEnv(CodeBadArgs, err.Error())
	}
	return s.run(s.actors[id], method, args)
}

// run calls a method of an actor and returns its envelope, or the host's
// error envelope (the actor dies when it traps).
func (s *fakeSystem) run(g *guest, method string, args []byte) []byte {
	a := g.actor
	if a.busy {
		return errEnv(CodeDeadlock, strings.Join(append(append([]string{}, s.stack...), a.id), " -> "))
	}
	if method != "wactor_init" && (abi.IsReservedExport(method) || g.fn(method) == nil) {
		return errEnv(CodeMethodNotFound, "no method "+method)
	}
	a.busy = true
	s.stack = append(s.stack, a.id)
	env, err := g.callRaw(g.ctx, method, args)
	s.stack = s.stack[:len(s.stack)-1]
	a.busy = false
	if err != nil {
		s.kill(g, "trap: "+err.Error())
		return errEnv(CodeTrap, err.Error())
	}
	if _, err := abi.DecodeEnvelope(env, 0); err != nil {
		s.tb.Errorf("%s.%s: the host cannot decode the result % x: %v", a.id, method, env, err)
		s.kill(g, "abi")
		return errEnv(CodeTrap, err.Error())
	}
	if g.exited {
		s.kill(g, "exited")
	}
	return env
}

func (s *fakeSystem) spawnImport(owner *fakeActor, class string, args, opts []byte) []byte {
	if class == "" {
		class = owner.class
	}
	var o map[string]any
	if len(opts) > 0 {
		if err := codec.Decode(abi.Value(opts), &o); err != nil {
			return errEnv(CodeBadArgs, "options: "+err.Error())
		}
	}
	s.spawnOpts = append(s.spawnOpts, o)
	if err := abi.Validate(args); err != nil {
		return errEnv(CodeBadArgs, err.Error())
	}
	name, _ := o["name"].(string)
	ns, _ := o["namespace"].(string)
	if name != "" {
		if g := s.actors[s.names[ns+"\x00"+name]]; g != nil && g.actor.dead == "" {
			if o["get_if_exists"] == true {
				return valueEnv(abi.Handle{ID: g.actor.id, Class: g.actor.class})
			}
			return errEnv(CodeNameTaken, name)
		}
	}
	g, env := s.start(class, args, owner)
	if g == nil {
		return env
	}
	g.actor.detached = o["detached"] == true
	if name != "" {
		s.names[ns+"\x00"+name] = g.actor.id
	}
	return valueEnv(abi.Handle{ID: g.actor.id, Class: class})
}

// start instantiates an actor of class (an example name) and runs its
// constructor; it returns the actor, or nil and the error envelope.
func (s *fakeSystem) start(class string, args []byte, owner *fakeActor) (*guest, []byte) {
	if _, err := os.Stat(examplePathOf(class)); err != nil {
		return nil, errEnv(CodeBadArgs, "no class "+class)
	}
	g := newGuest(s.tb, class, s.k)
	s.next++
	g.id = "actor-" + strconv.Itoa(s.next)
	g.actor = &fakeActor{sys: s, g: g, id: g.id, class: class, futures: map[int64]fakeRequest{}}
	s.actors[g.id] = g
	env := s.run(g, "wactor_init", args)
	if e, _ := abi.DecodeEnvelope(env, 0); e.Kind == abi.KindError {
		delete(s.actors, g.id)
		return nil, env
	}
	if owner != nil {
		g.actor.owner = owner.g
		owner.children = append(owner.children, g)
	}
	return g, env
}

// kill ends an actor and, recursively, the children it owns. A killed actor
// is forgotten (calls fail with actor_not_found); one that trapped or exited
// stays known (calls fail with actor_died).
func (s *fakeSystem) kill(g *guest, why string) {
	if g.actor.dead != "" {
		return
	}
	g.actor.dead = why
	if why == "killed" {
		delete(s.actors, g.actor.id)
	}
	for _, c := range g.actor.children {
		if !c.actor.detached {
			s.kill(c, "owner died")
		}
	}
}

// spawn starts a root actor for a test.
func (s *fakeSystem) spawn(tb testing.TB, class string, args ...any) *guest {
	tb.Helper()
	g, env := s.start(class, encodeArgs(tb, args), nil)
	if g == nil {
		tb.Fatalf("spawn %s: %x", class, env)
	}
	return g
}

// encodeArgs encodes an argument list with the host's codec (so handles
// are abi.Handle values).
func encodeArgs(tb testing.TB, args []any) []byte {
	tb.Helper()
	b, err := codec.EncodeArgs(args)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// call calls a method of an actor from outside (a host API caller) and
// decodes the result with the SDK's codec.
func (s *fakeSystem) call(tb testing.TB, g *guest, method string, args ...any) (any, *Error) {
	tb.Helper()
	return decodeEnvelope(tb, s.run(g, method, encodeArgs(tb, args)))
}

func (s *fakeSystem) must(tb testing.TB, g *guest, method string, args ...any) any {
	tb.Helper()
	v, ae := s.call(tb, g, method, args...)
	if ae != nil {
		tb.Fatalf("%s.%s%v: %v (stderr: %s)", g.id, method, args, ae, g.stderr.String())
	}
	return v
}

func (s *fakeSystem) mustFail(tb testing.TB, code string, g *guest, method string, args ...any) *Error {
	tb.Helper()
	v, ae := s.call(tb, g, method, args...)
	if ae == nil || ae.Code != code {
		tb.Fatalf("%s.%s%v = %v, %v; want an error with code %s", g.id, method, args, v, ae, code)
	}
	return ae
}

// handleOf returns the host's handle of an actor.
func handleOf(g *guest) abi.Handle { return abi.Handle{ID: g.actor.id, Class: g.actor.class} }

func examplePathOf(name string) string {
	return "../../examples/" + name + "/" + name + ".wasm"
}
