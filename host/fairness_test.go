package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fairness of the worker pool (scheduler.Pool, scheduler.Mailbox) as a
// caller sees it: one actor is flooded with calls from several goroutines
// while a quiet actor is called sequentially, and the quiet actor's latency
// is compared with its latency when nothing else runs.
//
// What the pool promises (docs/ARCHITECTURE.md, "Scheduler"): a worker runs
// at most a quantum (64) of one mailbox's calls, then puts the mailbox back
// at the tail of the run queue. With one flooded actor, a quiet call that
// finds every worker busy waits for at most the rest of one flood batch
// (64 short calls, a few microseconds each, tens under -race) before its
// mailbox is run: a bounded delay that does not grow with the flood's
// backlog. The bound asserted, flooded p99 <= 2 x baseline p99 + 5 ms,
// leaves room for that batch and for ordinary delays in getting the quiet
// caller back onto a CPU when its result is ready, while an unfair
// pool, one that ran the flooded mailbox until empty or put the quiet one
// behind its backlog, would show the flood's backlog (thousands of calls,
// many milliseconds) in the quiet actor's tail.
//
// The figures measured, and what they show about the pool with one worker,
// are in docs/SCHEDULING.md ("The pool").

const (
	fairnessFlooders = 4    // goroutines flooding the busy actor
	fairnessWindow   = 1024 // calls each flooder keeps outstanding
	poolQuantum      = 64   // scheduler.Config.Quantum's default, as the host uses it
)

// quietObserver records the queueing and running times of one actor's
// calls, in order.
type quietObserver struct {
	id     atomic.Pointer[string]
	busy   atomic.Pointer[Actor]
	mu     sync.Mutex
	events []CallEvent
	// busyDone holds, per quiet call, the busy actor's calls served when
	// the quiet call finished (read on the worker, as it finished).
	busyDone []uint64
}

func (o *quietObserver) CallDone(e CallEvent) {
	if id := o.id.Load(); id != nil && *id == e.ActorID && e.Method == "incr" {
		var served uint64
		if b := o.busy.Load(); b != nil {
			served = b.Info().CallsServed
		}
		o.mu.Lock()
		o.events = append(o.events, e)
		o.busyDone = append(o.busyDone, served)
		o.mu.Unlock()
	}
}

func (o *quietObserver) ActorChanged(ActorEvent) {}

// take returns the events recorded since the last take.
func (o *quietObserver) take() []CallEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	ev := o.events
	o.events, o.busyDone = nil, nil
	return ev
}

// takeBusy returns the busy actor's counts recorded since the last take.
func (o *quietObserver) takeBusy() []uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.busyDone)
}

// phase summarizes the quiet actor's calls in one phase.
type phase struct {
	p50, p99 time.Duration // latency, from Call to the result
	// queuedP99 is the p99 time in the mailbox and run queue: the pool's
	// part of the latency.
	queuedP99 time.Duration
	// outsideP99 is the p99 of latency - queued - ran: the time outside the
	// pool and the guest (encoding, and the caller goroutine waiting for a
	// CPU to be woken on).
	outsideP99 time.Duration
}

func summarize(tb testing.TB, lat []time.Duration, events []CallEvent) phase {
	tb.Helper()
	if len(events) != len(lat) {
		tb.Fatalf("%d observed calls for %d made", len(events), len(lat))
	}
	queued := make([]time.Duration, len(events))
	outside := make([]time.Duration, len(events))
	for i, e := range events { // the calls are sequential: events are in call order
		queued[i] = e.Queued
		outside[i] = lat[i] - e.Queued - e.Ran
	}
	p := phase{queuedP99: quantile(queued, 0.99), outsideP99: quantile(outside, 0.99)}
	p.p50, p.p99 = quantile(lat, 0.5), quantile(lat, 0.99)
	return p
}

// quantile returns the q-quantile (nearest rank) of ds, which it sorts.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*q+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// latencies makes n sequential calls to a and returns their latencies, from
// Call to the result. If busy is not nil, it also returns busy's queue
// length sampled before each call (outside the timed part).
//
// It also returns busy's calls served when each call was submitted.
func latencies(tb testing.TB, a, busy *Actor, n int) (lat []time.Duration, backlog []int, before []uint64) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lat = make([]time.Duration, 0, n)
	for range n {
		if busy != nil {
			info := busy.Info()
			backlog = append(backlog, info.QueueLen)
			before = append(before, info.CallsServed)
		}
		start := time.Now()
		f, err := a.Call(ctx, "incr", 1)
		if err != nil {
			tb.Fatalf("quiet call: %v", err)
		}
		if _, err := f.Get(ctx); err != nil {
			tb.Fatalf("quiet call: %v", err)
		}
		lat = append(lat, time.Since(start))
	}
	return lat, backlog, before
}

// flood calls a from fairnessFlooders goroutines, each keeping
// fairnessWindow calls outstanding, until the returned stop is called; stop
// waits for the flooders and returns how many calls completed. It waits
// until the flood is under way before returning.
func flood(tb testing.TB, h *Host, a *Actor) (stop func() int64) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, fairnessFlooders)
	for range fairnessFlooders {
		handle, err := h.Actor(ctx, a.ID()) // one handle (caller) per goroutine
		if err != nil {
			tb.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var inflight []*Future
			awaitOldest := func() error {
				f := inflight[0]
				inflight = inflight[1:]
				getCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				_, err := f.Get(getCtx)
				done.Add(1)
				return err
			}
			defer func() {
				for len(inflight) > 0 {
					_ = awaitOldest()
				}
			}()
			for ctx.Err() == nil {
				if len(inflight) == fairnessWindow {
					if err := awaitOldest(); err != nil {
						errs <- err
						return
					}
				}
				f, err := handle.Call(ctx, "incr", 1)
				switch {
				case errors.Is(err, ErrBackpressure) && len(inflight) > 0:
					if err := awaitOldest(); err != nil {
						errs <- err
						return
					}
					continue
				case err != nil:
					errs <- err
					return
				}
				inflight = append(inflight, f)
			}
		}()
	}
	// The flood is under way once its actor has a backlog.
	eventually(tb, "the flooded actor to have a backlog", func() bool {
		return a.Info().QueueLen >= fairnessFlooders*fairnessWindow/2
	})
	return func() int64 {
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil && !errors.Is(err, context.Canceled) {
				tb.Errorf("flooder: %v", err)
			}
		}
		return done.Load()
	}
}

// fairnessResult is one measurement: the quiet actor's calls without and
// with the flood.
type fairnessResult struct {
	base, flood phase
	floodCalls  int64
	floodRate   float64 // flooded calls per second
	// backlogged is the fraction of the quiet calls made while the busy
	// actor had at least a quantum of calls queued: 1 for a sustained flood.
	backlogged float64
	// overtakenP99 and overtakenMax: how many of the busy actor's calls
	// completed while a quiet call waited and ran (p99, max).
	overtakenP99, overtakenMax int
}

func (r fairnessResult) String() string {
	return fmt.Sprintf("quiet actor without -> with the flood: p50 %v -> %v, p99 %v -> %v; "+
		"p99 queued in the pool %v -> %v, p99 outside pool and guest %v -> %v; "+
		"flood %d calls, %.0f/s, backlog >= %d at %.0f%% of quiet calls; busy calls overtaking a quiet one p99 %d, max %d",
		r.base.p50, r.flood.p50, r.base.p99, r.flood.p99, r.base.queuedP99, r.flood.queuedP99,
		r.base.outsideP99, r.flood.outsideP99, r.floodCalls, r.floodRate, poolQuantum, 100*r.backlogged,
		r.overtakenP99, r.overtakenMax)
}

// measureFairness spawns a quiet and a busy counter on a host with the
// given workers, and measures n quiet calls without, then with, the flood.
func measureFairness(tb testing.TB, workers, n int) fairnessResult {
	tb.Helper()
	obs := &quietObserver{}
	h := newTestHost(tb, Config{Workers: workers, Observer: obs})
	wasm := readWasm(tb, goCounterPath)
	quiet := spawn(tb, h, wasm, Options{Name: "quiet"})
	busy := spawn(tb, h, wasm, Options{Name: "busy"})
	id := quiet.ID()
	obs.id.Store(&id)

	_, _, _ = latencies(tb, quiet, nil, n/10) // warm up
	invoke[int64](tb, busy, "incr", 1)
	obs.take()

	var r fairnessResult
	base, _, _ := latencies(tb, quiet, nil, n)
	r.base = summarize(tb, base, obs.take())

	obs.busy.Store(busy)
	stop := flood(tb, h, busy)
	start := time.Now()
	flooded, backlog, before := latencies(tb, quiet, busy, n)
	// How many of the busy actor's calls completed between each quiet
	// call's submission and its completion on the worker: the pool's
	// fairness in calls, which CPU contention does not blur.
	done := obs.takeBusy()
	overtaken := make([]int, len(before))
	for i := range before {
		overtaken[i] = int(done[i] - before[i])
	}
	elapsed := time.Since(start)
	r.floodCalls = stop()
	r.floodRate = float64(r.floodCalls) / elapsed.Seconds()
	r.flood = summarize(tb, flooded, obs.take())
	full := 0
	for _, q := range backlog {
		if q >= poolQuantum {
			full++
		}
	}
	r.backlogged = float64(full) / float64(len(backlog))
	slices.Sort(overtaken)
	r.overtakenP99 = overtaken[min(len(overtaken)-1, len(overtaken)*99/100)]
	r.overtakenMax = overtaken[len(overtaken)-1]
	return r
}

// fairnessBound is the largest flooded p99 accepted for a baseline p99.
func fairnessBound(base time.Duration) time.Duration { return 2*base + 50*time.Millisecond }

// fairnessAttempts is how many measurements TestFairness_QuietActor makes
// before it fails: the bound must hold in one of them.
const fairnessAttempts = 3

// TestFairness_QuietActor: a flooded actor does not hold a quiet one's calls
// back beyond a bounded delay, on one worker (the two actors share it) and
// on two.
//
// Latency on a shared machine also depends on what else runs on it (CI runs
// packages in parallel), so the test measures up to fairnessAttempts times
// and passes on the first measurement within the bound. An unfair pool fails
// every attempt; a burst of outside load fails one.
func TestFairness_QuietActor(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 300
	}
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			var failures []string
			for attempt := 1; attempt <= fairnessAttempts; attempt++ {
				r := measureFairness(t, workers, n)
				t.Logf("attempt %d: %v", attempt, r)
				bound := fairnessBound(r.base.p99)
				switch {
				case workers == 1 && r.overtakenP99 > 2*poolQuantum:
					// In calls, which load on the machine does not blur: with
					// one worker, a quiet call waits for at most the rest of
					// the busy actor's running batch (measured: exactly one
					// quantum at most), and an unfair pool would let the
					// busy actor's whole backlog (thousands) run first. (The
					// max can exceed it when the test goroutine is descheduled
					// between sampling the count and submitting.)
					failures = append(failures, fmt.Sprintf("attempt %d: p99 %d of the busy actor's calls ran ahead of a quiet call, more than 2 quanta (%d) (%v)",
						attempt, r.overtakenP99, 2*poolQuantum, r))
				case r.flood.p99 > bound:
					// In time: a generous bound, since wall-clock tails on a
					// shared machine (other packages' tests run in parallel,
					// the race detector slows calls 10x) measure the machine
					// as much as the pool; BenchmarkFairness_QuietP99 reports
					// the figures.
					failures = append(failures, fmt.Sprintf("attempt %d: p99 %v > 2 x %v + 50ms = %v (%v)",
						attempt, r.flood.p99, r.base.p99, bound, r))
				case r.backlogged < 0.9:
					// Within the bound, but the busy actor was not flooded
					// all along, so the pass proves little.
					failures = append(failures, fmt.Sprintf("attempt %d: inconclusive, not a sustained flood: "+
						"the busy actor had %d or more calls queued at only %.0f%% of the quiet calls (%v)",
						attempt, poolQuantum, 100*r.backlogged, r))
				default:
					return
				}
			}
			t.Errorf("the quiet actor's p99 latency under a flood stayed above the bound in %d attempts:\n%s",
				fairnessAttempts, strings.Join(failures, "\n"))
		})
	}
}

// BenchmarkFairness_QuietP99 reports the quiet actor's p99 latency without
// (base-p99-ns) and with (flood-p99-ns) a flood on another actor, per number
// of workers. b.N is the number of quiet calls in each phase.
func BenchmarkFairness_QuietP99(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			n := max(b.N, 100)
			r := measureFairness(b, workers, n)
			b.ReportMetric(float64(r.base.p99.Nanoseconds()), "base-p99-ns")
			b.ReportMetric(float64(r.flood.p99.Nanoseconds()), "flood-p99-ns")
			b.ReportMetric(float64(r.base.queuedP99.Nanoseconds()), "base-queued-p99-ns")
			b.ReportMetric(float64(r.flood.queuedP99.Nanoseconds()), "flood-queued-p99-ns")
			b.ReportMetric(r.floodRate, "flood-calls/s")
		})
	}
}
