package logring

import (
	"slices"
	"time"
)

// Morgue keeps the logs of the most recently finished owners (a host's dead
// actors), each with a value V (the actor's final state), for a while: at
// most Max of them, each for at most TTL, so that a death reason and a
// guest's last words (an abort message, a panic) can be read after the
// owner is gone. The caller retires each log to its budget before adding
// it, so the morgue holds at most Max times that. When it is full, the
// oldest entry of the group (a namespace) with the most kept goes first: a
// group that finishes many owners pushes out its own, not another's.
//
// A Morgue is not safe for concurrent use (the host guards it with its
// lock); the logs it gives up are returned for the caller to release after
// unlocking.
type Morgue[V any] struct {
	max  int // 0 or less: keep none
	ttl  time.Duration
	all  []*kept[V]            // every kept entry, in order of death
	byNS map[string][]*kept[V] // the same, per group
	byID map[string]*kept[V]
}

// kept is a kept entry.
type kept[V any] struct {
	id, group string
	v         V
	logs      *Ring
	at        time.Time // when it died
	gone      bool      // no longer kept (still in all until it reaches its head)
}

// popFront removes q's first element. A plain slice is queue enough: append
// reallocates once the front is used up, so the backing array stays within
// a small multiple of what is kept.
func popFront[V any](q []*kept[V]) (*kept[V], []*kept[V]) {
	d := q[0]
	q[0] = nil // the backing array must not keep it alive
	return d, q[1:]
}

// NewMorgue returns a morgue that keeps at most max entries (0 or less:
// none), each for at most ttl (0 or less: no limit).
func NewMorgue[V any](max int, ttl time.Duration) *Morgue[V] {
	return &Morgue[V]{max: max, ttl: ttl, byNS: map[string][]*kept[V]{}, byID: map[string]*kept[V]{}}
}

// Add keeps v with its logs under id (unique: an id is kept once) in group,
// as of now, and returns the logs of those it no longer keeps (possibly
// this one's) for release.
func (m *Morgue[V]) Add(id, group string, v V, logs *Ring, now time.Time) []*Ring {
	gone := m.Prune(now)
	if m.max <= 0 || m.byID[id] != nil { // IDs are unique: never twice
		return append(gone, logs)
	}
	d := &kept[V]{id: id, group: group, v: v, logs: logs, at: now}
	m.all = append(m.all, d)
	m.byNS[group] = append(m.byNS[group], d)
	m.byID[id] = d
	for len(m.byID) > m.max {
		gone = append(gone, m.evict(m.fullest()))
	}
	return gone
}

// fullest returns the group with the most kept entries (of two, the one
// whose oldest died first).
func (m *Morgue[V]) fullest() string {
	best, bestQ := "", []*kept[V](nil)
	for ns, q := range m.byNS {
		if bestQ == nil || len(q) > len(bestQ) || len(q) == len(bestQ) && q[0].at.Before(bestQ[0].at) {
			best, bestQ = ns, q
		}
	}
	return best
}

// evict drops the oldest kept entry of group ns.
func (m *Morgue[V]) evict(ns string) *Ring {
	d, q := popFront(m.byNS[ns])
	if len(q) == 0 {
		delete(m.byNS, ns)
	} else {
		m.byNS[ns] = q
	}
	delete(m.byID, d.id)
	d.gone = true
	for len(m.all) > 0 && m.all[0].gone {
		_, m.all = popFront(m.all)
	}
	if len(m.all) > 2*len(m.byID)+64 { // evicted out of order: drop them
		m.all = slices.DeleteFunc(m.all, func(d *kept[V]) bool { return d.gone })
	}
	logs := d.logs
	var zero V
	d.v, d.logs = zero, nil // a gone entry waiting in all holds nothing
	return logs
}

// Prune drops the entries kept longer than the TTL as of now and returns
// their logs for release.
func (m *Morgue[V]) Prune(now time.Time) []*Ring {
	var gone []*Ring
	for len(m.all) > 0 && m.ttl > 0 && now.Sub(m.all[0].at) >= m.ttl {
		// The oldest of all is the oldest of its group.
		gone = append(gone, m.evict(m.all[0].group))
	}
	return gone
}

// Get returns the kept entry id: its value and its logs; ok is false when
// it is not kept.
func (m *Morgue[V]) Get(id string) (v V, logs *Ring, ok bool) {
	d := m.byID[id]
	if d == nil {
		return v, nil, false
	}
	return d.v, d.logs, true
}

// Values returns the kept entries' values, oldest death first.
func (m *Morgue[V]) Values() []V {
	out := make([]V, 0, len(m.byID))
	for _, d := range m.all {
		if !d.gone {
			out = append(out, d.v)
		}
	}
	return out
}

// Len is how many entries are kept.
func (m *Morgue[V]) Len() int { return len(m.byID) }

// Release releases logs a morgue gave up (outside the caller's lock).
func Release(logs []*Ring) {
	for _, l := range logs {
		l.Release()
	}
}
