package scheduler

import (
	"sync"
	"sync/atomic"
)

// Mailbox is a bounded FIFO of items handled one at a time, in order, by a
// pool worker. It is safe for concurrent use.
type Mailbox[T any] struct {
	pool     *Pool
	handle   func(T)
	capacity int

	mu        sync.Mutex
	items     []T // queue; items[head:] are pending
	head      int
	scheduled bool // on the run queue or being run by a worker
	closed    bool
	batch     []T          // owned by the worker running the mailbox
	inBatch   atomic.Int64 // items taken by the worker and not yet handled
}

// NewMailbox makes a mailbox whose items are handled by handle on p's
// workers. capacity bounds the pending items (<= 0: unbounded).
func NewMailbox[T any](p *Pool, capacity int, handle func(T)) *Mailbox[T] {
	return &Mailbox[T]{pool: p, handle: handle, capacity: capacity}
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
		m.pool.push(m)
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
	m.closed = true
	rest := append([]T(nil), m.items[m.head:]...)
	clear(m.items)
	m.items, m.head = nil, 0
	return rest
}

// runBatch implements runnable.
func (m *Mailbox[T]) runBatch(quantum int) bool {
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

	for i := range m.batch {
		m.handle(m.batch[i])
		m.inBatch.Add(-1)
	}
	clear(m.batch)

	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.items) > m.head && !m.closed {
		return true
	}
	m.scheduled = false
	return false
}
