package sandbox

import (
	"sync"

	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/memtrack"
)

// regionMinBytes is the memory size from which a sandbox's memory lives in
// a memtrack.Region (kernel dirty tracking, no copy on growth).
const regionMinBytes = 1 << 20

// limitedMemory backs a linear memory and refuses growth past a limit, which
// the guest sees as memory.grow returning -1. With a region (the usual
// case) memory is one mapping of the limit's size that never moves, and the
// kernel tracks its written pages; without one, it is on the Go heap.
type limitedMemory struct {
	buf    []byte
	limit  uint64
	region *memtrack.Region
	// sb, if set, is charged a growth and may refuse it (its meter's
	// limit): a pointer, not a closure, to spare an allocation per sandbox.
	sb *Sandbox
}

// newLimitedMemory makes a memory; with tmpl its first bytes hold the
// template's content, shared copy-on-write (preloaded reports it).
//
// A small memory without a template starts on the Go heap: mapping and
// unmapping a region costs more than a small guest's whole spawn, and
// comparing a small memory for a checkpoint is cheap. It moves to a region
// when it grows to regionMinBytes.
func newLimitedMemory(capacity, limit uint64, tmpl *memtrack.Template) (m *limitedMemory, preloaded bool) {
	if tmpl == nil && capacity < regionMinBytes {
		return &limitedMemory{buf: heapBuffer(capacity), limit: limit}, false
	}
	if r, err := memtrack.NewFrom(int(limit), tmpl); err == nil {
		return &limitedMemory{buf: r.Bytes()[:capacity], limit: limit, region: r}, tmpl != nil
	}
	if tmpl != nil {
		return newLimitedMemory(capacity, limit, nil)
	}
	return &limitedMemory{buf: make([]byte, 0, capacity), limit: limit}, false
}

// Reallocate implements engine.LinearMemory: it returns the memory grown to
// size bytes, or nil if the limit or the sandbox's meter refuses it.
func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		return nil
	}
	if m.sb != nil && size > uint64(len(m.buf)) && !m.sb.chargeGrowth(size) {
		return nil
	}
	if m.region == nil && size >= regionMinBytes {
		if r, err := memtrack.New(int(m.limit)); err == nil {
			copy(r.Bytes(), m.buf)
			m.region = r
		}
	}
	if m.region != nil {
		m.buf = m.region.Bytes()[:size]
		return m.buf
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	newCap := 2 * uint64(cap(m.buf))
	if newCap < size {
		newCap = size
	}
	if newCap > m.limit {
		newCap = m.limit
	}
	nb := make([]byte, size, newCap)
	copy(nb, m.buf)
	m.buf = nb
	return nb
}

// Free is a no-op: the garbage collector reclaims the buffer, which keeps a
// concurrent interrupt safe.
func (m *limitedMemory) Free() {}

// Heap buffers of small memories are pooled by capacity (powers of two
// from 64 KiB): spawning small actors otherwise allocates and zeroes a
// large object each time, and the garbage collector pays for the churn.
var heapBuffers [8]sync.Pool // 64 KiB << i

func bufferClass(capacity uint64) (int, bool) {
	for i := range heapBuffers {
		if capacity <= 64<<10<<i {
			return i, true
		}
	}
	return 0, false
}

// heapBuffer returns a zeroed buffer of length 0 and at least capacity.
func heapBuffer(capacity uint64) []byte {
	i, ok := bufferClass(capacity)
	if !ok {
		return make([]byte, 0, capacity)
	}
	if b, _ := heapBuffers[i].Get().(*[]byte); b != nil {
		return (*b)[:0]
	}
	return make([]byte, 0, 64<<10<<i)
}

// putHeapBuffer zeroes b and keeps it for heapBuffer.
func putHeapBuffer(b []byte) {
	i, ok := bufferClass(uint64(cap(b)))
	if !ok || cap(b) != 64<<10<<i {
		return
	}
	b = b[:cap(b)]
	clear(b)
	heapBuffers[i].Put(&b)
}

// Memory charging: a sandbox charges its meter the bytes of its linear
// memory while it lives (Sandbox.charged), and gives them back on close.

// exceeds reports whether n is past limit (negative: no limit).
func exceeds(n, limit int64) bool { return limit >= 0 && n > limit }

// charge sets the sandbox's charge to size bytes. A growth that would pass
// the meter's limit is refused (false) unless force.
func (sb *Sandbox) charge(size uint64, force bool) bool {
	m := sb.meter
	if m == nil {
		return true
	}
	delta := int64(size) - sb.charged.Load()
	if delta == 0 {
		return true
	}
	n := m.Charge(delta)
	if delta > 0 && !force && exceeds(n, m.Limit()) {
		m.Charge(-delta)
		return false
	}
	sb.charged.Add(delta)
	return true
}

// chargeGrowth charges a growth of the memory the sandbox backs to size
// bytes: refused past the meter's limit while guest code runs, forced when
// the host restores a state (restore, replay), as it was accepted before.
func (sb *Sandbox) chargeGrowth(size uint64) bool {
	return sb.charge(size, !sb.guestRuns || sb.rec.replaying())
}

// limitGrowth, before a guest call on an engine that owns its memory
// (wasmtime), lowers the sandbox's memory limit to what the meter's limit
// leaves it, so memory.grow past the quota returns -1 there too.
// Concurrent calls charged to the same meter may each take what is left:
// run charges what they grew when they return, and fails the call past the
// limit.
func (sb *Sandbox) limitGrowth() {
	l, ok := sb.inst.(engine.MemoryLimiter)
	if !ok || sb.meter == nil {
		return
	}
	allowed := sb.maxBytes
	if q := sb.meter.Limit(); q >= 0 && !sb.rec.replaying() {
		others := sb.meter.Charged() - sb.charged.Load()
		left := max(q-others, 0) / 65536 * 65536
		allowed = min(allowed, uint64(left))
	}
	if allowed != sb.limitSet {
		l.SetMemoryLimit(allowed)
		sb.limitSet = allowed
	}
}

// uncharge gives the sandbox's memory back to its meter.
func (sb *Sandbox) uncharge() {
	if sb.meter != nil {
		sb.meter.Charge(-sb.charged.Swap(0))
	}
}

// overMemory reports whether the sandbox's meter is over its limit (after
// a force charge).
func (sb *Sandbox) overMemory() bool {
	return sb.meter != nil && exceeds(sb.meter.Charged(), sb.meter.Limit())
}
