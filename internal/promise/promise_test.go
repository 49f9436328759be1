package promise

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestP: Get waits for Set, which wins once; WhenDone runs each callback
// once, before or after Set; a done ctx ends a wait.
func TestP(t *testing.T) {
	var p P[int]
	if p.Ready() {
		t.Fatal("a new promise is ready")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a done ctx: %v", err)
	}
	var ran atomic.Int32
	p.WhenDone(func() { ran.Add(1) })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := p.Get(context.Background()); v != 7 || err != nil {
				t.Errorf("Get = %d, %v", v, err)
			}
		}()
	}
	wins := 0
	var setWG sync.WaitGroup
	var mu sync.Mutex
	for range 4 {
		setWG.Add(1)
		go func() {
			defer setWG.Done()
			if p.Set(7, nil) { // every setter offers the same value: one wins
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	setWG.Wait()
	wg.Wait()
	<-p.Done()
	p.WhenDone(func() { ran.Add(1) })
	if wins != 1 || ran.Load() != 2 || !p.Ready() {
		t.Fatalf("wins %d, callbacks %d, ready %v", wins, ran.Load(), p.Ready())
	}
	if v, err := p.Result(); v != 7 || err != nil {
		t.Fatalf("Result = %d, %v", v, err)
	}
}

// TestWait: Wait returns as soon as n are set (whichever they are), the
// ready ones in order and at most n; a timeout returns what is ready; a
// done ctx is an error; n out of range waits for all.
func TestWait(t *testing.T) {
	ps := make([]*P[int], 4)
	done := make([]<-chan struct{}, 4)
	for i := range ps {
		ps[i] = &P[int]{}
		done[i] = ps[i].Done()
	}
	ps[2].Set(2, nil)
	got, err := Wait(context.Background(), done, 1, 0) // the third is set: no wait
	if err != nil || len(got) != 1 || got[0] != 2 {
		t.Fatalf("Wait(n=1) = %v, %v; want [2]", got, err)
	}
	go ps[3].Set(3, nil) // set later, while Wait waits: the first is never set
	got, err = Wait(context.Background(), done, 2, 0)
	if err != nil || len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("Wait(n=2) = %v, %v; want [2 3]", got, err)
	}
	got, err = Wait(context.Background(), done, 0, time.Millisecond) // all: times out
	if err != nil || len(got) != 2 {
		t.Fatalf("Wait(all, 1ms) = %v, %v; want the 2 ready and no error", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Wait(ctx, done, 4, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a done ctx: %v", err)
	}
	ps[0].Set(0, nil)
	ps[1].Set(1, nil)
	if got, err := Wait(context.Background(), done, 9, 0); err != nil || len(got) != 4 {
		t.Fatalf("Wait(n=9) = %v, %v; want all 4", got, err)
	}
}
