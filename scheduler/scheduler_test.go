package scheduler

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wactor/wactor/internal/testutil"
)

func newTestPool(t *testing.T, workers int) *Pool {
	t.Helper()
	p := NewPool(Config{Workers: workers, Quantum: 4})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func TestMailbox_PushOrder(t *testing.T) {
	p := newTestPool(t, 3)
	var mu sync.Mutex
	var got []int
	done := make(chan struct{})
	const n = 1000
	mb := NewMailbox(p, 0, func(i int) {
		mu.Lock()
		got = append(got, i)
		if len(got) == n {
			close(done)
		}
		mu.Unlock()
	})
	for i := 0; i < n; i++ {
		if err := mb.Push(i); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	for i, v := range got {
		if v != i {
			t.Fatalf("item %d handled at position %d", v, i)
		}
	}
}

func TestMailbox_Push(t *testing.T) {
	p := newTestPool(t, 1)
	block := make(chan struct{})
	started := make(chan struct{}, 1)
	mb := NewMailbox(p, 2, func(int) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-block
	})
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"first", func() error { return mb.Push(1) }, nil},
		{"second", func() error { <-started; return mb.Push(2) }, nil},
		{"full", func() error { return mb.Push(3) }, ErrFull},
		{"closed", func() error {
			rest := mb.Close()
			if len(rest) != 1 || rest[0] != 2 {
				return errors.New("Close did not return the pending item")
			}
			return mb.Push(4)
		}, ErrClosed},
	}
	for _, tt := range tests {
		if err := tt.do(); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	close(block)
}

// TestMailbox_NoOverlap checks that one mailbox's items never run
// concurrently, while many mailboxes share the pool.
func TestMailbox_NoOverlap(t *testing.T) {
	p := newTestPool(t, 4)
	const boxes, per = 50, 200
	var wg sync.WaitGroup
	wg.Add(boxes * per)
	var overlap atomic.Int32
	mbs := make([]*Mailbox[int], boxes)
	for b := range mbs {
		var running atomic.Int32
		mbs[b] = NewMailbox(p, 0, func(int) {
			if running.Add(1) != 1 {
				overlap.Add(1)
			}
			running.Add(-1)
			wg.Done()
		})
	}
	var pushers sync.WaitGroup
	for g := 0; g < 8; g++ {
		pushers.Add(1)
		go func(g int) {
			defer pushers.Done()
			for i := 0; i < boxes*per/8; i++ {
				if err := mbs[(i+g)%boxes].Push(i); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	pushers.Wait()
	wg.Wait()
	if n := overlap.Load(); n != 0 {
		t.Fatalf("%d overlapping runs of one mailbox", n)
	}
}

// TestPool_Fairness: a flooded mailbox does not keep a quiet one from running.
func TestPool_Fairness(t *testing.T) {
	p := newTestPool(t, 1)
	stop := make(chan struct{})
	var flood *Mailbox[int]
	flood = NewMailbox(p, 0, func(int) {
		select {
		case <-stop:
		default:
			_ = flood.Push(0)
		}
	})
	for i := 0; i < 10; i++ {
		_ = flood.Push(0)
	}
	quietDone := make(chan struct{})
	quiet := NewMailbox(p, 0, func(int) { close(quietDone) })
	if err := quiet.Push(1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-quietDone:
	case <-time.After(10 * time.Second):
		t.Fatal("quiet mailbox starved by a flooded one")
	}
	close(stop)
	flood.Close()
}

func TestPool_Close(t *testing.T) {
	p := NewPool(Config{Workers: 2})
	ran := make(chan struct{})
	mb := NewMailbox(p, 0, func(int) { close(ran) })
	_ = mb.Push(1)
	<-ran
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkMailbox_Push(b *testing.B) {
	p := NewPool(Config{})
	defer p.Close(context.Background())
	var wg sync.WaitGroup
	mb := NewMailbox(p, 0, func(int) { wg.Done() })
	b.ReportAllocs()
	wg.Add(b.N)
	for i := 0; i < b.N; i++ {
		_ = mb.Push(i)
	}
	wg.Wait()
}

// TestPool_Blocking: handlers that block inside Blocking do not use up the
// pool: with one worker, a chain of mailboxes each waiting on the next still
// completes, and the pool shrinks back afterwards.
func TestPool_Blocking(t *testing.T) {
	p := newTestPool(t, 1)
	const depth = 20
	mbs := make([]*Mailbox[chan struct{}], depth)
	for i := depth - 1; i >= 0; i-- {
		i := i
		mbs[i] = NewMailbox(p, 0, func(done chan struct{}) {
			if i == depth-1 {
				close(done)
				return
			}
			next := make(chan struct{})
			if err := mbs[i+1].Push(next); err != nil {
				t.Error(err)
			}
			p.Blocking(func() { <-next })
			close(done)
		})
	}
	done := make(chan struct{})
	if err := mbs[0].Push(done); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("chain of blocking handlers deadlocked the pool")
	}
	eventually := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		running := p.running
		p.mu.Unlock()
		if running == 1 {
			break
		}
		if time.Now().After(eventually) {
			t.Fatalf("pool did not shrink back: %d running workers", running)
		}
		// Surplus workers exit on their next pop; give them work to wake up.
		_ = mbs[depth-1].Push(make(chan struct{}))
		time.Sleep(time.Millisecond)
	}
}

// TestPool_WakeupNotLost: two pushes in a row while one worker idles (the
// other blocked) must not both go to that one worker's wake-up: the second
// signal used to be lost while the woken worker had not yet left the idle
// count, so the second mailbox waited behind a handler that never returned.
func TestPool_WakeupNotLost(t *testing.T) {
	for i := range 50 {
		p := newTestPool(t, 2)
		release := make(chan struct{})
		blocker := NewMailbox(p, 0, func(struct{}) { p.Blocking(func() { <-release }) })
		if err := blocker.Push(struct{}{}); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "one worker blocked, one idle", func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.running == 1 && p.idle == 1
		})
		var stop atomic.Bool
		spinning := make(chan struct{})
		spinner := NewMailbox(p, 0, func(struct{}) {
			close(spinning)
			for !stop.Load() { // a handler that never yields its worker
				runtime.Gosched()
			}
		})
		done := make(chan struct{})
		other := NewMailbox(p, 0, func(struct{}) { close(done) })
		cleanup := func() {
			stop.Store(true)
			close(release)
		}
		if err := spinner.Push(struct{}{}); err != nil {
			t.Fatal(err)
		}
		if err := other.Push(struct{}{}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cleanup()
			t.Fatalf("round %d: the second mailbox did not run while the first spun", i)
		}
		<-spinning
		cleanup()
	}
}
