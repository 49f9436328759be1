package host

import (
	"context"
	"testing"
	"time"
)

func TestActor_Passivate(t *testing.T) {
	ctx := context.Background()
	for _, g := range []struct {
		name, path string
		init       []any
	}{{"c", cCounterPath, []any{5}}, {"go", goCounterPath, nil}} {
		t.Run(g.name, func(t *testing.T) {
			h := newTestHost(t, Config{})
			a := spawn(t, h, readWasm(t, g.path), Options{MaxRestarts: ptr(1)}, g.init...)
			want := invoke[int64](t, a, "incr", 7)
			before := peek(t, a)
			if err := a.Passivate(ctx); err != nil {
				t.Fatal(err)
			}
			if info := a.Info(); info.State != StatePassive || info.MemoryBytes != 0 {
				t.Fatalf("after Passivate: state %s, memory %d", info.State, info.MemoryBytes)
			}
			// The next call (here a control call) restores it bit for bit.
			after := peek(t, a)
			sameState(t, "reactivated", before, after)
			if got := invoke[int64](t, a, "get"); got != want {
				t.Fatalf("get = %d, want %d", got, want)
			}
			if s := a.Info().State; s != StateAlive {
				t.Fatalf("state %s after a call, want alive", s)
			}
			// A trap after reactivation restarts from the passivated state and
			// replays the calls since (the C guest has a trap method).
			if g.name == "c" {
				invoke[int64](t, a, "incr", 1)
				if _, err := a.Call(ctx, "trap"); err != nil {
					t.Fatal(err)
				}
				eventually(t, "restart", func() bool { return a.Info().Restarts == 1 })
				if got := invoke[int64](t, a, "get"); got != want+1 {
					t.Fatalf("get after restart = %d, want %d", got, want+1)
				}
			}
		})
	}
}

func TestHost_PassivateAfter(t *testing.T) {
	h := newTestHost(t, Config{PassivateAfter: 30 * time.Millisecond})
	a := spawn(t, h, readWasm(t, goCounterPath), Options{})
	invoke[int64](t, a, "incr", 3)
	eventually(t, "passivation", func() bool { return a.Info().State == StatePassive })
	if got := invoke[int64](t, a, "incr", 1); got != 4 {
		t.Fatalf("incr after passivation = %d, want 4", got)
	}
	if h.passivations.Load() == 0 || h.reactivations.Load() == 0 {
		t.Fatalf("passivations %d, reactivations %d", h.passivations.Load(), h.reactivations.Load())
	}
}

// TestHost_MemoryBudget: past the budget, the least recently used idle
// actors are passivated first.
func TestHost_MemoryBudget(t *testing.T) {
	wasm := readWasm(t, cCounterPath)
	probe := newTestHost(t, Config{})
	per := spawn(t, probe, wasm, Options{}, 0).Info().MemoryBytes
	const n, keep = 12, 4
	h := newTestHost(t, Config{MemoryBudget: int64(keep * per)})
	var actors []*Actor
	for i := range n {
		a := spawn(t, h, wasm, Options{}, i)
		invoke[int64](t, a, "incr", 1)
		actors = append(actors, a)
	}
	// Use them in order: the first ones are the least recently used.
	for _, a := range actors {
		invoke[int64](t, a, "get")
	}
	h.sweeper.Sweep(h.stop)
	live := 0
	for i, a := range actors {
		switch a.Info().State {
		case StateAlive:
			live++
			if i < n-keep {
				t.Errorf("actor %d (used %d calls before the last) is still alive", i, n-1-i)
			}
		case StatePassive:
		default:
			t.Fatalf("actor %d is %s", i, a.Info().State)
		}
	}
	if live == 0 || live > keep {
		t.Fatalf("%d live actors, want 1..%d", live, keep)
	}
	for i, a := range actors {
		if got := invoke[int64](t, a, "get"); got != int64(i+1) {
			t.Fatalf("actor %d: get = %d, want %d", i, got, i+1)
		}
	}
}
