package scheduler

import (
	"sync"
	"sync/atomic"
)

// Mailbox is a bounded FIFO of items handled one at a time, in order, by a
// pool worker. It is safe for concurrent use.
type Mailbox[T any] struct {
	pool     *Pool
	grp      *group
	handle   func(T)
	capacity int
	// onPreempt is OnPreempt's hook.
	onPreempt func()

	mu        sync.Mutex
	items     []T // queue; items[head:] are pending
	head      int
	scheduled bool // on the run queue or being run by a worker
	closed    bool
	batch     []T          // owned by the worker running the mailbox
	inBatch   atomic.Int64 // items taken by the worker and not yet handled
	slot      *slot        // the worker's slice while it runs a batch; worker only
}

// NewMailbox makes a mailbox in the pool's default group (""), whose items
// are handled by handle on p's workers. capacity bounds the pending items
// (<= 0: unbounded).
func NewMailbox[T any](p *Pool, capacity int, handle func(T)) *Mailbox[T] {
	return NewGroupMailbox(p, "", capacity, handle)
}

// NewGroupMailbox makes a mailbox in the group named key (created on first
// use, forgotten when its last mailbox is closed). Workers serve the groups
// with runnable mailboxes in turn, so each group gets an equal share of the
// workers however many mailboxes it has.
func NewGroupMailbox[T any](p *Pool, key string, capacity int, handle func(T)) *Mailbox[T] {
	return &Mailbox[T]{pool: p, grp: p.join(key), handle: handle, capacity: capacity}
}

// OnPreempt sets a hook that the pool calls, from another goroutine, when
// the mailbox's slice is up while other work waits: it should make the
// running handler call Yield soon (for a guest call, at its next check).
// Call it before the first Push.
func (m *Mailbox[T]) OnPreempt(fn func()) { m.onPreempt = fn }

// Yield, called by a handler of m (on the worker running it), gives the
// worker to waiting work if the pool asked m to yield (its slice is up while
// work waits), and blocks until the group's turn comes again and a worker
// hands its place back, or until stop is closed (then it returns at once;
// the pool runs one worker over its size until a worker exits). It reports
// whether it yielded; it returns false at once when not asked.
func (m *Mailbox[T]) Yield(stop <-chan struct{}) bool {
	s := m.slot
	if s == nil {
		return false
	}
	return m.pool.yield(s, stop)
}

// preempt implements runnable.
func (m *Mailbox[T]) preempt() {
	if m.onPreempt != nil {
		m.onPreempt()
	}
}

// Push appends an item. It returns ErrFull when capacity items are pending
// and ErrClosed after Close.
func (m *Mailbox[T]) Push(item T) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if m.capacity > 0 && len(m.items)-m.head+int(m.inBatch.Load()) >= m.capacity {
		m.mu.Unlock()
		return ErrFull
	}
	m.items = append(m.items, item)
	schedule := !m.scheduled
	m.scheduled = true
	m.mu.Unlock()
	if schedule {
		m.pool.push(m.grp, m)
	}
	return nil
}

// Len returns the number of items pushed and not yet handled (including one
// being handled).
func (m *Mailbox[T]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items) - m.head + int(m.inBatch.Load())
}

// Close refuses further pushes and returns the pending items that no worker
// has taken yet, in order; the caller owns them (for example to fail them).
// Items a worker has already taken are still handed to the handler, which
// should check its own state.
func (m *Mailbox[T]) Close() []T {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.pool.leave(m.grp)
	}
	m.closed = true
	rest := append([]T(nil), m.items[m.head:]...)
	clear(m.items)
	m.items, m.head = nil, 0
	return rest
}

// runBatch implements runnable.
func (m *Mailbox[T]) runBatch(quantum int, s *slot) bool {
	m.mu.Lock()
	n := len(m.items) - m.head
	if n > quantum {
		n = quantum
	}
	m.batch = append(m.batch[:0], m.items[m.head:m.head+n]...)
	clear(m.items[m.head : m.head+n])
	m.head += n
	if m.head == len(m.items) {
		m.items, m.head = m.items[:0], 0
	} else if m.head > 1024 && m.head > len(m.items)/2 {
		k := copy(m.items, m.items[m.head:])
		clear(m.items[k:])
		m.items, m.head = m.items[:k], 0
	}
	m.inBatch.Store(int64(n))
	m.mu.Unlock()

	m.slot = s
	i := 0
	for ; i < len(m.batch); i++ {
		if i > 0 && s.expired.Load() {
			break // the slice is up and other work waits
		}
		m.handle(m.batch[i])
		m.inBatch.Add(-1)
	}
	m.slot = nil
	rest := m.batch[i:]

	m.mu.Lock()
	if len(rest) > 0 && m.closed {
		// Closed meanwhile: Close did not return the items the worker had
		// taken, so the handler gets them, as Close says.
		m.mu.Unlock()
		for j := range rest {
			m.handle(rest[j])
			m.inBatch.Add(-1)
		}
		m.mu.Lock()
		rest = nil
	}
	defer m.mu.Unlock()
	if len(rest) > 0 {
		// The slice ended early: the items not handled go back to the
		// head of the queue, in order.
		m.items = append(append(make([]T, 0, len(rest)+len(m.items)-m.head), rest...), m.items[m.head:]...)
		m.head = 0
		m.inBatch.Store(0)
	}
	clear(m.batch)
	if len(m.items) > m.head && !m.closed {
		return true
	}
	m.scheduled = false
	return false
}
