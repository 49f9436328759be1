package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/wactor/wactor/internal/testutil"
)

// TestPool_SurplusExitArmsTimer: a Place taken while a worker is idle puts
// the pool one over its size; the idle worker, woken for new work, exits as
// surplus. The work must then reach the slice timer, which asks the place
// to yield: before the fix the wake-up went nowhere and the work waited for
// as long as the place ran.
func TestPool_SurplusExitArmsTimer(t *testing.T) {
	p := NewPool(Config{Workers: 1, Slice: time.Millisecond})
	defer p.Close(context.Background())
	testutil.Eventually(t, "the worker to be idle", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.idle == 1
	})
	asked := make(chan struct{}, 1)
	pl, ok := p.Acquire("B", func() {
		select {
		case asked <- struct{}{}:
		default:
		}
	}, nil)
	if !ok {
		t.Fatal("Acquire failed")
	}
	ran := make(chan int, 1)
	a := NewGroupMailbox(p, "A", 0, func(i int) { ran <- i })
	if err := a.Push(1); err != nil {
		t.Fatal(err)
	}
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("the place was never asked to yield while A's item waited")
	}
	if !pl.Yield(nil) {
		t.Fatal("the place did not yield")
	}
	select {
	case i := <-ran:
		if i != 1 {
			t.Fatalf("A ran %d", i)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("A's item did not run after the place yielded")
	}
	pl.Release()
}
