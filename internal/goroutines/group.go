// Package goroutines is the one place wactor starts long-lived goroutines, so
// that each has an owner that waits for it on Close.
package goroutines

import (
	"context"
	"sync"
)

// Group tracks goroutines started with Go. It is safe for concurrent use.
// The zero value is ready to use.
type Group struct {
	wg sync.WaitGroup
}

// Go runs fn in a new goroutine owned by the group.
func (g *Group) Go(fn func()) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn()
	}()
}

// Wait waits for every goroutine of the group to return, or for ctx to end
// (then it returns ctx.Err() and the goroutines are still running).
func (g *Group) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
