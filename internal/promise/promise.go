// Package promise is a value that is set once and waited for: the
// machinery under the host's futures (host.Future), which adds what a
// future is of (an actor's call and its ID) on top.
package promise

import (
	"context"
	"reflect"
	"sync"
	"time"
)

// closed is a channel closed from the start, the Done of a set promise
// that nobody waited on.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// P is a value of type V, or an error, set once. The zero value is an
// unset promise, ready to use. Safe for concurrent use; it must not be
// copied after first use.
type P[V any] struct {
	mu    sync.Mutex
	done  bool
	val   V
	err   error
	ch    chan struct{} // made on demand by waiters
	onSet []func()
}

// Get waits for the value (or ctx's end, which returns ctx.Err()).
func (p *P[V]) Get(ctx context.Context) (V, error) {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return p.val, p.err
	}
	if p.ch == nil {
		p.ch = make(chan struct{})
	}
	ch := p.ch
	p.mu.Unlock()
	select {
	case <-ch:
		return p.val, p.err
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// Done returns a channel closed once the value is set.
func (p *P[V]) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return closed
	}
	if p.ch == nil {
		p.ch = make(chan struct{})
	}
	return p.ch
}

// Ready reports whether the value is set (Get would not block).
func (p *P[V]) Ready() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Set sets the value once, then runs the callbacks of WhenDone (after
// releasing its lock); later calls are ignored. It reports whether this
// call set it.
func (p *P[V]) Set(v V, err error) bool {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return false
	}
	p.done, p.val, p.err = true, v, err
	if p.ch != nil {
		close(p.ch)
	}
	cbs := p.onSet
	p.onSet = nil
	p.mu.Unlock()
	for _, cb := range cbs {
		cb()
	}
	return true
}

// WhenDone runs cb once the value is set: at once, on this goroutine, if
// it is; else on the goroutine that sets it.
func (p *P[V]) WhenDone(cb func()) {
	p.mu.Lock()
	if !p.done {
		p.onSet = append(p.onSet, cb)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	cb()
}

// Result returns the value and error as they are now (zero before Set).
func (p *P[V]) Result() (V, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.val, p.err
}

// Wait waits until n of the channels are closed (the Done of promises),
// until ctx ends or until timeout passes (0: no timeout), and returns the
// indexes of the closed ones, in order, at most n of them. n out of range
// (below 1, or above len(done)) waits for all. Only ctx's end is an error;
// a timeout returns what is ready then.
func Wait(ctx context.Context, done []<-chan struct{}, n int, timeout time.Duration) ([]int, error) {
	if n < 1 || n > len(done) {
		n = len(done)
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		var ready []int
		cases := []reflect.SelectCase{
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
			{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(expired)},
		}
		for i, ch := range done {
			select {
			case <-ch:
				if len(ready) < n {
					ready = append(ready, i)
				}
			default:
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
			}
		}
		if len(ready) >= n || len(cases) == 2 {
			return ready, nil
		}
		// Wait for any that is not done yet, then count again.
		switch chosen, _, _ := reflect.Select(cases); chosen {
		case 0:
			return ready, ctx.Err()
		case 1:
			return ready, nil
		}
	}
}
