// Package scheduler runs actor mailboxes on a bounded pool of workers.
//
// A Mailbox is a FIFO queue of items for one actor. When it goes from empty to
// non-empty it is put on the pool's run queue; a worker takes it, handles up to
// a quantum of items one at a time, and puts it back at the tail of the run
// queue if more remain. So items of one mailbox never run concurrently and run
// in push order, many mailboxes share few workers fairly, and an idle mailbox
// costs no goroutine.
//
// Admission accounts a node's resources (CPU slots, GPUs, memory, custom
// resources) among actors, which reserve them for their lifetime, as Ray's
// resource requests do; see docs/SCHEDULING.md.
package scheduler

import (
	"context"
	"runtime"
	"sync"

	"github.com/wactor/wactor/internal/goroutines"
)

// Config configures a Pool. The zero value means defaults.
type Config struct {
	// Workers is the number of goroutines running mailboxes (default GOMAXPROCS).
	Workers int
	// Quantum is how many items a worker handles from one mailbox before it
	// moves on to the next runnable mailbox (default 64).
	Quantum int
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Quantum <= 0 {
		c.Quantum = 64
	}
	return c
}

// runnable is a mailbox as the pool sees it.
type runnable interface {
	// runBatch handles up to quantum items and reports whether more remain.
	runBatch(quantum int) (more bool)
}

// Pool is a bounded set of workers running mailboxes. It is safe for
// concurrent use.
type Pool struct {
	cfg     Config
	mu      sync.Mutex
	cond    sync.Cond
	queue   []runnable // ring buffer of runnable mailboxes
	head, n int
	closed  bool
	idle    int // workers waiting on cond
	running int // workers not inside Blocking (idle ones included)
	group   goroutines.Group
}

// NewPool starts a pool of workers.
func NewPool(cfg Config) *Pool {
	p := &Pool{cfg: cfg.withDefaults()}
	p.cond.L = &p.mu
	p.queue = make([]runnable, 64)
	p.mu.Lock()
	for i := 0; i < p.cfg.Workers; i++ {
		p.startWorkerLocked()
	}
	p.mu.Unlock()
	return p
}

// Workers returns the number of workers.
func (p *Pool) Workers() int { return p.cfg.Workers }

// Close stops the workers once the run queue is empty and waits for them (or
// for ctx). Mailboxes should be closed first so their items are not run.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	return p.group.Wait(ctx)
}

func (p *Pool) push(r runnable) {
	p.mu.Lock()
	if p.n == len(p.queue) {
		grown := make([]runnable, 2*len(p.queue))
		for i := 0; i < p.n; i++ {
			grown[i] = p.queue[(p.head+i)%len(p.queue)]
		}
		p.queue, p.head = grown, 0
	}
	p.queue[(p.head+p.n)%len(p.queue)] = r
	p.n++
	if p.idle > 0 {
		p.cond.Signal()
	} else if p.running < p.cfg.Workers && !p.closed {
		// Some workers are blocked (see Blocking): replace one.
		p.startWorkerLocked()
	}
	p.mu.Unlock()
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
	if p.n > 0 && p.idle == 0 && p.running < p.cfg.Workers && !p.closed {
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

func (p *Pool) pop() (runnable, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.n == 0 || p.running > p.cfg.Workers {
		if p.closed || p.running > p.cfg.Workers {
			// Closing, or a surplus worker after a Blocking call returned.
			p.running--
			if p.n > 0 && p.idle > 0 {
				p.cond.Signal() // pass on a wake-up this worker may have taken
			}
			return nil, false
		}
		p.idle++
		p.cond.Wait()
		p.idle--
	}
	r := p.queue[p.head]
	p.queue[p.head] = nil
	p.head = (p.head + 1) % len(p.queue)
	p.n--
	return r, true
}

func (p *Pool) worker() {
	for {
		r, ok := p.pop()
		if !ok {
			return
		}
		if r.runBatch(p.cfg.Quantum) {
			p.push(r)
			// A worker that always has work never blocks, so it would keep
			// its processor for a whole time slice while the callers it just
			// answered (a quiet actor's among them) wait to run: yield once
			// per batch (docs/SCHEDULING.md, "Fairness").
			runtime.Gosched()
		}
	}
}
