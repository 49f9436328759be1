package host

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
)

// The hostile-guest suite for guest-initiated spawns and calls
// (hostile_helpers_test.go): recursion through the spawn import, chains of
// spawn-and-call, spawn trees and futures never awaited. Each attack runs in
// namespace "attacker" while the bystander answers in its own.

const attackerNamespace = "attacker"

// loadFixture loads host/testdata/NAME.wasm and returns its class ID.
func loadFixture(t testing.TB, h *Host, name string) string {
	t.Helper()
	c, err := h.LoadClass(context.Background(), fixture(t, name))
	if err != nil {
		t.Fatalf("LoadClass %s: %v", name, err)
	}
	return c.ID
}

// wantQuotaApp fails the test unless err is an application error with code
// wactor.quota whose message contains want (a refusal passed up a chain of
// guests).
func wantQuotaApp(t testing.TB, err error, want string) {
	t.Helper()
	var ae *AppError
	if !errors.As(err, &ae) || ae.Code != abi.CodeQuota || !strings.Contains(ae.Message, want) {
		t.Fatalf("got %v, want an application error %s naming %q", err, abi.CodeQuota, want)
	}
}

// attackerSettled waits until the attacker's namespace holds nothing.
func attackerSettled(t testing.TB, h *Host) {
	t.Helper()
	var u NamespaceUsage
	eventually(t, "the attacker's namespace to be empty", func() bool {
		u = h.NamespaceUsage(attackerNamespace)
		return u.Actors == 0 && u.MemoryBytes == 0 && u.PendingCalls == 0 && u.Waiting == 0
	})
}

// endAttack kills the attacker's actors and checks the attack left nothing
// behind: the attacker's namespace empty, the host's accounting back at its
// baseline, and the bystander still answering.
func endAttack(t testing.TB, h *Host, base baseline, by *bystander, kill ...*Actor) {
	t.Helper()
	for _, a := range kill {
		if err := a.Kill(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	attackerSettled(t, h)
	base.settled(t, h, 0)
	by.finish(t)
}

// TestHostile_SpawnSelf: a constructor that spawns its own class. Before
// issue 12 it recursed on one goroutine until the process died; now each
// child's spawn runs on its own goroutine and the chain stops at
// Config.MaxDepth.
func TestHostile_SpawnSelf(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	by := startBystander(t, h)
	base := takeBaseline(h)
	class := loadFixture(t, h, "hostile_spawn_self")
	depth := h.Config().MaxDepth

	// Strict: the refusal at the bottom fails every constructor above it.
	_, err := h.Spawn(ctx, class, Options{Namespace: attackerNamespace})
	wantQuotaApp(t, err, "max_depth")
	by.progress(t, 3)
	attackerSettled(t, h)

	// Tolerant: the chain stands, MaxDepth+1 actors deep, and dies with its root.
	root, err := h.Spawn(ctx, class, Options{Namespace: attackerNamespace}, true)
	if err != nil {
		t.Fatal(err)
	}
	if u := h.NamespaceUsage(attackerNamespace); u.Actors != depth+1 {
		t.Fatalf("%d actors in the chain, want MaxDepth+1 = %d", u.Actors, depth+1)
	}
	by.progress(t, 3)
	endAttack(t, h, base, by, root)
}

// TestHostile_SpawnCallChain: each actor spawns a child of its class and
// calls it synchronously. The chain ends at Config.MaxDepth with a typed
// error passed back to the root caller.
func TestHostile_SpawnCallChain(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	by := startBystander(t, h)
	base := takeBaseline(h)
	root, err := h.Spawn(ctx, loadFixture(t, h, "hostile_chain"), Options{Namespace: attackerNamespace})
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.Invoke(ctx, "run")
	wantQuotaApp(t, err, "max_depth")
	if u, want := h.NamespaceUsage(attackerNamespace), h.Config().MaxDepth+1; u.Actors != want {
		t.Fatalf("%d actors in the chain, want %d", u.Actors, want)
	}
	by.progress(t, 3)
	endAttack(t, h, base, by, root)
}

// TestHostile_SpawnCallChainInterrupted: a chain of actors each waiting in
// a synchronous call on its child, the deepest spinning. Interrupting the
// root call (its caller cancels, or its deadline passes) tears the whole
// chain down: each waiting guest gives up when its own call is interrupted
// and cancels the call it waited for, and children die with their parent.
func TestHostile_SpawnCallChainInterrupted(t *testing.T) {
	for _, tt := range []struct {
		name    string
		timeout time.Duration // the root's call deadline (0: default)
		reason  TrapReason
	}{
		{"cancel", 0, TrapCancelled},
		{"deadline", 300 * time.Millisecond, TrapDeadline},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHost(t, Config{MaxDepth: 8})
			by := startBystander(t, h)
			base := takeBaseline(h)
			root, err := h.Spawn(context.Background(), loadFixture(t, h, "hostile_chain"),
				Options{Namespace: attackerNamespace, CallTimeout: ptr(tt.timeout)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f, err := root.Call(ctx, "hang")
			if err != nil {
				t.Fatal(err)
			}
			if tt.timeout == 0 {
				eventually(t, "the chain to be built", func() bool {
					return h.NamespaceUsage(attackerNamespace).Actors == 9
				})
				by.progress(t, 3)
				cancel()
			}
			_, err = f.Get(context.Background())
			var te *TrapError
			if !errors.As(err, &te) || te.Reason != tt.reason {
				t.Fatalf("root call: %v, want a TrapError of reason %s", err, tt.reason)
			}
			attackerSettled(t, h)
			if st := root.Info().State; st != StateDead {
				t.Errorf("root is %s, want dead (max_restarts 0)", st)
			}
			base.settled(t, h, 0)
			by.finish(t)
		})
	}
}

// TestHostile_ConstructorCallsParent: a constructor that calls the actor
// spawning it, which waits for the constructor. The wait is in the
// deadlock check, so the call fails at once with wactor.deadlock instead of
// both actors waiting for a deadline.
func TestHostile_ConstructorCallsParent(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	by := startBystander(t, h)
	base := takeBaseline(h)
	helper, err := h.Spawn(ctx, loadFixture(t, h, "minimal"), Options{Namespace: attackerNamespace})
	if err != nil {
		t.Fatal(err)
	}
	root, err := h.Spawn(ctx, loadFixture(t, h, "hostile_call_parent"), Options{Namespace: attackerNamespace}, helper)
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.Invoke(ctx, "adopt", root)
	var ae *AppError
	if !errors.As(err, &ae) || ae.Code != abi.CodeDeadlock {
		t.Fatalf("adopt: %v, want an application error %s", err, abi.CodeDeadlock)
	}
	by.progress(t, 3)
	endAttack(t, h, base, by, root, helper)
}

// TestHostile_SpawnTree: a constructor that spawns two children of its
// class and ignores refusals. The namespace's actor quota bounds the tree
// exactly; the tree dies with its root.
func TestHostile_SpawnTree(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	const quota = 300
	if err := h.SetQuota(attackerNamespace, Quota{Actors: quota}); err != nil {
		t.Fatal(err)
	}
	by := startBystander(t, h)
	base := takeBaseline(h)
	root, err := h.Spawn(ctx, loadFixture(t, h, "hostile_tree"), Options{Namespace: attackerNamespace})
	if err != nil {
		t.Fatal(err)
	}
	u := h.NamespaceUsage(attackerNamespace)
	if u.Actors != quota {
		t.Fatalf("%d actors in the tree, want the quota of %d", u.Actors, quota)
	}
	if _, err := h.Spawn(ctx, root.Class(), Options{Namespace: attackerNamespace}); !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "quota actors") {
		t.Fatalf("spawn past the quota: %v, want ErrQuota naming the actors quota", err)
	}
	by.progress(t, 3)
	endAttack(t, h, base, by, root)
}

// TestHostile_FuturesNeverAwaited: 20,000 sends whose futures are never
// awaited. Only unresolved futures count against the 10,000 limit, so the
// actor can send again; of the resolved ones at most 10,000 results are
// kept, the oldest dropped, and awaiting a dropped one says so.
func TestHostile_FuturesNeverAwaited(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	by := startBystander(t, h)
	base := takeBaseline(h)
	a, err := h.Spawn(ctx, loadFixture(t, h, "hostile_futures"), Options{Namespace: attackerNamespace})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Invoke(ctx, "setup"); err != nil {
		t.Fatal(err)
	}
	flood := func(i int) {
		t.Helper()
		n := invoke[int](t, a, "flood")
		if n != 1000 {
			t.Fatalf("flood %d sent %d", i, n)
		}
		// The child answers them all before the next flood, so no more
		// than 1,000 are ever unresolved.
		eventually(t, "the sends to be answered", func() bool {
			return h.NamespaceUsage(attackerNamespace).PendingCalls == 0
		})
	}
	for i := range 20 {
		flood(i)
	}
	by.progress(t, 3)
	flood(20)
	var kept, unresolved int
	eventually(t, "every future to resolve", func() bool {
		if _, err := a.control(ctx, func(sb *box) (abi.Value, error) {
			g := &sb.guest.futures
			g.mu.Lock()
			kept, unresolved = g.kept, g.unresolved
			g.mu.Unlock()
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		return unresolved == 0
	})
	if kept != maxKeptResults {
		t.Errorf("%d results kept for await, want the bound of %d", kept, maxKeptResults)
	}
	_, err = a.Invoke(ctx, "await_first")
	wantQuotaApp(t, err, "future 1 was dropped")
	if _, err := a.Invoke(ctx, "await_last"); err != nil {
		t.Fatalf("await of the newest future: %v", err)
	}
	endAttack(t, h, base, by, a)
}

// TestHostile_CloseDuringChain: closing the host while a chain of guests
// waits on each other (and a constructor spawning its own class runs)
// stops them all: Close returns without its context expiring, and nothing
// is left accounted.
func TestHostile_CloseDuringChain(t *testing.T) {
	h := newTestHost(t, Config{MaxDepth: 8})
	by := startBystander(t, h)
	ctx := context.Background()
	root, err := h.Spawn(ctx, loadFixture(t, h, "hostile_chain"), Options{Namespace: attackerNamespace})
	if err != nil {
		t.Fatal(err)
	}
	f, err := root.Call(ctx, "hang")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the chain to be built", func() bool {
		return h.NamespaceUsage(attackerNamespace).Actors == 9
	})
	by.progress(t, 3)
	by.finish(t)
	closeCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := h.Close(closeCtx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := f.Get(ctx); err == nil {
		t.Fatal("the root call succeeded after Close")
	}
	if u := h.NamespaceUsage(attackerNamespace); u.Actors != 0 || u.MemoryBytes != 0 || u.PendingCalls != 0 {
		t.Fatalf("after Close the attacker's namespace holds %+v", u)
	}
}

// TestHostile_WaitingGuests: many guests blocked at once in call (here
// constructors calling a busy actor). Each holds a goroutine, and on
// wasmtime an OS thread, whose number Go bounds for the whole process:
// past the namespace's Quota.Waiting the call fails at once with
// wactor.quota, and the waiting ones complete when the target is free.
func TestHostile_WaitingGuests(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	const quota, attackers = 20, 30
	if err := h.SetQuota(attackerNamespace, Quota{Waiting: quota}); err != nil {
		t.Fatal(err)
	}
	by := startBystander(t, h)
	base := takeBaseline(h)
	target, err := h.Spawn(ctx, loadFixture(t, h, "loop"), Options{Namespace: attackerNamespace, MaxRestarts: ptr(-1)})
	if err != nil {
		t.Fatal(err)
	}
	spinCtx, stopSpin := context.WithCancel(ctx)
	defer stopSpin()
	if _, err := target.Call(spinCtx, "spin"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the target to spin", func() bool { return target.Info().Running == "spin" })
	class := loadFixture(t, h, "hostile_call_parent")
	type result struct {
		a   *Actor
		err error
	}
	results := make(chan result, attackers)
	for range attackers {
		go func() {
			a, err := h.Spawn(ctx, class, Options{Namespace: attackerNamespace}, target)
			results <- result{a, err}
		}()
	}
	var spawned []*Actor
	for range attackers - quota {
		r := <-results
		if r.err == nil {
			spawned = append(spawned, r.a)
		}
		wantQuotaApp(t, r.err, "quota waiting")
	}
	if u := h.NamespaceUsage(attackerNamespace); u.Waiting != quota {
		t.Fatalf("%d guests waiting, want the quota of %d", u.Waiting, quota)
	}
	by.progress(t, 3)
	stopSpin()
	for range quota {
		r := <-results
		if r.err != nil {
			t.Fatalf("a waiting constructor, once the target was free: %v", r.err)
		}
		spawned = append(spawned, r.a)
	}
	endAttack(t, h, base, by, append(spawned, target)...)
}
