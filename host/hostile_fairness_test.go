package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// Fairness across namespaces (issue 12): a namespace spinning on every
// worker must not stop another namespace's calls. Namespace "B" spins in
// more actors than there are workers, each call with a deadline of the
// host's maximum (5 minutes), so only preemption can let anyone else run;
// namespace "A" then makes calls, to one actor in sequence and to several
// at once. They all complete, in order, while B's calls still run, and the
// assertion is on counts, not time: the time slices B's namespace started
// while each of A's calls waited and ran (scheduler.Pool.GroupStats) are
// bounded by the number of workers.

// spinNamespace spawns n actors of hostile_spin in namespace ns, starts
// spin() on each and waits until every worker runs one. It returns the
// spin futures.
func spinNamespace(t *testing.T, h *Host, ns string, n int) ([]*Actor, []*Future) {
	t.Helper()
	wasm := fixture(t, "hostile_spin")
	var actors []*Actor
	var futs []*Future
	for range n {
		a := spawn(t, h, wasm, Options{Namespace: ns, CallTimeout: ptr(h.Config().MaxCallTimeout), MaxRestarts: ptr(-1)})
		f, err := a.Call(context.Background(), "spin")
		if err != nil {
			t.Fatal(err)
		}
		actors, futs = append(actors, a), append(futs, f)
	}
	eventually(t, "the spinners to take every worker", func() bool {
		running := 0
		for _, a := range actors {
			if a.Info().Running == "spin" {
				running++
			}
		}
		return running >= min(n, h.Config().Workers)
	})
	return actors, futs
}

// sequentialCalls calls next() on seq, a fresh counter of namespace "A",
// calls times in sequence, checking each result is the next count. It
// returns the most slices namespace other started while one call waited and
// ran, and each call's latency (to log: the assertions are on counts).
func sequentialCalls(ctx context.Context, t *testing.T, h *Host, seq *Actor, calls int, other string) (worst uint64, lat []time.Duration) {
	t.Helper()
	for i := 1; i <= calls; i++ {
		start := time.Now()
		before := h.pool.GroupStats(other).Slices
		f, err := seq.Call(ctx, "next")
		if err != nil {
			t.Fatal(err)
		}
		n, err := Await[int64](ctx, f)
		if err != nil {
			t.Fatalf("A's call %d: %v", i, err)
		}
		if n != int64(i) {
			t.Fatalf("A's call %d returned %d: out of order", i, n)
		}
		worst = max(worst, h.pool.GroupStats(other).Slices-before)
		lat = append(lat, time.Since(start))
	}
	return worst, lat
}

func TestHostile_FairnessAcrossNamespaces(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			h := newTestHost(t, Config{Workers: workers, TimeSlice: 2 * time.Millisecond})
			wasm := fixture(t, "hostile_spin")
			by := startBystander(t, h)
			base := takeBaseline(h)
			spinners, spins := spinNamespace(t, h, "B", workers+1)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()

			// One actor of A, called in sequence: each call completes, in
			// order, while B gets at most bound slices.
			bound := uint64(2*workers + 1)
			seq := spawn(t, h, wasm, Options{Namespace: "A"})
			worst, lat := sequentialCalls(ctx, t, h, seq, 20, "B")
			if worst > bound {
				t.Errorf("B started up to %d slices while one call of A waited and ran, want <= %d", worst, bound)
			}
			slices.Sort(lat)
			t.Logf("A's sequential calls with B spinning on every worker (time slice %v): median %v, max %v",
				h.Config().TimeSlice, lat[len(lat)/2], lat[len(lat)-1])

			// Several actors of A, calls submitted at once: each actor's
			// results are in order, and B's slices meanwhile are bounded
			// per call.
			const actors, per = 3, 5
			var as []*Actor
			for range actors {
				as = append(as, spawn(t, h, wasm, Options{Namespace: "A"}))
			}
			before := h.pool.GroupStats("B").Slices
			futs := make([][]*Future, actors)
			for k, a := range as {
				for range per {
					f, err := a.Call(ctx, "next")
					if err != nil {
						t.Fatal(err)
					}
					futs[k] = append(futs[k], f)
				}
			}
			for k := range as {
				for i, f := range futs[k] {
					n, err := Await[int64](ctx, f)
					if err != nil {
						t.Fatalf("A's actor %d call %d: %v", k, i, err)
					}
					if n != int64(i+1) {
						t.Fatalf("A's actor %d call %d returned %d: out of order", k, i, n)
					}
				}
			}
			if got, max := h.pool.GroupStats("B").Slices-before, uint64(actors*per)*bound; got > max {
				t.Errorf("B started %d slices while A's %d concurrent calls ran, want <= %d", got, actors*per, max)
			}
			by.progress(t, 3)

			// B's calls are still running: only preemption let A through.
			for i, a := range spinners {
				if st := a.Info(); st.State != StateAlive || st.Restarts != 0 {
					t.Fatalf("spinner %d: %+v", i, st)
				}
			}
			for i, f := range spins {
				if f.Ready() {
					_, err := f.Get(ctx)
					t.Fatalf("spinner %d's call ended: %v", i, err)
				}
			}
			bst, ast := h.pool.GroupStats("B"), h.pool.GroupStats("A")
			u := h.Usage()
			t.Logf("B: %+v; A: %+v; worst B slices per sequential call of A: %d; host: slices %d, preempts %d, yields %d",
				bst, ast, worst, u.Slices, u.Preempts, u.Yields)
			if bst.Yields == 0 || u.Yields < bst.Yields || u.Preempts < bst.Preempts {
				t.Errorf("B never yielded, or the host's counts miss it: B %+v, host %+v", bst, u)
			}

			// Killing B ends its calls with a typed error at once.
			for _, a := range spinners {
				if err := a.Kill(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for i, f := range spins {
				if _, err := f.Get(ctx); !errors.Is(err, ErrActorDied) {
					t.Errorf("spinner %d after kill: %v, want ErrActorDied", i, err)
				}
			}
			for _, a := range append(as, seq) {
				_ = a.Kill(ctx)
			}
			by.finish(t)
			base.settled(t, h, 0)
		})
	}
}

// TestHostile_FairnessConstructors: constructors are scheduled like calls.
// Namespace B spawns, from as many goroutines as there are workers plus
// one, actors whose constructor spins; namespace A's calls still complete,
// in order, while B's spawns still wait, and B's slices per call of A are
// bounded as for calls.
func TestHostile_FairnessConstructors(t *testing.T) {
	const workers = 2
	h := newTestHost(t, Config{Workers: workers, TimeSlice: 2 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seq := spawn(t, h, fixture(t, "hostile_spin"), Options{Namespace: "A"})
	c, err := h.LoadClass(ctx, fixture(t, "hostile_spin_init"))
	if err != nil {
		t.Fatal(err)
	}
	spawnCtx, stopSpawns := context.WithCancel(ctx)
	errs := make(chan error, workers+1)
	for range workers + 1 {
		go func() {
			_, err := h.Spawn(spawnCtx, c.ID, Options{Namespace: "B", CallTimeout: ptr(h.Config().MaxCallTimeout)})
			errs <- err
		}()
	}
	eventually(t, "B's constructors to take every worker", func() bool {
		return h.pool.GroupStats("B").Slices >= workers
	})
	bound := uint64(2*workers + 1)
	worst, _ := sequentialCalls(ctx, t, h, seq, 20, "B")
	select {
	case err := <-errs:
		t.Fatalf("a spawn of B ended while A ran: %v", err)
	default:
	}
	st := h.pool.GroupStats("B")
	t.Logf("B: %+v; worst B slices per call of A: %d", st, worst)
	if worst > bound {
		t.Errorf("B started up to %d slices while one call of A waited and ran, want <= %d", worst, bound)
	}
	if st.Yields == 0 {
		t.Errorf("B's constructors never yielded: %+v", st)
	}
	// Cancelling the spawns ends the constructors with a typed error.
	stopSpawns()
	for range workers + 1 {
		if err := <-errs; err == nil {
			t.Error("a spinning constructor's spawn succeeded")
		} else if !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled spawn failed with %v, want context.Canceled", err)
		}
	}
}

// TestHostile_SpinDeadlineStillApplies: preemption does not stretch a
// call's deadline (it is wall-clock time, yields included): a spinner with
// a short deadline that keeps yielding to another namespace still ends
// with a deadline trap.
func TestHostile_SpinDeadlineStillApplies(t *testing.T) {
	h := newTestHost(t, Config{Workers: 1, TimeSlice: time.Millisecond})
	wasm := fixture(t, "hostile_spin")
	ctx := context.Background()
	short := spawn(t, h, wasm, Options{Namespace: "B", CallTimeout: ptr(200 * time.Millisecond)})
	_, _ = spinNamespace(t, h, "C", 1)
	f, err := short.Call(ctx, "spin")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Get(ctx)
	var te *TrapError
	if !errors.As(err, &te) || te.Reason != TrapDeadline {
		t.Fatalf("spin: %v, want a deadline trap", err)
	}
}

// TestMaxCallTimeout: Config.MaxCallTimeout caps the call deadline of
// every spawn, a guest's included, and of Config.Defaults.
func TestMaxCallTimeout(t *testing.T) {
	ctx := context.Background()
	if _, err := New(ctx, Config{MaxCallTimeout: time.Second, Defaults: Options{CallTimeout: ptr(2 * time.Second)}}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Defaults above MaxCallTimeout: %v, want ErrInvalidOptions", err)
	}
	if _, err := New(ctx, Config{TimeSlice: time.Microsecond}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("TimeSlice below the minimum: %v, want ErrInvalidOptions", err)
	}
	h := newTestHost(t, Config{})
	if got := h.Config().MaxCallTimeout; got != defaultMaxCallTimeout {
		t.Errorf("default MaxCallTimeout %v, want %v", got, defaultMaxCallTimeout)
	}
	c, err := h.LoadClass(ctx, fixture(t, "hostile_spin"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		timeout time.Duration
		want    error
	}{
		{defaultMaxCallTimeout, nil},
		{defaultMaxCallTimeout + time.Millisecond, ErrInvalidOptions},
		{7 * 24 * time.Hour, ErrInvalidOptions},
	} {
		_, err := h.Spawn(ctx, c.ID, Options{CallTimeout: ptr(tt.timeout)})
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("CallTimeout %v: %v, want %v", tt.timeout, err, tt.want)
		}
	}

	// A namespace's quota lowers the cap: a default deadline is cut to it,
	// one asked for above it is refused.
	if err := h.SetQuota("capped", Quota{CallTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	a, err := h.Spawn(ctx, c.ID, Options{Namespace: "capped"})
	if err != nil {
		t.Fatal(err)
	}
	if got := *a.Info().Options.CallTimeout; got != time.Second {
		t.Errorf("default deadline in a capped namespace: %v, want 1s", got)
	}
	if _, err := h.Spawn(ctx, c.ID, Options{Namespace: "capped", CallTimeout: ptr(2 * time.Second)}); !errors.Is(err, ErrQuota) {
		t.Errorf("deadline above the namespace's cap: %v, want ErrQuota", err)
	}
	if _, err := h.Spawn(ctx, c.ID, Options{Namespace: "capped", CallTimeout: ptr(time.Millisecond)}); err != nil {
		t.Errorf("deadline below the namespace's cap: %v", err)
	}
	if err := h.SetQuota("bad", Quota{CallTimeout: -2}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("negative quota deadline: %v, want ErrInvalidOptions", err)
	}
}
