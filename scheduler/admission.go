package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/wactor/wactor/api"
)

// DefaultHeadOfLineGrace is AdmissionConfig.HeadOfLineGrace's default.
const DefaultHeadOfLineGrace = 100 * time.Millisecond

// AdmissionConfig gives a node's resource capacities. The zero value means
// defaults, which follow Ray's where they apply.
type AdmissionConfig struct {
	// CPU is the number of CPU slots (default runtime.GOMAXPROCS(0), the
	// CPUs the process may use, as Ray defaults num_cpus to the machine's
	// CPU count; math.Inf(1): unlimited).
	CPU float64
	// GPU is the number of GPUs (default none, so requests for a GPU are
	// unschedulable; math.Inf(1): unlimited). Unlike Ray, nothing is
	// detected: sandboxes have no GPU access of their own.
	GPU float64
	// Memory is in bytes (default 0: unlimited). Ray defaults it to the
	// node's available memory; here each sandbox's linear memory is already
	// bounded by its own limit, so memory is only accounted when set.
	Memory int64
	// Custom gives the capacity of each custom resource (default none: a
	// request naming a custom resource is unschedulable). math.Inf(1) is
	// unlimited.
	Custom map[string]float64
	// HeadOfLineGrace is how long a waiting request may be bypassed by
	// later requests that fit (default DefaultHeadOfLineGrace). Once it has
	// waited that long, no request that asks for a kind of resource it asks
	// for is admitted ahead of it until it is admitted or gives up; others
	// still are. Negative: strict FIFO, no request is ever admitted ahead
	// of an earlier waiting one. See Admission.
	HeadOfLineGrace time.Duration
}

// Admission accounts a node's resources among actors. Each actor reserves
// its resource request for its lifetime with Reserve and gives it back with
// Reservation.Release.
//
// Queueing policy: a request that does not fit in the free resources waits
// in a FIFO queue. Whenever resources are released (or a waiting request
// gives up), the queue is scanned in order and every request that fits is
// admitted, so a small request is not held behind a large one at the head
// (skip-ahead). To keep a large request from being starved by a stream of
// small ones, skip-ahead is bounded in time: once a waiting request has
// waited HeadOfLineGrace, the kinds of resources it asks for (cpu, gpu,
// memory, each custom resource) are held for it: requests behind it, and new
// requests, that ask for any of them wait even if they fit, until it is
// admitted or gives up. Requests that ask for none of them still pass, so a
// spawn waiting for CPUs does not hold back one that wants a free GPU (no
// head-of-line blocking), and a large request is not starved by small ones
// of its kinds. With a negative grace, admission is strict FIFO.
//
// Admission is safe for concurrent use. It starts no goroutines.
type Admission struct {
	capacity vec
	grace    time.Duration // < 0: strict FIFO
	now      func() time.Time

	mu       sync.Mutex
	reserved vec // has an entry for every custom resource of capacity
	live     int // reservations not yet released that hold resources
	queue    []*waiter
	closed   bool
}

// waiter is a request queued in Reserve.
type waiter struct {
	req   vec
	res   Resources
	since time.Time
	ready chan struct{} // closed once r or err is set
	r     *Reservation
	err   error
}

// Reservation is an admitted request: its resources stay reserved until
// Release. It is safe for concurrent use.
type Reservation struct {
	a        *Admission // nil for a request of nothing
	req      vec
	res      Resources
	released bool // guarded by a.mu
}

// NewAdmission returns an Admission with the capacities of cfg. It fails
// with ErrInvalidResources for a negative, NaN or too large capacity, or a
// custom resource without a name or with a built-in resource's name.
func NewAdmission(cfg AdmissionConfig) (*Admission, error) {
	a := &Admission{grace: cfg.HeadOfLineGrace, now: time.Now}
	if a.grace == 0 {
		a.grace = DefaultHeadOfLineGrace
	}
	if cfg.CPU == 0 {
		cfg.CPU = float64(runtime.GOMAXPROCS(0))
	}
	var err error
	if a.capacity.cpu, err = toUnits(ResourceCPU, cfg.CPU, true); err != nil {
		return nil, err
	}
	if a.capacity.gpu, err = toUnits(ResourceGPU, cfg.GPU, true); err != nil {
		return nil, err
	}
	switch {
	case cfg.Memory < 0:
		return nil, fmt.Errorf("%w: negative memory %d", ErrInvalidResources, cfg.Memory)
	case cfg.Memory == 0:
		a.capacity.mem = unlimited
	default:
		a.capacity.mem = cfg.Memory
	}
	a.capacity.custom = make(map[string]int64, len(cfg.Custom))
	a.reserved.custom = make(map[string]int64, len(cfg.Custom))
	for k, v := range cfg.Custom {
		if k == "" || reservedName(k) {
			return nil, fmt.Errorf("%w: custom resource name %q", ErrInvalidResources, k)
		}
		u, err := toUnits(k, v, true)
		if err != nil {
			return nil, err
		}
		if u != 0 {
			a.capacity.custom[k] = u
			a.reserved.custom[k] = 0
		}
	}
	return a, nil
}

// Reserve reserves req until the returned Reservation is released. A
// request of nothing (the zero Resources, Ray's default for actors) is
// admitted at once and holds nothing.
//
// A request that fits in the free resources is admitted at once (unless a
// waiting request that asks for the same kinds of resources has used up its
// HeadOfLineGrace; see Admission). One that does not fit waits in the queue until enough is
// released, until timeout (if > 0) passes, or until ctx ends; the timeout and
// ctx's deadline fail it with *AdmissionTimeoutError (ErrAdmissionTimeout),
// cancellation with an error wrapping ctx.Err(). A request that can never
// fit, because it exceeds the node's whole capacity or names a custom
// resource the node lacks, fails at once with *InsufficientResourcesError
// (ErrUnschedulable). An invalid request fails with ErrInvalidResources,
// and after Close, Reserve fails with ErrClosed. A ctx that has already ended
// fails the request even if it fits. Every error also speaks the API's
// vocabulary (apiError): it matches the api sentinel of its kind.
func (a *Admission) Reserve(ctx context.Context, req Resources, timeout time.Duration) (*Reservation, error) {
	r, err := a.reserve(ctx, req, timeout)
	if err != nil {
		return nil, apiError(err)
	}
	return r, nil
}

func (a *Admission) reserve(ctx context.Context, req Resources, timeout time.Duration) (*Reservation, error) {
	v, err := parseRequest(req)
	if err != nil {
		return nil, err
	}
	if err := a.feasible(v); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scheduler: reserve %v: %w", req, err)
	}
	res := req.clone()

	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil, fmt.Errorf("scheduler: reserve %v: %w", req, ErrClosed)
	}
	if v.isZero() {
		a.mu.Unlock()
		return &Reservation{res: res}, nil
	}
	now := a.now()
	if a.fitsLocked(v) && a.mayBypassLocked(v, now) {
		r := a.grantLocked(v, res)
		a.mu.Unlock()
		return r, nil
	}
	w := &waiter{req: v, res: res, since: now, ready: make(chan struct{})}
	a.queue = append(a.queue, w)
	a.mu.Unlock()

	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case <-w.ready:
		return w.r, w.err
	case <-ctx.Done():
		return nil, a.abandon(w, ctx.Err())
	case <-expired:
		return nil, a.abandon(w, nil)
	}
}

// feasible fails with *InsufficientResourcesError if v exceeds the node's
// whole capacity of some resource. The capacity never changes, so this
// needs no lock.
func (a *Admission) feasible(v vec) error {
	bad := func(name string, requested, capacity float64) error {
		return &InsufficientResourcesError{Resource: name, Requested: requested, Capacity: capacity}
	}
	switch {
	case v.cpu > a.capacity.cpu:
		return bad(ResourceCPU, unitsToFloat(v.cpu), unitsToFloat(a.capacity.cpu))
	case v.gpu > a.capacity.gpu:
		return bad(ResourceGPU, unitsToFloat(v.gpu), unitsToFloat(a.capacity.gpu))
	case v.mem > a.capacity.mem:
		return bad(ResourceMemory, float64(v.mem), bytesToFloat(a.capacity.mem))
	}
	for _, k := range sortedKeys(v.custom) {
		if c := a.capacity.custom[k]; v.custom[k] > c {
			return bad(k, unitsToFloat(v.custom[k]), unitsToFloat(c))
		}
	}
	return nil
}

// fitsLocked reports whether v fits in the free resources.
func (a *Admission) fitsLocked(v vec) bool {
	_, _, _, _, short := a.shortageLocked(v)
	return !short
}

// shortageLocked returns the first resource (built-in ones first, then
// custom ones by name) of which v needs more than is free.
func (a *Admission) shortageLocked(v vec) (name string, requested, free, capacity float64, short bool) {
	// capacity - reserved cannot overflow: reserved <= capacity.
	switch {
	case v.cpu > a.capacity.cpu-a.reserved.cpu:
		return ResourceCPU, unitsToFloat(v.cpu), freeUnits(a.capacity.cpu, a.reserved.cpu), unitsToFloat(a.capacity.cpu), true
	case v.gpu > a.capacity.gpu-a.reserved.gpu:
		return ResourceGPU, unitsToFloat(v.gpu), freeUnits(a.capacity.gpu, a.reserved.gpu), unitsToFloat(a.capacity.gpu), true
	case v.mem > a.capacity.mem-a.reserved.mem:
		return ResourceMemory, float64(v.mem), float64(a.capacity.mem - a.reserved.mem), bytesToFloat(a.capacity.mem), true
	}
	if len(v.custom) == 0 {
		return "", 0, 0, 0, false
	}
	for _, k := range sortedKeys(v.custom) {
		c, r := a.capacity.custom[k], a.reserved.custom[k]
		if v.custom[k] > c-r {
			return k, unitsToFloat(v.custom[k]), freeUnits(c, r), unitsToFloat(c), true
		}
	}
	return "", 0, 0, 0, false
}

func freeUnits(capacity, reserved int64) float64 {
	if capacity == unlimited {
		return math.Inf(1)
	}
	return unitsToFloat(capacity - reserved)
}

// mayBypassLocked reports whether a request may be admitted ahead of the
// waiting ones: none waits, or the oldest has not used up its grace.
func (a *Admission) mayBypassLocked(v vec, now time.Time) bool {
	if len(a.queue) == 0 {
		return true
	}
	if a.grace < 0 {
		return false
	}
	var held kinds
	for _, w := range a.queue {
		if now.Sub(w.since) >= a.grace {
			held.add(w.req)
		}
	}
	return !held.touches(v)
}

// kinds is a set of kinds of resources: those held for requests that
// waited past their grace.
type kinds struct {
	cpu, gpu, mem bool
	custom        map[string]bool
}

func (k *kinds) add(v vec) {
	k.cpu, k.gpu, k.mem = k.cpu || v.cpu > 0, k.gpu || v.gpu > 0, k.mem || v.mem > 0
	for name, u := range v.custom {
		if u > 0 {
			if k.custom == nil {
				k.custom = map[string]bool{}
			}
			k.custom[name] = true
		}
	}
}

// touches reports whether v asks for any kind in k.
func (k *kinds) touches(v vec) bool {
	if k.cpu && v.cpu > 0 || k.gpu && v.gpu > 0 || k.mem && v.mem > 0 {
		return true
	}
	for name, u := range v.custom {
		if u > 0 && k.custom[name] {
			return true
		}
	}
	return false
}

// grantLocked reserves v, which fits.
func (a *Admission) grantLocked(v vec, res Resources) *Reservation {
	a.reserved.cpu += v.cpu
	a.reserved.gpu += v.gpu
	a.reserved.mem += v.mem
	for k, u := range v.custom {
		a.reserved.custom[k] += u
	}
	a.live++
	return &Reservation{a: a, req: v, res: res}
}

// dispatchLocked admits the waiting requests that fit, in queue order,
// except those that ask for a kind of resource held for an earlier request
// past its grace (after the first that waits, in strict FIFO mode).
func (a *Admission) dispatchLocked() {
	if len(a.queue) == 0 {
		return
	}
	now := a.now()
	kept := a.queue[:0]
	var held kinds
	blocked := false // strict FIFO (negative grace): nothing passes a waiter
	for _, w := range a.queue {
		switch {
		case !blocked && !held.touches(w.req) && a.fitsLocked(w.req):
			w.r = a.grantLocked(w.req, w.res)
			close(w.ready)
		default:
			kept = append(kept, w)
			if a.grace < 0 {
				blocked = true
			} else if now.Sub(w.since) >= a.grace {
				held.add(w.req)
			}
		}
	}
	clear(a.queue[len(kept):])
	a.queue = kept
}

// abandon takes w, whose timeout (cause nil) or context (cause its error)
// ended, off the queue and returns the error for it. If w was admitted
// meanwhile, its reservation is given back: the caller sees the error.
func (a *Admission) abandon(w *waiter, cause error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	waited := a.now().Sub(w.since)
	select {
	case <-w.ready:
		if w.err != nil {
			return w.err // closed
		}
		w.r.releaseLocked()
	default:
	}
	i := slices.Index(a.queue, w)
	ahead := i
	if i >= 0 {
		a.queue = slices.Delete(a.queue, i, i+1)
	} else {
		ahead = 0
	}
	name, requested, free, capacity, _ := a.shortageLocked(w.req)
	// Removing w may let others in (it may have been the blocked head).
	a.dispatchLocked()
	if cause == nil || errors.Is(cause, context.DeadlineExceeded) {
		return &AdmissionTimeoutError{Resource: name, Requested: requested, Free: free,
			Capacity: capacity, Ahead: ahead, Waited: waited}
	}
	return fmt.Errorf("scheduler: reserve %v cancelled after %v %s: %w", w.res,
		waited.Round(time.Microsecond), waitingFor(name, requested, free, capacity, ahead), cause)
}

// Close fails every waiting request with ErrClosed, and Reserve fails with
// ErrClosed from then on. Reservations already made stay valid and may still
// be released. Close is idempotent.
func (a *Admission) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	for _, w := range a.queue {
		w.err = fmt.Errorf("scheduler: reserve %v: %w", w.res, ErrClosed)
		close(w.ready)
	}
	clear(a.queue)
	a.queue = nil
}

// Release gives the reservation's resources back and admits the waiting
// requests that now fit. It is idempotent, and a no-op on a nil Reservation
// and on one that holds nothing.
func (r *Reservation) Release() {
	if r == nil || r.a == nil {
		return
	}
	a := r.a
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.releaseLocked() {
		a.dispatchLocked()
	}
}

// releaseLocked gives the resources back once; it reports whether it did.
func (r *Reservation) releaseLocked() bool {
	if r.released {
		return false
	}
	r.released = true
	a := r.a
	a.reserved.cpu -= r.req.cpu
	a.reserved.gpu -= r.req.gpu
	a.reserved.mem -= r.req.mem
	for k, u := range r.req.custom {
		a.reserved.custom[k] -= u
	}
	a.live--
	return true
}

// Resources returns the request that was reserved, as passed to Reserve.
func (r *Reservation) Resources() Resources { return r.res.clone() }

// Usage is a snapshot of an Admission's accounting.
type Usage struct {
	// Resources has one entry per resource of the node: cpu, gpu and
	// memory (even when the node has none of it), then the custom
	// resources by name.
	Resources []ResourceUsage
	// Reservations is the number of unreleased reservations that hold
	// resources (requests of nothing are not counted).
	Reservations int
	// Waiting is the number of requests waiting for admission.
	Waiting int
}

// ResourceUsage is the accounting of one resource. Amounts are in bytes for
// memory.
type ResourceUsage struct {
	Name string
	// Capacity is the node's total; math.Inf(1) when unlimited.
	Capacity float64
	// Reserved is the sum of unreleased reservations.
	Reserved float64
	// Pending is the sum of what waiting requests ask for.
	Pending float64
	// Waiting is the number of waiting requests that ask for some of it.
	Waiting int
}

// Free returns Capacity - Reserved (math.Inf(1) when unlimited).
func (u ResourceUsage) Free() float64 { return u.Capacity - u.Reserved }

// Resource returns the entry for name, and whether there is one.
func (u Usage) Resource(name string) (ResourceUsage, bool) {
	for _, r := range u.Resources {
		if r.Name == name {
			return r, true
		}
	}
	return ResourceUsage{}, false
}

// API returns u in the API's form (NodeUsage.Resources): an unlimited
// capacity is -1.
func (u Usage) API() api.ResourceUsage {
	out := api.ResourceUsage{Reservations: u.Reservations, Waiting: u.Waiting}
	for _, r := range u.Resources {
		c := r.Capacity
		if math.IsInf(c, 1) {
			c = -1
		}
		out.Items = append(out.Items, api.ResourceAmount{Name: r.Name, Capacity: c, Reserved: r.Reserved, Pending: r.Pending, Waiting: r.Waiting})
	}
	return out
}

// Usage returns the capacity, reserved and pending amounts of each
// resource, for introspection and metrics.
func (a *Admission) Usage() Usage {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := Usage{Reservations: a.live, Waiting: len(a.queue)}
	cpu := ResourceUsage{Name: ResourceCPU, Capacity: unitsToFloat(a.capacity.cpu), Reserved: unitsToFloat(a.reserved.cpu)}
	gpu := ResourceUsage{Name: ResourceGPU, Capacity: unitsToFloat(a.capacity.gpu), Reserved: unitsToFloat(a.reserved.gpu)}
	mem := ResourceUsage{Name: ResourceMemory, Capacity: bytesToFloat(a.capacity.mem), Reserved: float64(a.reserved.mem)}
	custom := make(map[string]*ResourceUsage, len(a.capacity.custom))
	for k, c := range a.capacity.custom {
		custom[k] = &ResourceUsage{Name: k, Capacity: unitsToFloat(c), Reserved: unitsToFloat(a.reserved.custom[k])}
	}
	var cpuPending, gpuPending int64
	var memPending float64 // a float: a sum of byte counts may pass MaxInt64
	customPending := make(map[string]int64)
	for _, w := range a.queue {
		if w.req.cpu > 0 {
			cpuPending += w.req.cpu
			cpu.Waiting++
		}
		if w.req.gpu > 0 {
			gpuPending += w.req.gpu
			gpu.Waiting++
		}
		if w.req.mem > 0 {
			memPending += float64(w.req.mem)
			mem.Waiting++
		}
		for k, v := range w.req.custom {
			customPending[k] += v
			custom[k].Waiting++ // waiting requests are feasible: k exists
		}
	}
	cpu.Pending, gpu.Pending, mem.Pending = unitsToFloat(cpuPending), unitsToFloat(gpuPending), memPending
	u.Resources = append(u.Resources, cpu, gpu, mem)
	for _, k := range sortedKeys(custom) {
		c := custom[k]
		c.Pending = unitsToFloat(customPending[k])
		u.Resources = append(u.Resources, *c)
	}
	return u
}

// clone returns r with its own Custom map.
func (r Resources) clone() Resources {
	if r.Custom != nil {
		c := make(map[string]float64, len(r.Custom))
		for k, v := range r.Custom {
			c[k] = v
		}
		r.Custom = c
	}
	return r
}
