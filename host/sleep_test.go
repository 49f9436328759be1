package host

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSleep_GivesWorkerAway: two actors sleeping in poll_oneoff (ten
// minutes) on a pool of two workers do not hold them: a third actor's calls
// all complete, in order, while both sleepers are still asleep; a kill then
// ends the sleeps at once.
func TestSleep_GivesWorkerAway(t *testing.T) {
	h := newTestHost(t, Config{Workers: 2})
	wasm := fixture(t, "sleep")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var sleepers []*Actor
	var sleeps []*Future
	for _, m := range []string{"sleep", "sleep_abs"} {
		a := spawn(t, h, wasm, Options{})
		f, err := a.Call(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		sleepers, sleeps = append(sleepers, a), append(sleeps, f)
		eventually(t, m+" to start", func() bool { return a.Info().Running == m })
	}
	other := spawn(t, h, wasm, Options{})
	for i := int64(1); i <= 5; i++ {
		if got := invoke[int64](t, other, "next"); got != i {
			t.Fatalf("next = %d, want %d", got, i)
		}
	}
	for i, f := range sleeps {
		if f.Ready() {
			t.Fatalf("sleeper %d woke before its time", i)
		}
	}
	for i, a := range sleepers {
		if err := a.Kill(ctx); err != nil {
			t.Fatal(err)
		}
		var de *ActorDiedError
		if _, err := sleeps[i].Get(ctx); !errors.As(err, &de) || de.Reason != DeathKilled {
			t.Fatalf("sleeper %d: %v, want ActorDiedError(killed)", i, err)
		}
	}
}

// TestSleep_DeadlineAndCancel: a sleep of ten minutes ends with the call's
// deadline (100 ms) as a deadline trap, and with its caller's cancellation
// as a cancelled one, long before its time; the actor then serves calls.
func TestSleep_DeadlineAndCancel(t *testing.T) {
	h := newTestHost(t, Config{Workers: 2})
	wasm := fixture(t, "sleep")
	a := spawn(t, h, wasm, Options{CallTimeout: ptr(100 * time.Millisecond), MaxRestarts: ptr(-1)})
	ctx := context.Background()
	start := time.Now()
	for _, m := range []string{"sleep", "sleep_abs"} {
		f, err := a.Call(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Get(ctx)
		var te *TrapError
		if !errors.As(err, &te) || te.Reason != TrapDeadline || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: %v, want a deadline TrapError", m, err)
		}
	}
	b := spawn(t, h, wasm, Options{MaxRestarts: ptr(-1)})
	cctx, cancel := context.WithCancel(ctx)
	f, err := b.Call(cctx, "sleep")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "sleep to start", func() bool { return b.Info().Running == "sleep" })
	cancel()
	if _, err := f.Get(ctx); !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTrap) {
		t.Fatalf("cancelled sleep: %v, want a cancelled trap", err)
	}
	// Far from the sleeps' ten minutes (a sanity bound, not a measurement).
	if d := time.Since(start); d > time.Minute {
		t.Fatalf("the interrupted sleeps took %v", d)
	}
	if got := invoke[int64](t, a, "next"); got != 1 {
		t.Fatalf("next after the deadlines = %d", got)
	}
	if got := invoke[int64](t, b, "next"); got != 1 {
		t.Fatalf("next after the cancellation = %d", got)
	}
}

// TestSleep_ReplayDoesNotSleep: an actor that slept 2 s (nap) and then
// trapped is restarted by replaying its journal, nap included, without
// sleeping again: the trap, the restart and the next call together take
// less than the nap (a replay that slept would take at least that).
func TestSleep_ReplayDoesNotSleep(t *testing.T) {
	h := newTestHost(t, Config{Workers: 2})
	a := spawn(t, h, fixture(t, "sleep"), Options{MaxRestarts: ptr(1)})
	ctx := context.Background()
	if got := invoke[int64](t, a, "next"); got != 1 {
		t.Fatalf("next = %d", got)
	}
	start := time.Now()
	invoke[int64](t, a, "nap")
	if d := time.Since(start); d < 2*time.Second {
		t.Fatalf("nap took %v, want its 2 s", d)
	}
	start = time.Now()
	f, err := a.Call(ctx, "trap")
	if err != nil {
		t.Fatal(err)
	}
	var te *TrapError
	if _, err := f.Get(ctx); !errors.As(err, &te) {
		t.Fatalf("trap: %v", err)
	}
	if got := invoke[int64](t, a, "next"); got != 2 {
		t.Fatalf("next after the restart = %d, want 2 (the replay restored 1)", got)
	}
	if d := time.Since(start); d >= 2*time.Second {
		t.Fatalf("the restart took %v: the replay slept the nap again", d)
	}
	if r := a.Info().Restarts; r != 1 {
		t.Fatalf("restarts = %d", r)
	}
}

// TestSleep_CountsAsWaiting: a sleep that gives its worker away counts as a
// waiting guest, bounded by the namespace's Quota.Waiting (and
// Config.MaxWaiting: each holds a goroutine, an OS thread on wasmtime);
// past it the guest sleeps on its worker instead, so a tenant's sleepers
// cannot make the pool start workers without bound.
func TestSleep_CountsAsWaiting(t *testing.T) {
	h := newTestHost(t, Config{Workers: 3, Quotas: map[string]Quota{"sleepy": {Waiting: 1}}})
	wasm := fixture(t, "sleep")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var sleepers []*Actor
	for range 3 {
		a := spawn(t, h, wasm, Options{Namespace: "sleepy"})
		if _, err := a.Call(ctx, "sleep"); err != nil {
			t.Fatal(err)
		}
		sleepers = append(sleepers, a)
		eventually(t, "the sleep to start", func() bool { return a.Info().Running == "sleep" })
	}
	if w := h.NamespaceUsage("sleepy").Waiting; w != 1 {
		t.Fatalf("%d sleepers counted as waiting, want 1 (the quota)", w)
	}
	for _, a := range sleepers {
		if err := a.Kill(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the waiting slot released", func() bool { return h.NamespaceUsage("sleepy").Waiting == 0 })
}
