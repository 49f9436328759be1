package host

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
)

// TestDeadlock_RefusedAtTheRoot: when the wait that closes a cycle is the
// root's (the others were already waiting when it added its edge), the
// refusal breaks the cycle and every actor of it lives on. The call the
// root made is running inside the cycle: cancelling it would trap an
// innocent actor (a regression once seen as a flaky examples test).
func TestDeadlock_RefusedAtTheRoot(t *testing.T) {
	h := newTestHost(t, Config{Workers: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wasm := readWasm(t, "../examples/pingpong/pingpong.wasm")
	c, err := h.LoadClass(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	var x, y, z *Actor
	for _, p := range []**Actor{&x, &y, &z} {
		if *p, err = h.Spawn(ctx, c.ID, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	// The root x holds its edge back until y waits for z and z for x.
	testHookBeforeWait = func(a *actor) {
		if a != x.a {
			return
		}
		eventually(t, "y and z to wait", func() bool {
			return h.waits.WaitsFor(y.a) == z.a && h.waits.WaitsFor(z.a) == x.a
		})
	}
	t.Cleanup(func() { testHookBeforeWait = nil })

	f, err := x.Call(ctx, "relay", []*Actor{y, z, x})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Await[int64](ctx, f)
	var ae *AppError
	if !errors.As(err, &ae) || ae.Code != abi.CodeDeadlock {
		t.Fatalf("relay around a cycle closed by the root: %v, want %s", err, abi.CodeDeadlock)
	}
	testHookBeforeWait = nil
	// z's call to x runs once x is free, so the whole cycle unwinds; then
	// all three answer.
	for _, a := range []*Actor{x, y, z} {
		if got := invoke[int64](t, a, "pong", 0); got != 1 {
			t.Fatalf("pong after the deadlock = %d", got)
		}
		if info := a.Info(); info.State != StateAlive || info.Restarts != 0 {
			t.Fatalf("actor after the deadlock: state %s, %d restarts", info.State, info.Restarts)
		}
	}
}

// TestGuestCalls_OutgoingBounded: a guest that calls many actors, each killed
// after, keeps at most maxOutgoing handles (not every dead actor's record).
func TestGuestCalls_OutgoingBounded(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := h.LoadClass(ctx, readWasm(t, "../examples/pingpong/pingpong.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := h.Spawn(ctx, c.ID, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const peers = maxOutgoing + 100
	for i := 0; i < peers; i++ {
		y, err := h.Spawn(ctx, c.ID, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := invoke[int64](t, x, "ping", y, 1); got != 1 { // pong(0)
			t.Fatalf("ping %d = %d", i, got)
		}
		if err := y.Kill(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The last call made its future resolve after the map was written.
	x.a.mu.Lock()
	sb := x.a.sb
	x.a.mu.Unlock()
	if n := len(sb.guest.outgoing); n == 0 || n > maxOutgoing {
		t.Fatalf("the guest's handle cache holds %d handles after calling %d actors (bound %d)", n, peers, maxOutgoing)
	}
}
