package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// protoactor-go is the unsandboxed Go actor engine baseline: the same
// counter as a Go actor, called in process with request/response. Messages
// are native Go values (an int64), not CBOR: the point of this baseline is
// an engine without a sandbox or an encoding.

// paTimeout bounds every protoactor-go request (a hung baseline fails the
// row instead of hanging the run).
const paTimeout = time.Minute

var (
	paOnce   sync.Once
	paSystem *actor.ActorSystem
)

// protoSystem returns the process's actor system (created once, quiet).
func protoSystem() *actor.ActorSystem {
	paOnce.Do(func() {
		paSystem = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return discardLogger }))
	})
	return paSystem
}

// paGet asks a counter for its value.
type paGet struct{}

// paCounter is the counter actor: an int64 message adds to the count and
// is answered with the new count; paGet is answered with the count.
type paCounter struct{ count int64 }

// Receive implements actor.Actor.
func (a *paCounter) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case int64:
		a.count += m
		c.Respond(a.count)
	case paGet:
		c.Respond(a.count)
	}
}

var paCounterProps = actor.PropsFromProducer(func() actor.Actor { return &paCounter{} })

// paSpawn spawns n counters; stop stops them.
func paSpawn(sys *actor.ActorSystem, n int) (pids []*actor.PID, stop func()) {
	pids = make([]*actor.PID, n)
	for i := range pids {
		pids[i] = sys.Root.Spawn(paCounterProps)
	}
	return pids, func() {
		for _, p := range pids {
			sys.Root.Stop(p)
		}
	}
}

func paResult(f *actor.Future) (int64, error) {
	v, err := f.Result()
	if err != nil {
		return 0, fmt.Errorf("protoactor: %w", err)
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("protoactor: unexpected reply %T", v)
	}
	return n, nil
}

// paSum asks every counter for its value and checks the sum.
func paSum(sys *actor.ActorSystem, pids []*actor.PID, want int64) error {
	var sum int64
	for _, p := range pids {
		n, err := paResult(sys.Root.RequestFuture(p, paGet{}, paTimeout))
		if err != nil {
			return err
		}
		sum += n
	}
	if sum != want {
		return fmt.Errorf("protoactor: the counters add up to %d, want %d", sum, want)
	}
	return nil
}

// paCalls: one caller, with window requests in flight (1: synchronous).
func paCalls(window int) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(_ context.Context, _ *env, ops int) (sample, error) {
		sys := protoSystem()
		pids, stop := paSpawn(sys, 1)
		defer stop()
		start := time.Now()
		if err := paCaller(sys.Root, pids, ops, window); err != nil {
			return sample{}, err
		}
		el := time.Since(start)
		return sample{elapsed: el}, paSum(sys, pids, int64(ops))
	}
}

// paCaller makes n calls spread over pids, window at a time.
func paCaller(root *actor.RootContext, pids []*actor.PID, n, window int) error {
	futs := make([]*actor.Future, 0, window)
	for done := 0; done < n; done += window {
		futs = futs[:0]
		for i := range min(window, n-done) {
			futs = append(futs, root.RequestFuture(pids[i%len(pids)], int64(1), paTimeout))
		}
		for _, f := range futs {
			if _, err := paResult(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// paOneToN: one caller, fanout counters, 1,000 requests in flight.
func paOneToN(_ context.Context, _ *env, ops int) (sample, error) {
	sys := protoSystem()
	pids, stop := paSpawn(sys, fanout)
	defer stop()
	start := time.Now()
	if err := paCaller(sys.Root, pids, ops, window); err != nil {
		return sample{}, err
	}
	el := time.Since(start)
	return sample{elapsed: el}, paSum(sys, pids, int64(ops))
}

// paNToN: fanout callers (goroutines), each calling all fanout counters
// with 1,000 requests in flight.
func paNToN(_ context.Context, _ *env, ops int) (sample, error) {
	sys := protoSystem()
	pids, stop := paSpawn(sys, fanout)
	defer stop()
	errs := make([]error, fanout)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range fanout {
		n := ops / fanout
		if c < ops%fanout {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[c] = paCaller(sys.Root, pids, n, window)
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return sample{}, err
	}
	return sample{elapsed: el}, paSum(sys, pids, int64(ops))
}

// paStart asks a pinger to make n calls of its peer, window at a time.
type paStart struct {
	peer      *actor.PID
	n, window int
}

// paPinger calls its peer (a paPonger) like pingpong's ping and ping_async:
// it keeps window requests in flight and answers the paStart's sender with
// the sum of the replies once all n have come back.
type paPinger struct {
	start      paStart
	replyTo    *actor.PID
	sent, recv int
	sum        int64
}

// Receive implements actor.Actor.
func (p *paPinger) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case paStart:
		p.start, p.replyTo, p.sent, p.recv, p.sum = m, c.Sender(), 0, 0, 0
		for p.sent < m.n && p.sent < m.window {
			c.Request(m.peer, int64(p.sent))
			p.sent++
		}
		if m.n == 0 {
			c.Send(p.replyTo, int64(0))
		}
	case int64: // a reply of the peer
		p.sum += m
		p.recv++
		if p.sent < p.start.n {
			c.Request(p.start.peer, int64(p.sent))
			p.sent++
		}
		if p.recv == p.start.n {
			c.Send(p.replyTo, p.sum)
		}
	}
}

// paPonger answers x with x+1, like pingpong's pong.
func paPonger(c actor.Context) {
	if x, ok := c.Message().(int64); ok {
		c.Respond(x + 1)
	}
}

// paPingPong: actor-to-actor request/response between two actors, window
// requests in flight (1: synchronous ping-pong).
func paPingPong(window int) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(_ context.Context, _ *env, ops int) (sample, error) {
		sys := protoSystem()
		pinger := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &paPinger{} }))
		ponger := sys.Root.Spawn(actor.PropsFromFunc(paPonger))
		defer sys.Root.Stop(pinger)
		defer sys.Root.Stop(ponger)
		start := time.Now()
		sum, err := paResult(sys.Root.RequestFuture(pinger, paStart{peer: ponger, n: ops, window: window}, paTimeout))
		el := time.Since(start)
		if err != nil {
			return sample{}, err
		}
		if want := int64(ops) * int64(ops+1) / 2; sum != want {
			return sample{}, fmt.Errorf("protoactor: ping-pong sum %d, want %d", sum, want)
		}
		return sample{elapsed: el}, nil
	}
}

// paCreation: spawning counters one after the other.
func paCreation(_ context.Context, _ *env, ops int) (sample, error) {
	sys := protoSystem()
	start := time.Now()
	pids, stop := paSpawn(sys, ops)
	el := time.Since(start)
	defer stop()
	// The last one answers (its Started message ran).
	if _, err := paResult(sys.Root.RequestFuture(pids[len(pids)-1], paGet{}, paTimeout)); err != nil {
		return sample{}, err
	}
	return sample{elapsed: el}, nil
}

// paDensity: the resident memory of idle counters.
func paDensity(_ context.Context, _ *env, ops int) (sample, error) {
	sys := protoSystem()
	return densitySample(ops, func(n int) (func(), error) {
		pids, stop := paSpawn(sys, n)
		// Wait until every actor has started.
		for _, p := range pids {
			if _, err := paResult(sys.Root.RequestFuture(p, paGet{}, paTimeout)); err != nil {
				return stop, err
			}
		}
		return stop, nil
	})
}
