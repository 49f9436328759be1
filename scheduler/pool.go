// Package scheduler runs actor mailboxes on a bounded pool of workers.
//
// A Mailbox is a FIFO queue of items for one actor. When it goes from empty to
// non-empty it is put on its group's run queue; a worker takes it, handles up
// to a quantum of items one at a time (or fewer, once its time slice is up and
// other work waits), and puts it back at the tail of its group's run queue if
// more remain. So items of one mailbox never run concurrently and run in push
// order, many mailboxes share few workers fairly, and an idle mailbox costs
// no goroutine.
//
// Mailboxes belong to groups (the host makes one per namespace). Workers
// take the groups that have runnable work in turn, one slice each (round
// robin), so a group with a thousand busy mailboxes gets the same share of
// the workers as a group with one. A handler that runs long (a guest call
// in a loop) is asked to yield once its slice is up while other work waits:
// it calls Mailbox.Yield at its next safe point, which gives its worker to
// the next group and waits for its group's turn to come again. A goroutine
// that is not a worker but must be scheduled like one (the host runs an
// actor's constructor so) takes a Place among the workers with
// Pool.Acquire, in its group's turn, and is preempted and yields like a
// mailbox until Place.Release. Pool.Stats and Pool.GroupStats count the
// slices, preempts and yields. See docs/SCHEDULING.md, "Fairness across
// namespaces".
//
// Admission accounts a node's resources (CPU slots, GPUs, memory, custom
// resources) among actors, which reserve them for their lifetime, as Ray's
// resource requests do; see docs/SCHEDULING.md.
package scheduler

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wactor/wactor/internal/goroutines"
)

// Config configures a Pool. The zero value means defaults.
type Config struct {
	// Workers is the number of goroutines running mailboxes (default GOMAXPROCS).
	Workers int
	// Quantum is how many items a worker handles from one mailbox before it
	// moves on to the next runnable mailbox (default 64).
	Quantum int
	// Slice is how long a worker runs one mailbox while other work waits
	// before the mailbox is asked to yield (default 10 ms). The pool checks
	// slices every Slice, so a slice under contention lasts between one and
	// two Slices; a mailbox that is asked stops its batch after its current
	// item, and a handler in a long item is asked (Mailbox.OnPreempt) to call
	// Yield. Without contention slices are not timed.
	Slice time.Duration
}

// DefaultSlice is Config.Slice's default.
const DefaultSlice = 10 * time.Millisecond

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Quantum <= 0 {
		c.Quantum = 64
	}
	if c.Slice <= 0 {
		c.Slice = DefaultSlice
	}
	return c
}

// runnable is a mailbox as the pool sees it.
type runnable interface {
	// runBatch handles up to quantum items, fewer once s.expired is set,
	// and reports whether more remain.
	runBatch(quantum int, s *slot) (more bool)
	// preempt asks the handler running in the mailbox to yield.
	preempt()
}

// cont is a yielded handler waiting in its group's run queue for a worker.
// It is a queue entry like a mailbox; a worker that takes it hands its own
// place over to the waiting goroutine and exits.
type cont struct {
	ch      chan struct{} // closed when granted
	granted bool          // under Pool.mu
}

func (*cont) runBatch(int, *slot) bool { panic("scheduler: a continuation is not run as a batch") }
func (*cont) preempt()                 {}

// hook is what a slot runs for a goroutine that acquired a place (Acquire):
// nothing to run as a batch, only a preempt hook.
type hook struct{ fn func() }

func (*hook) runBatch(int, *slot) bool { panic("scheduler: an acquired place is not run as a batch") }
func (h *hook) preempt() {
	if h.fn != nil {
		h.fn()
	}
}

// Place is a place among the pool's workers held by a goroutine that is not
// one of them (Pool.Acquire), for work that must be scheduled like a call
// (an actor's constructor). It is used by one goroutine.
type Place struct {
	p *Pool
	s *slot // nil when the pool was closed at Acquire: nothing is held
	g *group
}

// Acquire waits for a place among the workers in group key, in the group's
// turn like a mailbox, and returns it: until Release, the calling goroutine
// counts as a worker running one of the group's slices, which the pool
// preempts as it does mailboxes (preempt is called, from another goroutine,
// when the slice is up while other work waits; the holder should then call
// Yield). When a worker is free and nothing waits, it returns at once. It
// returns false, holding nothing, if stop is closed first. The caller must
// not be a worker (a handler must call it inside Blocking), or it could wait
// for itself. After Close it returns a place that holds nothing.
func (p *Pool) Acquire(key string, preempt func(), stop <-chan struct{}) (*Place, bool) {
	g := p.join(key)
	pl := &Place{p: p, g: g}
	s := &slot{busyIdx: -1}
	r := &hook{fn: preempt}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return pl, true
	}
	if p.waiting == 0 && p.running-p.idle < p.cfg.Workers {
		// A free place: take it. The pool is one over its size until an
		// idle worker wakes and exits as surplus.
		p.running++
		p.beginLocked(s, g, r)
		p.mu.Unlock()
		pl.s = s
		return pl, true
	}
	c := &cont{ch: make(chan struct{})}
	p.enqueueLocked(g, c)
	p.wakeLocked()
	p.mu.Unlock()
	if !p.awaitTurn(g, c, stop) {
		p.mu.Unlock()
		p.leave(g)
		return nil, false
	}
	// A worker handed its place over: running already counts it.
	p.beginLocked(s, g, r)
	p.mu.Unlock()
	pl.s = s
	return pl, true
}

// Yield is Mailbox.Yield for a place: it gives the place to waiting work if
// the pool asked (the slice is up while work waits) and waits for the
// group's turn, or for stop.
func (pl *Place) Yield(stop <-chan struct{}) bool {
	if pl.s == nil {
		return false
	}
	return pl.p.yield(pl.s, stop)
}

// Release gives the place back: a worker starts for waiting work if the
// pool is short of one. Call it once.
func (pl *Place) Release() {
	p := pl.p
	if pl.s != nil {
		p.mu.Lock()
		p.unbusyLocked(pl.s)
		p.running--
		if p.waiting > 0 && !p.closed {
			if p.idle > 0 {
				p.cond.Signal()
			} else if p.running < p.cfg.Workers {
				p.startWorkerLocked()
			}
		}
		p.mu.Unlock()
		pl.s = nil
	}
	if pl.g != nil {
		p.leave(pl.g)
		pl.g = nil
	}
}

// slot is a worker goroutine's current slice.
type slot struct {
	cur     runnable // the mailbox being run, nil between slices; under Pool.mu
	grp     *group
	start   uint64 // Pool.ticks when the slice began; under Pool.mu
	busyIdx int    // index in Pool.busy, -1 when not there; under Pool.mu
	// expired: the slice is up while work waits, and preempt was called
	// (tick). Written under Pool.mu; read without it by the batch loop and
	// yield.
	expired atomic.Bool
}

// group is the run queue of one group's mailboxes and yielded handlers.
type group struct {
	key    string
	q      ring[runnable]
	active bool // in Pool.active
	refs   int  // mailboxes created in it and not closed
	stats  GroupStats
}

// GroupStats counts a group's scheduling events.
type GroupStats struct {
	// Slices is how many times a worker started running one of the group's
	// mailboxes or resumed one of its yielded handlers.
	Slices uint64
	// Yields is how many times one of its handlers gave up its worker in
	// Yield.
	Yields uint64
	// Preempts is how many times one of its running mailboxes was asked to
	// yield because its slice was up while other work waited.
	Preempts uint64
}

// Pool is a bounded set of workers running mailboxes. It is safe for
// concurrent use.
type Pool struct {
	cfg     Config
	mu      sync.Mutex
	cond    sync.Cond
	groups  map[string]*group
	active  ring[*group] // groups with runnable entries, in turn order
	waiting int          // entries in the groups' run queues
	closed  bool
	idle    int // workers waiting on cond
	woken   int // of them, those a Signal is waking (signalLocked)
	running int // workers not inside Blocking or Yield (idle ones included)
	busy    []*slot
	ticks   uint64 // slice checks so far
	timer   *time.Timer
	armed   bool // timer pending
	total   GroupStats
	group   goroutines.Group
}

// NewPool starts a pool of workers.
func NewPool(cfg Config) *Pool {
	p := &Pool{cfg: cfg.withDefaults(), groups: map[string]*group{}}
	p.cond.L = &p.mu
	p.timer = time.AfterFunc(time.Hour, p.tick)
	p.timer.Stop()
	p.mu.Lock()
	for i := 0; i < p.cfg.Workers; i++ {
		p.startWorkerLocked()
	}
	p.mu.Unlock()
	return p
}

// Workers returns the number of workers.
func (p *Pool) Workers() int { return p.cfg.Workers }

// Stats returns the scheduling counts of all groups together.
func (p *Pool) Stats() GroupStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// GroupStats returns the scheduling counts of the group key, zero if it has
// no mailbox.
func (p *Pool) GroupStats(key string) GroupStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g, ok := p.groups[key]; ok {
		return g.stats
	}
	return GroupStats{}
}

// Close stops the workers once the run queues are empty and waits for them
// (or for ctx). Mailboxes should be closed first so their items are not run.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.timer.Stop()
	p.armed = false
	p.cond.Broadcast()
	p.mu.Unlock()
	return p.group.Wait(ctx)
}

// join returns the group key with one more mailbox in it.
func (p *Pool) join(key string) *group {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.groups[key]
	if !ok {
		g = &group{key: key}
		p.groups[key] = g
	}
	g.refs++
	return g
}

// leave drops a mailbox from g, and g from the pool's map once it has no
// mailbox and nothing queued.
func (p *Pool) leave(g *group) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g.refs--
	p.forgetLocked(g)
}

func (p *Pool) forgetLocked(g *group) {
	if g.refs <= 0 && !g.active && p.groups[g.key] == g {
		delete(p.groups, g.key)
	}
}

// enqueueLocked puts r at the tail of g's run queue, g in turn if it was not.
func (p *Pool) enqueueLocked(g *group, r runnable) {
	g.q.push(r)
	p.waiting++
	if !g.active {
		g.active = true
		p.active.push(g)
	}
}

func (p *Pool) push(g *group, r runnable) {
	p.mu.Lock()
	p.enqueueLocked(g, r)
	p.wakeLocked()
	p.mu.Unlock()
}

// wakeLocked gets a worker for the waiting work: an idle one, a new one if
// some are blocked, else the slice timer, which preempts the running ones.
func (p *Pool) wakeLocked() {
	switch {
	case p.signalLocked():
	case p.closed:
	case p.running < p.cfg.Workers:
		// Some workers are blocked (see Blocking, Yield): replace one.
		p.startWorkerLocked()
	case !p.armed:
		p.armed = true
		p.timer.Reset(p.cfg.Slice)
	}
}

// tick runs every Slice while work waits and no worker is free: it marks
// the slices that began before the previous tick expired and asks their
// mailboxes to yield.
func (p *Pool) tick() {
	var ask []runnable
	p.mu.Lock()
	p.armed = false
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.ticks++
	if p.waiting > 0 {
		for _, s := range p.busy {
			if s.cur == nil || s.expired.Load() || p.ticks-s.start < 2 {
				continue
			}
			s.expired.Store(true)
			s.grp.stats.Preempts++
			p.total.Preempts++
			ask = append(ask, s.cur)
		}
		if p.idle == 0 {
			p.armed = true
			p.timer.Reset(p.cfg.Slice)
		}
	}
	p.mu.Unlock()
	// Outside the lock: the hooks take the handlers' own locks.
	for _, r := range ask {
		r.preempt()
	}
}

// signalLocked wakes an idle worker that no earlier Signal is waking, and
// reports whether there was one. A woken worker leaves the idle count only
// once it runs: without counting the signals, two pushes in a row would
// both signal the one idle worker, and the second mailbox would wait (behind
// a handler that may never return) while the pool has room for a worker.
func (p *Pool) signalLocked() bool {
	if p.idle <= p.woken {
		return false
	}
	p.woken++
	p.cond.Signal()
	return true
}

func (p *Pool) startWorkerLocked() {
	p.running++
	p.group.Go(p.worker)
}

// Blocking runs fn, which may block for long (for example waiting for
// another actor's result), from inside a mailbox handler. While it blocks the
// worker does not count against Config.Workers, so other mailboxes keep
// running: a replacement worker starts if work is waiting, and the surplus
// worker exits once fn returns and the pool has more than enough.
func (p *Pool) Blocking(fn func()) {
	p.mu.Lock()
	p.running--
	if p.waiting > p.woken && !p.closed && !p.signalLocked() && p.running < p.cfg.Workers {
		p.startWorkerLocked()
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.running++
		p.mu.Unlock()
	}()
	fn()
}

// yield gives s's worker to the waiting work and waits, in s's group's run
// queue, for a worker to hand its place back, or for stop. It reports whether
// it yielded: only when s's slice has expired (tick) and work still waits.
func (p *Pool) yield(s *slot, stop <-chan struct{}) bool {
	if !s.expired.Load() {
		return false // not asked in this slice: a request that came late
	}
	p.mu.Lock()
	if p.waiting == 0 || p.closed || s.busyIdx < 0 {
		p.mu.Unlock()
		return false
	}
	c := &cont{ch: make(chan struct{})}
	g := s.grp
	p.unbusyLocked(s)
	p.running--
	g.stats.Yields++
	p.total.Yields++
	p.enqueueLocked(g, c)
	// The work that waits gets this worker's place.
	if !p.signalLocked() && p.running < p.cfg.Workers {
		p.startWorkerLocked()
	}
	p.mu.Unlock()

	// Granted: a worker handed its place over (pop), running already counts
	// us. Else stopped before its turn: take the place back at once (the
	// handler stops at its next check); the pool is over its size until a
	// surplus worker exits.
	if !p.awaitTurn(g, c, stop) {
		p.running++
	}
	p.beginLocked(s, g, s.cur)
	p.mu.Unlock()
	return true
}

// awaitTurn waits until c, queued in g, is granted (a worker handed its
// place over) or stop is closed. It returns with p.mu held and reports
// whether c was granted; if not, c is out of g's queue. Acquire and yield
// share it: they differ only in what a stopped waiter does next.
func (p *Pool) awaitTurn(g *group, c *cont, stop <-chan struct{}) bool {
	select {
	case <-c.ch:
	case <-stop:
	}
	p.mu.Lock()
	if !c.granted {
		p.cancelLocked(g, c)
	}
	return c.granted
}

// cancelLocked takes a continuation that was not granted out of g's queue.
func (p *Pool) cancelLocked(g *group, c *cont) {
	g.q.remove(func(r runnable) bool { return r == runnable(c) })
	p.waiting--
	if g.q.len() == 0 && g.active {
		p.active.remove(func(x *group) bool { return x == g })
		g.active = false
		p.forgetLocked(g)
	}
}

// beginLocked starts a slice of r on s.
func (p *Pool) beginLocked(s *slot, g *group, r runnable) {
	s.cur, s.grp, s.start = r, g, p.ticks
	s.expired.Store(false)
	if s.busyIdx < 0 {
		s.busyIdx = len(p.busy)
		p.busy = append(p.busy, s)
	}
	g.stats.Slices++
	p.total.Slices++
}

func (p *Pool) unbusyLocked(s *slot) {
	if i := s.busyIdx; i >= 0 {
		last := p.busy[len(p.busy)-1]
		p.busy[i], last.busyIdx = last, i
		p.busy[len(p.busy)-1] = nil
		p.busy = p.busy[:len(p.busy)-1]
		s.busyIdx = -1
	}
}

// pop ends s's slice and starts the next one: it takes the next group in
// turn and the first entry of its run queue. It returns false when the
// worker must exit: the pool is closing, the worker is surplus, or it handed
// its place to a yielded handler.
func (p *Pool) pop(s *slot) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.cur = nil
	p.unbusyLocked(s)
	for {
		if p.running > p.cfg.Workers || (p.waiting == 0 && p.closed) {
			// Closing, or a surplus worker after a Blocking call returned.
			p.running--
			if p.waiting > p.woken {
				// Pass on a wake-up this worker may have taken: to an idle
				// worker, or, when there is none (a Place took this
				// worker's room), to the slice timer, which preempts the
				// running ones. Signalling alone left the work waiting,
				// with no worker and no timer, for as long as the places
				// ran (a constructor spinning to its deadline).
				p.wakeLocked()
			}
			return false
		}
		if p.waiting == 0 {
			p.idle++
			p.cond.Wait()
			p.idle--
			if p.woken > 0 {
				p.woken--
			}
			continue
		}
		g := p.active.pop()
		r := g.q.pop()
		p.waiting--
		if g.q.len() > 0 {
			p.active.push(g) // its next entry waits for its next turn
		} else {
			g.active = false
			p.forgetLocked(g)
		}
		if c, ok := r.(*cont); ok {
			c.granted = true
			close(c.ch)
			return false
		}
		p.beginLocked(s, g, r)
		return true
	}
}

// requeue puts s's mailbox, which has more items, back at the tail of its
// group's run queue. The slice goes on until the worker's next pop.
func (p *Pool) requeue(s *slot) {
	p.mu.Lock()
	p.enqueueLocked(s.grp, s.cur)
	p.wakeLocked()
	p.mu.Unlock()
}

func (p *Pool) worker() {
	s := &slot{busyIdx: -1}
	for p.pop(s) {
		if s.cur.runBatch(p.cfg.Quantum, s) {
			p.requeue(s)
			// A worker that always has work never blocks, so it would keep
			// its processor for a whole time slice while the callers it just
			// answered (a quiet actor's among them) wait to run: yield once
			// per batch (docs/SCHEDULING.md, "Fairness").
			runtime.Gosched()
		}
	}
}

// ring is a FIFO on a growable circular buffer.
type ring[T comparable] struct {
	buf     []T
	head, n int
}

func (r *ring[T]) len() int { return r.n }

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		grown := make([]T, max(8, 2*len(r.buf)))
		for i := 0; i < r.n; i++ {
			grown[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = grown, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = v
	r.n++
}

func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return v
}

// remove deletes the first element for which match is true, keeping the
// order of the others.
func (r *ring[T]) remove(match func(T) bool) {
	for i := 0; i < r.n; i++ {
		if !match(r.buf[(r.head+i)%len(r.buf)]) {
			continue
		}
		for j := i; j < r.n-1; j++ {
			r.buf[(r.head+j)%len(r.buf)] = r.buf[(r.head+j+1)%len(r.buf)]
		}
		var zero T
		r.buf[(r.head+r.n-1)%len(r.buf)] = zero
		r.n--
		return
	}
}
