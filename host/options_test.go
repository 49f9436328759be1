package host

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wactor/wactor/abi/codec"
)

// TestOptions_ExplicitZero: an optional field set to zero asks for zero
// whatever Config.Defaults says; left unset (nil) it takes the default.
// Before, Options{MaxRestarts: 0} on a host whose default was 5 gave 5.
func TestOptions_ExplicitZero(t *testing.T) {
	cfg := Config{MaxCallTimeout: 40 * time.Second, Defaults: Options{
		MaxRestarts: ptr(5), Fuel: ptr[uint64](1 << 40), CheckpointEvery: ptr(3),
		CheckpointInterval: ptr(time.Hour), MaxChildren: ptr(7), CallTimeout: ptr(20 * time.Second),
	}}
	h := newTestHost(t, cfg)
	wasm := readWasm(t, cCounterPath)
	for _, tt := range []struct {
		name string
		opts Options
		want Options // the options the actor reports
	}{
		{"unset: the host's defaults", Options{}, Options{MaxRestarts: ptr(5), Fuel: ptr[uint64](1 << 40), CheckpointEvery: ptr(3),
			CheckpointInterval: ptr(time.Hour), MaxChildren: ptr(7), CallTimeout: ptr(20 * time.Second)}},
		{"explicit zero", Options{MaxRestarts: ptr(0), Fuel: ptr[uint64](0), CheckpointEvery: ptr(0),
			CheckpointInterval: ptr(time.Duration(0)), MaxChildren: ptr(0), CallTimeout: ptr(time.Duration(0))},
			// No deadline of its own: the host's cap.
			Options{MaxRestarts: ptr(0), Fuel: ptr[uint64](0), CheckpointEvery: ptr(0),
				CheckpointInterval: ptr(time.Duration(0)), MaxChildren: ptr(0), CallTimeout: ptr(40 * time.Second)}},
		{"explicit values", Options{MaxRestarts: ptr(-1), Fuel: ptr[uint64](1_000_000), CheckpointEvery: ptr(1),
			CheckpointInterval: ptr(time.Minute), MaxChildren: ptr(2), CallTimeout: ptr(time.Second)},
			Options{MaxRestarts: ptr(-1), Fuel: ptr[uint64](1_000_000), CheckpointEvery: ptr(1),
				CheckpointInterval: ptr(time.Minute), MaxChildren: ptr(2), CallTimeout: ptr(time.Second)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := spawn(t, h, wasm, tt.opts, 0)
			got := a.Info().Options
			for _, f := range []struct {
				name      string
				got, want any
			}{
				{"max_restarts", deref(got.MaxRestarts), deref(tt.want.MaxRestarts)},
				{"fuel", deref(got.Fuel), deref(tt.want.Fuel)},
				{"checkpoint_every", deref(got.CheckpointEvery), deref(tt.want.CheckpointEvery)},
				{"checkpoint_interval", deref(got.CheckpointInterval), deref(tt.want.CheckpointInterval)},
				{"max_children", deref(got.MaxChildren), deref(tt.want.MaxChildren)},
				{"call_timeout", deref(got.CallTimeout), deref(tt.want.CallTimeout)},
			} {
				if f.got != f.want {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
		})
	}
}

// TestOptions_MaxRestartsZeroMeansNone: with a host default of 5 restarts,
// an actor that asks for MaxRestarts 0 dies at its first trap, and one that
// asks for nothing is restarted.
func TestOptions_MaxRestartsZeroMeansNone(t *testing.T) {
	h := newTestHost(t, Config{Defaults: Options{MaxRestarts: ptr(5)}})
	wasm := readWasm(t, cCounterPath)
	ctx := context.Background()
	none := spawn(t, h, wasm, Options{MaxRestarts: ptr(0)}, 1)
	dflt := spawn(t, h, wasm, Options{}, 1)
	for _, a := range []*Actor{none, dflt} {
		if _, err := a.Invoke(ctx, "trap"); !errors.Is(err, ErrTrap) {
			t.Fatalf("trap: %v", err)
		}
	}
	var de *ActorDiedError
	if _, err := none.Invoke(ctx, "get"); !errors.As(err, &de) || de.Reason != DeathRestartsExhausted {
		t.Fatalf("MaxRestarts 0: call after a trap = %v, want ActorDiedError (restarts exhausted)", err)
	}
	if got := invoke[int64](t, dflt, "get"); got != 1 || dflt.Info().Restarts != 1 {
		t.Fatalf("default restarts: get = %d, restarts = %d; want 1 and 1", got, dflt.Info().Restarts)
	}
}

// TestCallOptions_Timeout: a call's own timeout (api.CallOptions.Timeout,
// as the client and the server send it) interrupts it when it runs too
// long, and drops it if it is still queued; calls without one are not
// affected.
func TestCallOptions_Timeout(t *testing.T) {
	h := newTestHost(t, Config{Workers: 1})
	a := spawn(t, h, fixture(t, "loop"), Options{MaxRestarts: ptr(-1)})
	ctx := context.Background()
	futs, err := a.Submit(ctx, "spin", CallOptions{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Queued behind the spinner with a timeout that passes while it waits.
	queued, err := a.Submit(ctx, "get", CallOptions{Timeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var te *TrapError
	if _, err := futs[0].Get(ctx); !errors.As(err, &te) || te.Reason != TrapDeadline || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("spin with a 50ms timeout: %v, want a deadline TrapError", err)
	}
	if _, err := queued[0].Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued call past its timeout: %v, want DeadlineExceeded", err)
	}
	if got := invoke[int64](t, a, "get"); got != 1 {
		t.Fatalf("get without a timeout = %d, want 1", got)
	}
}

// TestCheckpointHooks_TrapCostsNoRestart: a trap in wactor_should_checkpoint
// (asked after a completed call) rebuilds the actor from its journal and
// costs no restart; a trap in wactor_load_checkpoint falls back to the
// newest checkpoint and the full journal instead of killing the actor as
// "constructor failed" (issue 14).
func TestCheckpointHooks_TrapCostsNoRestart(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	wasm := fixture(t, "hook_traps")
	count := func(a *Actor, method string) int64 {
		t.Helper()
		v, err := a.Invoke(ctx, method)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		var n int64
		if err := codec.Decode(v, &n); err != nil {
			t.Fatalf("%s returned %s", method, v)
		}
		return n
	}

	// should_checkpoint traps after every call once armed; no restarts allowed.
	a := spawn(t, h, wasm, Options{MaxRestarts: ptr(0)})
	count(a, "arm")
	for want := int64(1); want <= 3; want++ {
		if got := count(a, "incr"); got != want {
			t.Fatalf("incr = %d, want %d", got, want)
		}
	}
	if info := a.Info(); info.State != StateAlive || info.Restarts != 0 {
		t.Fatalf("after traps in should_checkpoint: state %s, restarts %d; want alive, 0", info.State, info.Restarts)
	}
	if got := count(a, "get"); got != 3 {
		t.Fatalf("get = %d, want 3", got)
	}

	// load_checkpoint traps when a trap makes the actor restart.
	b := spawn(t, h, wasm, Options{MaxRestarts: ptr(1)})
	count(b, "incr")
	count(b, "incr")
	if _, err := b.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	count(b, "incr") // 3, in the journal after the checkpoint
	if _, err := b.Invoke(ctx, "trap"); !errors.Is(err, ErrTrap) {
		t.Fatalf("trap: %v", err)
	}
	if got := count(b, "get"); got != 3 {
		t.Fatalf("get after a restart whose load hook trapped = %d, want 3 (newest checkpoint + journal)", got)
	}
	if info := b.Info(); info.State != StateAlive || info.Restarts != 1 {
		t.Fatalf("state %s, restarts %d; want alive, 1 (the trap's)", info.State, info.Restarts)
	}
}
