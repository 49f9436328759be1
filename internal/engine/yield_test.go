package engine_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wactor/wactor/internal/engine"

	"github.com/wactor/wactor/internal/testutil"
)

// TestYield: Yield makes a running call run OnYield on its own goroutine,
// where it can block (the guest is paused), and the call goes on afterwards,
// as often as asked; an Interrupt while OnYield blocks stops the call once
// it returns. Without OnYield, Yield does nothing.
func TestYield(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		m := f.module(t, loopWasm)
		var yields atomic.Int64
		entered := make(chan struct{}, 1)
		release := make(chan struct{})
		var block atomic.Bool
		inst := instantiate(t, m, engine.InstanceConfig{OnYield: func() {
			yields.Add(1)
			if block.Load() {
				entered <- struct{}{}
				<-release
			}
		}})
		done := make(chan error, 1)
		go func() { done <- inst.Call(ctx, "spin", make([]uint64, 2)) }()
		stopped := false
		t.Cleanup(func() {
			if !stopped {
				inst.Interrupt()
				<-done
			}
		})
		// Non-blocking yields: each request runs OnYield once, and the
		// call goes on.
		for i := int64(1); i <= 3; i++ {
			inst.Yield()
			testutil.Eventually(t, "OnYield to run", func() bool { return yields.Load() >= i })
		}
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("spin returned after yields: %v", err)
		default:
		}
		// A blocking yield, interrupted while it blocks.
		block.Store(true)
		inst.Yield()
		select {
		case <-entered:
		case <-time.After(10 * time.Second):
			t.Fatal("OnYield did not run")
		}
		inst.Interrupt()
		select {
		case err := <-done:
			t.Fatalf("the call ended while OnYield blocked: %v", err)
		default:
		}
		close(release)
		select {
		case err := <-done:
			stopped = true
			if !errors.Is(err, engine.ErrInterrupted) {
				t.Fatalf("spin: %v, want an interrupt", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("an interrupt during OnYield did not stop the call")
		}
		// The instance runs normally afterwards.
		block.Store(false)
		stack := []uint64{10}
		if err := inst.Call(ctx, "sum", stack); err != nil || stack[0] != 45 {
			t.Fatalf("sum(10) after the yields = %d, %v", stack[0], err)
		}

		// Without OnYield, Yield is a no-op: the call is not disturbed.
		plain := instantiate(t, m, engine.InstanceConfig{})
		plain.Yield()
		stack = []uint64{10}
		if err := plain.Call(ctx, "sum", stack); err != nil || stack[0] != 45 {
			t.Fatalf("sum(10) after Yield without OnYield = %d, %v", stack[0], err)
		}
	})
}
