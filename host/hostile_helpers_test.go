package host

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The hostile-guest suite (hostile_*_test.go) attacks a host with a class
// written to hurt it and checks four things: the attack ends with a typed
// error within its documented bound, the host stays alive, its own
// accounting (Usage) returns near its baseline, and a bystander actor in
// another namespace keeps answering throughout. These helpers are shared by
// every file of the suite.

// bystanderNamespace is where the bystander lives: never the attacker's.
const bystanderNamespace = "bystander"

// bystander is a C counter in its own namespace that a goroutine calls in a
// loop while an attack runs.
type bystander struct {
	a      *Actor
	calls  atomic.Int64 // completed calls
	failed atomic.Int64 // calls that returned an error
	last   atomic.Value // error of the latest failed call
	stop   chan struct{}
	wg     sync.WaitGroup
}

// startBystander spawns the bystander on h and starts calling it. The test
// must call finish.
func startBystander(t testing.TB, h *Host) *bystander {
	t.Helper()
	b := &bystander{a: spawn(t, h, readWasm(t, cCounterPath), Options{Namespace: bystanderNamespace}, 0), stop: make(chan struct{})}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			select {
			case <-b.stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			_, err := b.a.Invoke(ctx, "incr", 1)
			cancel()
			if err != nil {
				b.failed.Add(1)
				b.last.Store(err)
				continue
			}
			b.calls.Add(1)
		}
	}()
	t.Cleanup(func() { b.halt() })
	return b
}

func (b *bystander) halt() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	b.wg.Wait()
}

// progress waits until the bystander has completed n more calls than when
// progress was called: proof that it is being served during the attack.
func (b *bystander) progress(t testing.TB, n int64) {
	t.Helper()
	from := b.calls.Load()
	eventually(t, "the bystander to complete calls", func() bool { return b.calls.Load() >= from+n })
}

// finish stops the bystander and fails the test if any of its calls failed
// or if it completed none.
func (b *bystander) finish(t testing.TB) {
	t.Helper()
	b.halt()
	if n := b.failed.Load(); n > 0 {
		err, _ := b.last.Load().(error)
		t.Errorf("bystander: %d calls failed, the latest with: %v", n, err)
	}
	if b.calls.Load() == 0 {
		t.Error("bystander completed no call")
	}
}

// baseline is the host's own accounting before an attack.
type baseline struct{ u NodeUsage }

func takeBaseline(h *Host) baseline { return baseline{h.Usage()} }

// settled waits until the host's accounting is back near the baseline: the
// same number of live actors and sandboxes (the bystander's included) and
// linear memory within slack bytes of it.
func (b baseline) settled(t testing.TB, h *Host, slack uint64) {
	t.Helper()
	var u NodeUsage
	eventually(t, "the host's accounting to return to its baseline", func() bool {
		u = h.Usage()
		return u.Actors <= b.u.Actors && u.Sandboxes <= b.u.Sandboxes && u.MemoryBytes <= b.u.MemoryBytes+slack
	})
}

// wantErr fails the test unless err matches target (errors.Is).
func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}
