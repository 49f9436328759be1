// Package futuretable keeps the futures a guest sent (wactor.send) and has
// not awaited yet, numbered for wactor.await, within the bounds of
// docs/ABI.md section 6: of the resolved ones not yet awaited, at most
// MaxKept results, together at most MaxKeptBytes, are kept, the oldest
// dropped first; an await of a dropped future is told so (the newest
// maxDroppedSpans runs of dropped numbers are remembered).
//
// The table knows nothing of actors or calls: F is the host's future type,
// compared by identity.
package futuretable

import "sync"

// Bounds of the results a table keeps for await (docs/ABI.md section 6).
const (
	// MaxKept is the most results of resolved futures kept, not yet awaited.
	MaxKept = 10_000
	// MaxKeptBytes bounds the size of those results together.
	MaxKeptBytes = 64 << 20

	maxDroppedSpans = 1000 // runs of dropped futures that await names as such
)

// Table holds the futures a guest sent and has not awaited. The zero value
// is empty. Safe for concurrent use: futures resolve on other goroutines.
type Table[F comparable] struct {
	mu         sync.Mutex
	m          map[int64]*entry[F]
	next       int64
	unresolved int     // sent, not yet resolved (awaited or not)
	done       []int64 // resolution order of kept results; may hold stale IDs
	kept       int     // resolved futures in m
	keptBytes  int
	dropped    []idSpan // the newest runs of dropped future numbers
}

type entry[F comparable] struct {
	f    F
	kept bool // resolved, counted in kept and keptBytes
	size int
}

// idSpan is the future numbers lo..hi.
type idSpan struct{ lo, hi int64 }

// Unresolved returns how many futures added are not resolved yet (awaited
// or not): the host refuses a send past its bound.
func (t *Table[F]) Unresolved() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unresolved
}

// Counts returns how many resolved futures are kept for await, and how
// many are not resolved yet.
func (t *Table[F]) Counts() (kept, unresolved int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.kept, t.unresolved
}

// Add keeps f, unresolved, and returns its number (from 1). The caller
// calls Resolved once f resolves.
func (t *Table[F]) Add(f F) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[int64]*entry[F]{}
	}
	t.next++
	id := t.next
	t.m[id] = &entry[F]{f: f}
	t.unresolved++
	return id
}

// Resolved counts future id, f, as resolved and its result (of size(f)
// bytes, asked under the table's lock) as kept until awaited, dropping the
// oldest kept results past the bounds.
func (t *Table[F]) Resolved(id int64, f F, size func(F) int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unresolved--
	e := t.m[id]
	if e == nil || e.f != f {
		return // awaited already
	}
	e.kept, e.size = true, size(f)
	t.kept++
	t.keptBytes += e.size
	t.done = append(t.done, id)
	for len(t.done) > 0 && (t.kept > MaxKept || t.keptBytes > MaxKeptBytes) {
		old := t.done[0]
		t.done = t.done[1:]
		if o := t.m[old]; o != nil && o.kept {
			delete(t.m, old)
			t.kept--
			t.keptBytes -= o.size
			t.drop(old)
		}
	}
	if len(t.done) > 2*t.kept+64 { // drop the IDs awaited since
		live := make([]int64, 0, t.kept)
		for _, x := range t.done {
			if o := t.m[x]; o != nil && o.kept {
				live = append(live, x)
			}
		}
		t.done = live
	}
}

// Take removes future id for await. ok is false if there is none; dropped
// then says whether it was dropped (not awaited while newer results
// arrived).
func (t *Table[F]) Take(id int64) (f F, ok, dropped bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[id]
	if e == nil {
		return f, false, t.wasDropped(id)
	}
	delete(t.m, id)
	if e.kept {
		t.kept--
		t.keptBytes -= e.size
	}
	return e.f, true, false
}

func (t *Table[F]) drop(id int64) {
	if n := len(t.dropped); n > 0 && t.dropped[n-1].hi+1 == id {
		t.dropped[n-1].hi = id
		return
	}
	if len(t.dropped) >= maxDroppedSpans {
		t.dropped = append(t.dropped[:0], t.dropped[1:]...)
	}
	t.dropped = append(t.dropped, idSpan{id, id})
}

func (t *Table[F]) wasDropped(id int64) bool {
	for _, s := range t.dropped {
		if s.lo <= id && id <= s.hi {
			return true
		}
	}
	return false
}
