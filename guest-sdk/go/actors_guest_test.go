//go:build !wasip1

package wactor

// End-to-end tests of actor-to-actor calls: the example guests pingpong,
// paramserver and supervisor (built by `make guests`) in the fake actor
// system of actors_harness_test.go.

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wactor/wactor/abi"
)

func TestPingPongGuest(t *testing.T) {
	s := newFakeSystem(t, guestKey{})
	a := s.spawn(t, "pingpong")
	b := s.spawn(t, "pingpong")

	m := a.manifest(t)
	for _, x := range m["methods"].([]any) {
		mm := x.(map[string]any)
		if mm["name"] == "ping" && !reflect.DeepEqual(mm["params"], []any{"any", "int"}) {
			t.Errorf("ping params %v, want [any int] (a Handle is \"any\")", mm["params"])
		}
	}

	if v := s.must(t, b, "pong", int64(41)); v != int64(42) {
		t.Fatalf("pong(41) = %v", v)
	}
	// Sum of pong(i) = i+1 for i in 0..9: 1+...+10.
	s.log = nil
	if v := s.must(t, a, "ping", handleOf(b), int64(10)); v != int64(55) {
		t.Fatalf("ping = %v", v)
	}
	if got := strings.Join(s.log, ","); got != strings.Repeat("actor-1 call pong,", 9)+"actor-1 call pong" {
		t.Fatalf("imports %s", got)
	}
	s.log = nil
	if v := s.must(t, a, "ping_async", handleOf(b), int64(10)); v != int64(55) {
		t.Fatalf("ping_async = %v", v)
	}
	if len(s.log) != 20 || s.log[0] != "actor-1 send pong" || s.log[10] != "actor-1 await 1" || s.log[19] != "actor-1 await 10" {
		t.Fatalf("imports %v", s.log)
	}
	// Larger than the SDK's first take buffer is not needed here, but many
	// calls in a row reuse the request and take buffers.
	if v := s.must(t, a, "ping", handleOf(b), int64(300)); v != int64(300*301/2) {
		t.Fatalf("ping(300) = %v", v)
	}

	// An actor calling itself: the host's deadlock error reaches the
	// guest as an *Error and passes through it unchanged.
	e := s.mustFail(t, CodeDeadlock, a, "ping_self")
	if e.Message != "actor-1 -> actor-1" {
		t.Fatalf("deadlock message %q", e.Message)
	}
	e = s.mustFail(t, CodeDeadlock, a, "ping", handleOf(a), int64(1))
	if e.Message != "actor-1 -> actor-1" {
		t.Fatalf("deadlock message %q", e.Message)
	}
	s.mustFail(t, CodeDeadlock, a, "ping_async", handleOf(a), int64(3))

	// Errors of the target pass through: a class without pong.
	other := s.spawn(t, "misbehave")
	s.mustFail(t, CodeMethodNotFound, a, "ping", handleOf(other), int64(1))
	s.mustFail(t, CodeMethodNotFound, a, "ping_async", handleOf(other), int64(2))
	// A dead peer: send fails at once (send returns -n), call after the
	// call import.
	s.kill(b, "killed")
	s.mustFail(t, CodeActorNotFound, a, "ping", handleOf(b), int64(1))
	s.mustFail(t, CodeActorNotFound, a, "ping_async", handleOf(b), int64(1))
	if v := s.must(t, a, "ping", handleOf(b), int64(0)); v != int64(0) {
		t.Fatalf("ping(n=0) = %v", v)
	}
	// A handle the SDK refuses to send (the zero handle) and malformed
	// arguments.
	s.mustFail(t, CodeBadHandle, a, "ping", abi.Handle{}, int64(1))
	s.mustFail(t, "bad_args", a, "ping", map[string]any{}, int64(1))
	s.mustFail(t, "bad_args", a, "ping", "actor-2", int64(1))
	s.mustFail(t, "invalid_amount", a, "ping", handleOf(a), int64(-1))
	if len(a.actor.futures) != 0 {
		t.Fatalf("futures left: %v", a.actor.futures)
	}
}

func TestParamServerGuest(t *testing.T) {
	s := newFakeSystem(t, guestKey{})
	server := s.spawn(t, "paramserver", int64(3))
	w1 := s.spawn(t, "paramserver")
	w2 := s.spawn(t, "paramserver")
	if v := s.must(t, server, "get"); !reflect.DeepEqual(v, []any{0.0, 0.0, 0.0}) {
		t.Fatalf("get = %v", v)
	}
	if v := s.must(t, w1, "get"); len(v.([]any)) != 4 {
		t.Fatalf("default dim: get = %v", v)
	}
	if v := s.must(t, w1, "work", handleOf(server), int64(25), 1.0); v != int64(25) {
		t.Fatalf("work = %v", v)
	}
	if v := s.must(t, w2, "work", handleOf(server), int64(25), 1.0); v != int64(25) {
		t.Fatalf("work = %v", v)
	}
	if v := s.must(t, server, "version"); v != int64(50) {
		t.Fatalf("version = %v", v)
	}
	// Each step moves every parameter 10% of the way to the target.
	want := 1 - math.Pow(0.9, 50)
	for i, x := range s.must(t, server, "get").([]any) {
		if f := x.(float64); math.Abs(f-want) > 1e-9 || math.Abs(f-1) > 0.01 {
			t.Fatalf("param %d = %v, want %v", i, f, want)
		}
	}
	s.mustFail(t, "invalid_dim", server, "update", []any{1.0})
	// Envelopes larger than the SDK's first take buffer (45 KB of floats).
	big := s.spawn(t, "paramserver", int64(5000))
	if v := s.must(t, w1, "work", handleOf(big), int64(2), 1.0); v != int64(2) {
		t.Fatalf("work = %v", v)
	}
	for _, x := range s.must(t, big, "get").([]any) {
		if f := x.(float64); math.Abs(f-0.19) > 1e-9 {
			t.Fatalf("big param = %v, want 0.19", f)
		}
	}
	if g, env := s.start("paramserver", encodeArgs(t, []any{int64(-1)}), nil); g != nil {
		t.Fatal("paramserver(-1) started")
	} else if _, ae := decodeEnvelope(t, env); ae == nil || ae.Code != "invalid_dim" {
		t.Fatalf("paramserver(-1): %v", ae)
	}
	// A worker pointed at itself deadlocks on its first get.
	s.mustFail(t, CodeDeadlock, w1, "work", handleOf(w1), int64(1), 0.0)
}

func TestSupervisorGuest(t *testing.T) {
	s := newFakeSystem(t, guestKey{})
	sup := s.spawn(t, "supervisor")
	started := s.must(t, sup, "start", "misbehave", int64(3)).([]any)
	if len(started) != 3 {
		t.Fatalf("start = %v", started)
	}
	for i, x := range started {
		h, ok := x.(Handle)
		if !ok || h.Class != "misbehave" || s.actors[h.ID] == nil || s.actors[h.ID].actor.owner != sup {
			t.Fatalf("child %d: %#v", i, x)
		}
	}
	if !reflect.DeepEqual(s.spawnOpts, []map[string]any{nil, nil, nil}) {
		t.Fatalf("spawn options %v, want none (default options are not sent)", s.spawnOpts)
	}
	if v := s.must(t, sup, "children"); !reflect.DeepEqual(v, started) {
		t.Fatalf("children = %v, want %v", v, started)
	}
	if v := s.must(t, sup, "check"); v != int64(0) {
		t.Fatalf("check = %v", v)
	}

	// One child is killed, another traps: both are replaced.
	child := func(i int) *guest { return s.actors[started[i].(Handle).ID] }
	s.kill(child(0), "killed")
	if _, ae := s.call(t, child(2), "crash"); ae == nil || ae.Code != CodeTrap {
		t.Fatalf("crash: %v", ae)
	}
	if v := s.must(t, sup, "check"); v != int64(2) {
		t.Fatalf("check = %v", v)
	}
	kids := s.must(t, sup, "children").([]any)
	if kids[1] != started[1] || kids[0] == started[0] || kids[2] == started[2] || kids[0].(Handle).Class != "misbehave" {
		t.Fatalf("children after check: %v (before %v)", kids, started)
	}
	if v := s.must(t, sup, "restarts"); v != int64(2) {
		t.Fatalf("restarts = %v", v)
	}
	if v := s.must(t, sup, "check"); v != int64(0) {
		t.Fatalf("check = %v", v)
	}

	// Children of the supervisor's own class ("") work too.
	own := s.must(t, sup, "start", "", int64(1)).([]any)
	if own[0].(Handle).Class != "supervisor" {
		t.Fatalf("own class child %v", own)
	}
	if v := s.must(t, sup, "stop_all"); v != int64(4) {
		t.Fatalf("stop_all = %v", v)
	}
	for _, x := range append(kids, own...) {
		if s.actors[x.(Handle).ID] != nil {
			t.Fatalf("child %v still alive", x)
		}
	}
	if v := s.must(t, sup, "children"); !reflect.DeepEqual(v, []any{}) {
		t.Fatalf("children after stop_all = %v", v)
	}
	s.mustFail(t, "bad_args", sup, "start", "misbehave")
	s.mustFail(t, CodeBadArgs, sup, "start", "no-such-class", int64(1))

	// Killing the supervisor kills its (owned) children.
	kids = s.must(t, sup, "start", "misbehave", int64(2)).([]any)
	s.kill(sup, "killed")
	for _, x := range kids {
		if g := s.actors[x.(Handle).ID]; g == nil || g.actor.dead != "owner died" {
			t.Fatalf("child %v survived its owner", x)
		}
	}
	if !slices.ContainsFunc(s.log, func(l string) bool { return strings.HasSuffix(l, " kill") }) {
		t.Fatal("no kill import")
	}
}
