package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wactor/wactor/internal/testutil"
)

// testClock is a settable clock for the head-of-line grace.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// withClock makes a use c; call it before a is shared.
func withClock(a *Admission, c *testClock) { a.now = c.now }

func newTestAdmission(t testing.TB, cfg AdmissionConfig) *Admission {
	t.Helper()
	a, err := NewAdmission(cfg)
	if err != nil {
		t.Fatalf("NewAdmission: %v", err)
	}
	return a
}

// mustReserve reserves req, which must be admitted at once.
func mustReserve(t testing.TB, a *Admission, req Resources) *Reservation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := a.Reserve(ctx, req, time.Nanosecond) // would time out if it had to wait
	if err != nil {
		t.Fatalf("Reserve(%v): %v", req, err)
	}
	return r
}

// pending is a Reserve running in a goroutine.
type pending struct {
	r    *Reservation
	err  error
	done chan struct{}
}

func reserveAsync(a *Admission, ctx context.Context, req Resources, timeout time.Duration) *pending {
	p := &pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.r, p.err = a.Reserve(ctx, req, timeout)
	}()
	return p
}

// wait waits for the Reserve to return, failing the test after 10s.
func (p *pending) wait(t testing.TB) (*Reservation, error) {
	t.Helper()
	select {
	case <-p.done:
		return p.r, p.err
	case <-time.After(10 * time.Second):
		t.Fatal("Reserve did not return")
		return nil, nil
	}
}

// returned reports whether the Reserve has returned.
func (p *pending) returned() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func waiting(a *Admission, n int) func() bool {
	return func() bool { return a.Usage().Waiting == n }
}

func reserved(t testing.TB, a *Admission, name string) float64 {
	t.Helper()
	u, ok := a.Usage().Resource(name)
	if !ok {
		t.Fatalf("Usage has no %q", name)
	}
	return u.Reserved
}

var node = AdmissionConfig{CPU: 4, GPU: 1, Memory: 1 << 30, Custom: map[string]float64{"accel": 2}}

func TestNewAdmission(t *testing.T) {
	tests := []struct {
		name    string
		cfg     AdmissionConfig
		wantErr error
		check   func(t *testing.T, u Usage)
	}{
		{name: "defaults", cfg: AdmissionConfig{}, check: func(t *testing.T, u Usage) {
			want := map[string]float64{ResourceCPU: float64(runtime.GOMAXPROCS(0)), ResourceGPU: 0, ResourceMemory: math.Inf(1)}
			if len(u.Resources) != 3 {
				t.Fatalf("resources %+v, want cpu, gpu, memory", u.Resources)
			}
			for _, r := range u.Resources {
				if r.Capacity != want[r.Name] {
					t.Errorf("%s capacity %v, want %v", r.Name, r.Capacity, want[r.Name])
				}
			}
		}},
		{name: "explicit", cfg: node, check: func(t *testing.T, u Usage) {
			var got []string
			for _, r := range u.Resources {
				got = append(got, fmt.Sprintf("%s=%v", r.Name, r.Capacity))
			}
			if s := strings.Join(got, " "); s != "cpu=4 gpu=1 memory=1.073741824e+09 accel=2" {
				t.Errorf("capacities %s", s)
			}
		}},
		{name: "unlimited", cfg: AdmissionConfig{CPU: math.Inf(1), Custom: map[string]float64{"x": math.Inf(1)}}, check: func(t *testing.T, u Usage) {
			for _, name := range []string{ResourceCPU, "x"} {
				if r, _ := u.Resource(name); !math.IsInf(r.Capacity, 1) {
					t.Errorf("%s capacity %v, want +Inf", name, r.Capacity)
				}
			}
		}},
		{name: "negative cpu", cfg: AdmissionConfig{CPU: -1}, wantErr: ErrInvalidResources},
		{name: "NaN gpu", cfg: AdmissionConfig{GPU: math.NaN()}, wantErr: ErrInvalidResources},
		{name: "negative memory", cfg: AdmissionConfig{Memory: -1}, wantErr: ErrInvalidResources},
		{name: "huge cpu", cfg: AdmissionConfig{CPU: 1e300}, wantErr: ErrInvalidResources},
		{name: "custom named CPU", cfg: AdmissionConfig{Custom: map[string]float64{"CPU": 1}}, wantErr: ErrInvalidResources},
		{name: "custom without name", cfg: AdmissionConfig{Custom: map[string]float64{"": 1}}, wantErr: ErrInvalidResources},
		{name: "custom negative", cfg: AdmissionConfig{Custom: map[string]float64{"x": -1}}, wantErr: ErrInvalidResources},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewAdmission(tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, a.Usage())
			}
		})
	}
}

// TestAdmission_Reserve covers the requests decided at once: admitted, or
// failed without waiting.
func TestAdmission_Reserve(t *testing.T) {
	tests := []struct {
		name string
		held []Resources // reserved first
		req  Resources
		// wantErr is nil for an admitted request; wantShort names the
		// resource of an *InsufficientResourcesError.
		wantErr                 error
		wantShort               string
		wantRequested, wantCap  float64
		wantMsg                 string
		wantReservedCPUAfterAll float64
	}{
		{name: "nothing (Ray's actor default) holds nothing", held: []Resources{{CPU: 4}}, req: Resources{},
			wantReservedCPUAfterAll: 4},
		{name: "zero custom entry is nothing", held: []Resources{{CPU: 4}}, req: Resources{Custom: map[string]float64{"tpu": 0}},
			wantReservedCPUAfterAll: 4},
		{name: "fits", req: Resources{CPU: 1, GPU: 0.5, Memory: 1 << 20, Custom: map[string]float64{"accel": 1}},
			wantReservedCPUAfterAll: 1},
		{name: "exactly the rest", held: []Resources{{CPU: 1.5}}, req: Resources{CPU: 2.5},
			wantReservedCPUAfterAll: 4},
		{name: "tenths add up exactly", held: []Resources{{CPU: 0.1}, {CPU: 0.1}, {CPU: 0.1}, {CPU: 0.1}, {CPU: 0.1}, {CPU: 0.1}, {CPU: 0.1}, {CPU: 0.1}, {CPU: 0.1}, {CPU: 0.1}, {CPU: 2}},
			req: Resources{CPU: 1}, wantReservedCPUAfterAll: 4},
		{name: "more cpu than the node has", req: Resources{CPU: 8},
			wantErr: ErrUnschedulable, wantShort: ResourceCPU, wantRequested: 8, wantCap: 4,
			wantMsg: "requested 8 cpu, the node has 4 in all"},
		{name: "gpu above capacity while cpu is busy", held: []Resources{{CPU: 4}}, req: Resources{CPU: 1, GPU: 2},
			wantErr: ErrUnschedulable, wantShort: ResourceGPU, wantRequested: 2, wantCap: 1, wantReservedCPUAfterAll: 4},
		{name: "more memory than the node has", req: Resources{Memory: 2 << 30},
			wantErr: ErrUnschedulable, wantShort: ResourceMemory, wantRequested: 2 << 30, wantCap: 1 << 30,
			wantMsg: "requested 2GiB memory, the node has 1GiB in all"},
		{name: "custom resource the node lacks", req: Resources{Custom: map[string]float64{"tpu": 1}},
			wantErr: ErrUnschedulable, wantShort: "tpu", wantRequested: 1, wantCap: 0,
			wantMsg: "requested 1 tpu, the node has none"},
		{name: "too much of a custom resource", req: Resources{Custom: map[string]float64{"accel": 2.5}},
			wantErr: ErrUnschedulable, wantShort: "accel", wantRequested: 2.5, wantCap: 2},
		{name: "negative cpu", req: Resources{CPU: -1}, wantErr: ErrInvalidResources},
		{name: "NaN gpu", req: Resources{GPU: math.NaN()}, wantErr: ErrInvalidResources},
		{name: "infinite cpu", req: Resources{CPU: math.Inf(1)}, wantErr: ErrInvalidResources},
		{name: "negative memory", req: Resources{Memory: -1}, wantErr: ErrInvalidResources},
		{name: "custom named like a built-in", req: Resources{Custom: map[string]float64{"GPU": 1}}, wantErr: ErrInvalidResources},
		{name: "custom without a name", req: Resources{Custom: map[string]float64{"": 1}}, wantErr: ErrInvalidResources},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAdmission(t, node)
			for _, h := range tt.held {
				mustReserve(t, a, h)
			}
			// No timeout: a request that wrongly waited would hang until
			// the context's 10s, and fail with the wrong error.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			r, err := a.Reserve(ctx, tt.req, 0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Reserve(%v) after %v: err %v, want %v", tt.req, time.Since(start), err, tt.wantErr)
			}
			if tt.wantShort != "" {
				var ie *InsufficientResourcesError
				if !errors.As(err, &ie) {
					t.Fatalf("err %T %v, want *InsufficientResourcesError", err, err)
				}
				if ie.Resource != tt.wantShort || ie.Requested != tt.wantRequested || ie.Capacity != tt.wantCap {
					t.Errorf("got %+v, want {%s %v %v}", *ie, tt.wantShort, tt.wantRequested, tt.wantCap)
				}
			}
			if tt.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.wantMsg)) {
				t.Errorf("message %q does not contain %q", err, tt.wantMsg)
			}
			if err == nil {
				if r == nil {
					t.Fatal("nil reservation without an error")
				}
				if got := r.Resources(); got.String() != tt.req.String() {
					t.Errorf("Resources() = %v, want %v", got, tt.req)
				}
			}
			if got := reserved(t, a, ResourceCPU); got != tt.wantReservedCPUAfterAll {
				t.Errorf("reserved cpu %v, want %v", got, tt.wantReservedCPUAfterAll)
			}
			if err == nil {
				r.Release()
				if got, want := reserved(t, a, ResourceCPU), tt.wantReservedCPUAfterAll-tt.req.CPU; math.Abs(got-want) > 1e-9 {
					t.Errorf("after Release: reserved cpu %v, want %v", got, want)
				}
			}
		})
	}
}

// TestAdmission_WaitsThenSucceeds: a request that does not fit waits, and
// is admitted when enough is released, for each kind of resource.
func TestAdmission_WaitsThenSucceeds(t *testing.T) {
	tests := []struct {
		name      string
		held, req Resources
	}{
		{"cpu", Resources{CPU: 3}, Resources{CPU: 2}},
		{"gpu fraction", Resources{GPU: 0.75}, Resources{GPU: 0.5}},
		{"memory", Resources{Memory: 768 << 20}, Resources{Memory: 512 << 20}},
		{"custom", Resources{Custom: map[string]float64{"accel": 2}}, Resources{Custom: map[string]float64{"accel": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAdmission(t, node)
			held := mustReserve(t, a, tt.held)
			p := reserveAsync(a, context.Background(), tt.req, 0)
			testutil.Eventually(t, "the request waits", waiting(a, 1))
			if p.returned() {
				t.Fatalf("Reserve returned while %v was held: %v", tt.held, p.err)
			}
			held.Release()
			r, err := p.wait(t)
			if err != nil {
				t.Fatalf("Reserve after Release: %v", err)
			}
			if u := a.Usage(); u.Waiting != 0 || u.Reservations != 1 {
				t.Errorf("usage %+v, want 0 waiting and 1 reservation", u)
			}
			r.Release()
			for _, ru := range a.Usage().Resources {
				if ru.Reserved != 0 || ru.Pending != 0 || ru.Waiting != 0 {
					t.Errorf("after releasing everything: %+v", ru)
				}
			}
		})
	}
}

func TestAdmission_Timeout(t *testing.T) {
	tests := []struct {
		name      string
		held, req Resources
		useCtx    bool // the context's deadline instead of the timeout argument
		wantRes   string
		wantMsg   string
	}{
		{name: "cpu", held: Resources{CPU: 4}, req: Resources{CPU: 2}, wantRes: ResourceCPU,
			wantMsg: "waiting for cpu: requested 2, free 0 of 4"},
		{name: "cpu by ctx deadline", held: Resources{CPU: 4}, req: Resources{CPU: 2}, useCtx: true, wantRes: ResourceCPU,
			wantMsg: "waiting for cpu: requested 2, free 0 of 4"},
		{name: "memory", held: Resources{Memory: 768 << 20}, req: Resources{CPU: 1, Memory: 512 << 20}, wantRes: ResourceMemory,
			wantMsg: "waiting for memory: requested 512MiB, free 256MiB of 1GiB"},
		{name: "custom", held: Resources{Custom: map[string]float64{"accel": 1.5}}, req: Resources{Custom: map[string]float64{"accel": 1}},
			wantRes: "accel", wantMsg: "waiting for accel: requested 1, free 0.5 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAdmission(t, node)
			held := mustReserve(t, a, tt.held)
			defer held.Release()
			ctx, timeout := context.Background(), 20*time.Millisecond
			if tt.useCtx {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
				timeout = 0
			}
			r, err := a.Reserve(ctx, tt.req, timeout)
			if r != nil {
				t.Fatalf("got a reservation %v", r.Resources())
			}
			if !errors.Is(err, ErrAdmissionTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err %v, want ErrAdmissionTimeout and context.DeadlineExceeded", err)
			}
			var te *AdmissionTimeoutError
			if !errors.As(err, &te) || te.Resource != tt.wantRes || te.Waited <= 0 {
				t.Fatalf("err %#v, want *AdmissionTimeoutError for %s", err, tt.wantRes)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message %q does not contain %q", err, tt.wantMsg)
			}
			if u := a.Usage(); u.Waiting != 0 || u.Reservations != 1 {
				t.Errorf("usage after the timeout %+v, want 0 waiting, 1 reservation", u)
			}
		})
	}
}

func TestAdmission_Cancel(t *testing.T) {
	a := newTestAdmission(t, node)
	held := mustReserve(t, a, Resources{CPU: 4})
	ctx, cancel := context.WithCancel(context.Background())
	p := reserveAsync(a, ctx, Resources{CPU: 1}, 0)
	testutil.Eventually(t, "the request waits", waiting(a, 1))
	cancel()
	r, err := p.wait(t)
	if r != nil || !errors.Is(err, context.Canceled) || errors.Is(err, ErrAdmissionTimeout) {
		t.Fatalf("got %v, %v; want context.Canceled and not ErrAdmissionTimeout", r, err)
	}
	if !strings.Contains(err.Error(), "waiting for cpu: requested 1, free 0 of 4") {
		t.Errorf("message %q does not name the resource", err)
	}
	if u := a.Usage(); u.Waiting != 0 {
		t.Errorf("%d still waiting", u.Waiting)
	}
	held.Release()
	if got := reserved(t, a, ResourceCPU); got != 0 {
		t.Errorf("reserved cpu %v after the cancelled request, want 0", got)
	}

	// A context that has already ended fails even a request that fits.
	if _, err := a.Reserve(ctx, Resources{CPU: 1}, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Reserve with a cancelled ctx: %v", err)
	}
}

func TestAdmission_ReleaseIdempotent(t *testing.T) {
	a := newTestAdmission(t, node)
	other := mustReserve(t, a, Resources{CPU: 1, Custom: map[string]float64{"accel": 1}})
	r := mustReserve(t, a, Resources{CPU: 2, Custom: map[string]float64{"accel": 1}})
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Release()
		}()
	}
	wg.Wait()
	r.Release()
	if got := reserved(t, a, ResourceCPU); got != 1 {
		t.Errorf("reserved cpu %v after releasing one reservation many times, want 1", got)
	}
	if got := reserved(t, a, "accel"); got != 1 {
		t.Errorf("reserved accel %v, want 1", got)
	}
	if n := a.Usage().Reservations; n != 1 {
		t.Errorf("%d reservations, want 1", n)
	}
	other.Release()
	var nilRes *Reservation
	nilRes.Release() // no-op
	nothing := mustReserve(t, a, Resources{})
	nothing.Release()
	nothing.Release()
	if u := a.Usage(); u.Reservations != 0 || reserved(t, a, ResourceCPU) != 0 {
		t.Errorf("usage %+v, want nothing reserved", u)
	}
}

// TestAdmission_FIFO: waiters for the same resource are admitted in order.
func TestAdmission_FIFO(t *testing.T) {
	a := newTestAdmission(t, AdmissionConfig{CPU: 4})
	h1, h2 := mustReserve(t, a, Resources{CPU: 2}), mustReserve(t, a, Resources{CPU: 2})
	ctx := context.Background()
	var ps []*pending
	for i := range 3 {
		ps = append(ps, reserveAsync(a, ctx, Resources{CPU: 2}, 0))
		testutil.Eventually(t, fmt.Sprintf("%d waiting", i+1), waiting(a, i+1))
	}
	h1.Release()
	r0, err := ps[0].wait(t)
	if err != nil {
		t.Fatal(err)
	}
	if ps[1].returned() || ps[2].returned() {
		t.Fatal("a later waiter was admitted before the first")
	}
	h2.Release()
	r1, err := ps[1].wait(t)
	if err != nil {
		t.Fatal(err)
	}
	if ps[2].returned() {
		t.Fatal("the third waiter was admitted without room")
	}
	r0.Release()
	r2, err := ps[2].wait(t)
	if err != nil {
		t.Fatal(err)
	}
	r1.Release()
	r2.Release()
}

// TestAdmission_HeadOfLine covers the queueing policy: skip-ahead for
// requests that fit while the oldest waiter is within its grace, strict
// FIFO after, and strict FIFO throughout with a negative grace.
func TestAdmission_HeadOfLine(t *testing.T) {
	const grace = time.Second
	setup := func(t *testing.T, grace time.Duration) (*Admission, *testClock, *Reservation, *pending) {
		a := newTestAdmission(t, AdmissionConfig{CPU: 4, HeadOfLineGrace: grace})
		clock := &testClock{}
		withClock(a, clock)
		held := mustReserve(t, a, Resources{CPU: 3})
		big := reserveAsync(a, context.Background(), Resources{CPU: 4}, 0)
		testutil.Eventually(t, "the big request waits", waiting(a, 1))
		return a, clock, held, big
	}

	t.Run("a small request skips ahead within the grace", func(t *testing.T) {
		a, clock, held, big := setup(t, grace)
		clock.advance(grace / 2)
		small := mustReserve(t, a, Resources{CPU: 1}) // fits, admitted at once
		small.Release()
		held.Release()
		r, err := big.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		r.Release()
	})

	t.Run("waiters behind the head are admitted as they fit", func(t *testing.T) {
		a, _, held, big := setup(t, grace)
		// A second small reservation takes the last CPU, so the next
		// small request has to wait too, behind the big one.
		filler := mustReserve(t, a, Resources{CPU: 1})
		small := reserveAsync(a, context.Background(), Resources{CPU: 1}, 0)
		testutil.Eventually(t, "two waiting", waiting(a, 2))
		filler.Release() // 1 free: the big one still does not fit, the small one does
		r, err := small.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		if big.returned() {
			t.Fatal("the big request was admitted without room")
		}
		r.Release()
		held.Release()
		rb, err := big.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		rb.Release()
	})

	t.Run("after the grace, nothing passes the head", func(t *testing.T) {
		a, clock, held, big := setup(t, grace)
		clock.advance(grace)
		small := reserveAsync(a, context.Background(), Resources{CPU: 1}, 0) // fits, but must queue
		testutil.Eventually(t, "the small request queues behind the big one", waiting(a, 2))
		if small.returned() {
			t.Fatalf("small request returned: %v", small.err)
		}
		held.Release()
		rb, err := big.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		if small.returned() {
			t.Fatal("small request admitted while the big one holds everything")
		}
		rb.Release()
		rs, err := small.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		rs.Release()
	})

	t.Run("a head that gives up unblocks the queue", func(t *testing.T) {
		a := newTestAdmission(t, AdmissionConfig{CPU: 4, HeadOfLineGrace: -1})
		held := mustReserve(t, a, Resources{CPU: 3})
		ctx, cancel := context.WithCancel(context.Background())
		big := reserveAsync(a, ctx, Resources{CPU: 4}, 0)
		testutil.Eventually(t, "the big request waits", waiting(a, 1))
		small := reserveAsync(a, context.Background(), Resources{CPU: 1}, 0)
		testutil.Eventually(t, "two waiting", waiting(a, 2))
		cancel()
		if _, err := big.wait(t); !errors.Is(err, context.Canceled) {
			t.Fatalf("big: %v", err)
		}
		rs, err := small.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		rs.Release()
		held.Release()
	})

	t.Run("strict FIFO with a negative grace", func(t *testing.T) {
		a, _, held, big := setup(t, -1)
		_, err := a.Reserve(context.Background(), Resources{CPU: 1}, 10*time.Millisecond)
		var te *AdmissionTimeoutError
		if !errors.As(err, &te) || te.Resource != "" || te.Ahead != 1 {
			t.Fatalf("err %#v, want a timeout behind 1 earlier request", err)
		}
		if !strings.Contains(err.Error(), "queued behind 1 earlier request") {
			t.Errorf("message %q", err)
		}
		held.Release()
		rb, err := big.wait(t)
		if err != nil {
			t.Fatal(err)
		}
		rb.Release()
	})
}

func TestAdmission_Close(t *testing.T) {
	a := newTestAdmission(t, node)
	held := mustReserve(t, a, Resources{CPU: 4})
	p := reserveAsync(a, context.Background(), Resources{CPU: 1}, 0)
	testutil.Eventually(t, "the request waits", waiting(a, 1))
	a.Close()
	a.Close()
	if _, err := p.wait(t); !errors.Is(err, ErrClosed) {
		t.Errorf("waiting request: %v, want ErrClosed", err)
	}
	if _, err := a.Reserve(context.Background(), Resources{}, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Reserve after Close: %v, want ErrClosed", err)
	}
	held.Release()
	if u := a.Usage(); u.Reservations != 0 || u.Waiting != 0 {
		t.Errorf("usage %+v after Close and Release", u)
	}
}

// TestAdmission_Hammer reserves and releases from many goroutines, with
// timeouts and cancellations, while a checker verifies that nothing is ever
// reserved beyond capacity; at the end everything must be released.
func TestAdmission_Hammer(t *testing.T) {
	cfg := AdmissionConfig{CPU: 4, GPU: 2, Memory: 1 << 30, Custom: map[string]float64{"accel": 3},
		HeadOfLineGrace: 2 * time.Millisecond}
	a := newTestAdmission(t, cfg)
	capacity := map[string]float64{ResourceCPU: 4, ResourceGPU: 2, ResourceMemory: 1 << 30, "accel": 3}

	goroutines, iterations := 64, 300
	if testing.Short() {
		iterations = 50
	}
	var admitted, timedOut, cancelled atomic.Int64
	var wg sync.WaitGroup
	stopCheck := make(chan struct{})
	checkerDone := make(chan struct{})
	var checks atomic.Int64
	go func() {
		defer close(checkerDone)
		for {
			u := a.Usage()
			for _, r := range u.Resources {
				if r.Reserved > capacity[r.Name]+1e-9 || r.Reserved < 0 {
					t.Errorf("%s reserved %v of %v", r.Name, r.Reserved, capacity[r.Name])
				}
			}
			checks.Add(1)
			select {
			case <-stopCheck:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range iterations {
				req := Resources{
					CPU:    float64(rng.IntN(9)) / 4, // 0 .. 2 in quarters
					GPU:    []float64{0, 0, 0.25, 0.5, 1}[rng.IntN(5)],
					Memory: int64(rng.IntN(5)) << 27, // 0 .. 512 MiB
				}
				if rng.IntN(3) == 0 {
					req.Custom = map[string]float64{"accel": float64(rng.IntN(4))}
				}
				ctx, cancel := context.WithCancel(context.Background())
				timeout := time.Duration(rng.IntN(20)) * time.Millisecond // 0: none
				if rng.IntN(10) == 0 {
					go cancel()
				}
				r, err := a.Reserve(ctx, req, timeout)
				cancel()
				switch {
				case err == nil:
					admitted.Add(1)
					if !req.Fits(Resources{CPU: 4, GPU: 2, Memory: 1 << 30, Custom: map[string]float64{"accel": 3}}) {
						t.Errorf("admitted %v, more than the node has", req)
					}
					for range rng.IntN(3) {
						runtime.Gosched()
					}
					r.Release()
					if rng.IntN(4) == 0 {
						r.Release()
					}
				case errors.Is(err, ErrAdmissionTimeout):
					timedOut.Add(1)
				case errors.Is(err, context.Canceled):
					cancelled.Add(1)
				default:
					t.Errorf("Reserve(%v): %v", req, err)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("hammer did not finish: a waiter was never woken")
	}
	close(stopCheck)
	<-checkerDone

	u := a.Usage()
	if u.Reservations != 0 || u.Waiting != 0 {
		t.Errorf("at the end: %d reservations, %d waiting; want none", u.Reservations, u.Waiting)
	}
	for _, r := range u.Resources {
		if r.Reserved != 0 || r.Pending != 0 || r.Waiting != 0 {
			t.Errorf("at the end: %+v", r)
		}
	}
	if admitted.Load() == 0 {
		t.Error("nothing was admitted")
	}
	t.Logf("admitted %d, timed out %d, cancelled %d; %d usage checks",
		admitted.Load(), timedOut.Load(), cancelled.Load(), checks.Load())
}

func TestResources(t *testing.T) {
	tests := []struct {
		name string
		got  Resources
		want string
	}{
		{"zero", Resources{}, "none"},
		{"string", Resources{CPU: 2, GPU: 0.5, Memory: 1 << 30, Custom: map[string]float64{"b": 1, "a": 0.25, "z": 0}}, "cpu=2 gpu=0.5 memory=1GiB a=0.25 b=1"},
		{"odd bytes", Resources{Memory: 1000}, "memory=1000B"},
		{"add", Resources{CPU: 0.1, Custom: map[string]float64{"x": 1}}.Add(Resources{CPU: 0.2, Memory: 3 << 20, Custom: map[string]float64{"y": 2}}), "cpu=0.3 memory=3MiB x=1 y=2"},
		{"sub to zero drops custom", Resources{CPU: 1, Custom: map[string]float64{"x": 1}}.Sub(Resources{CPU: 0.9, Custom: map[string]float64{"x": 1}}), "cpu=0.1"},
		{"sub negative", Resources{}.Sub(Resources{GPU: 1, Memory: 1 << 10}), "gpu=-1 memory=-1KiB"},
	}
	for _, tt := range tests {
		if s := tt.got.String(); s != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, s, tt.want)
		}
	}

	avail := Resources{CPU: 1, GPU: 0.5, Memory: 100, Custom: map[string]float64{"x": 1}}
	fits := []struct {
		req  Resources
		want bool
	}{
		{Resources{}, true},
		{avail, true},
		{Resources{CPU: 0.1 + 0.2}, true},
		{Resources{CPU: 1.0001}, false},
		{Resources{GPU: 0.75}, false},
		{Resources{Memory: 101}, false},
		{Resources{Custom: map[string]float64{"y": 1}}, false},
		{Resources{Custom: map[string]float64{"y": 0}}, true},
		{Resources{CPU: math.NaN()}, false},
		{Resources{CPU: 1e9}, false},
	}
	for _, tt := range fits {
		if got := tt.req.Fits(avail); got != tt.want {
			t.Errorf("%v.Fits(%v) = %v, want %v", tt.req, avail, got, tt.want)
		}
	}
	if !(Resources{CPU: 1e9}).Fits(Resources{CPU: math.Inf(1)}) {
		t.Error("nothing fits in an unlimited resource")
	}
	if !(Resources{}).IsZero() || !(Resources{Custom: map[string]float64{"x": 0}}).IsZero() || (Resources{Memory: 1}).IsZero() {
		t.Error("IsZero")
	}
}

// TestAdmission_NoHeadOfLineBlocking: past its grace, a waiting request
// holds only the kinds of resources it asks for. A request for a free GPU
// passes a request waiting for CPUs (before: it waited behind it, 2.7 s in
// the measurement); a request for a CPU still waits behind a large
// CPU request, which is not starved (it is admitted first when CPUs free).
func TestAdmission_NoHeadOfLineBlocking(t *testing.T) {
	a := newTestAdmission(t, AdmissionConfig{CPU: 4, GPU: 1, HeadOfLineGrace: time.Second})
	clock := &testClock{}
	withClock(a, clock)
	held := mustReserve(t, a, Resources{CPU: 3})
	cpus := reserveAsync(a, context.Background(), Resources{CPU: 4}, 0)
	testutil.Eventually(t, "the CPU request waits", waiting(a, 1))
	clock.advance(2 * time.Second) // past its grace

	gpu := mustReserve(t, a, Resources{GPU: 1}) // a free GPU: admitted at once
	small := reserveAsync(a, context.Background(), Resources{CPU: 1}, 0)
	testutil.Eventually(t, "the small CPU request queues behind the large one", waiting(a, 2))
	if small.returned() || cpus.returned() {
		t.Fatalf("a CPU request passed the large one held past its grace (small %v, large %v)", small.returned(), cpus.returned())
	}
	held.Release() // 4 CPUs free: the large request first
	r, err := cpus.wait(t)
	if err != nil {
		t.Fatal(err)
	}
	if small.returned() {
		t.Fatal("the small request was admitted while the large one holds every CPU")
	}
	r.Release()
	rs, err := small.wait(t)
	if err != nil {
		t.Fatal(err)
	}
	rs.Release()
	gpu.Release()
}
