package promise

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
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
	for i := range 4 {
		setWG.Add(1)
		go func() {
			defer setWG.Done()
			v := 7
			if i > 0 {
				v = 7 // every setter offers the same value: only one wins
			}
			if p.Set(v, nil) {
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
