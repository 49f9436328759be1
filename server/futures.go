package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// maxFuturesPerNamespace bounds the futures one namespace keeps in the
// registry (pending, or resolved and not yet expired).
const maxFuturesPerNamespace = 1_000_000

// futureRegistry keeps the futures created through the API (submit, batch
// without wait) so that GET /v1/futures/{id} and "$future" arguments can find
// them. It starts no goroutine: a future's resolution is noticed when it is
// looked up or at the next sweep (Server.sweepFutures), and its result is
// dropped ttl after that. Safe for concurrent use.
type futureRegistry struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]*futureEntry
	count   map[string]int // entries per namespace
	// cleanups are the contexts of calls nobody waits for any more, with
	// the futures that end them: cancelled once those resolve.
	cleanups []cleanup
}

type futureEntry struct {
	f         *host.Future
	namespace string
	// resolved is when the future was first seen resolved (zero before).
	resolved time.Time
}

type cleanup struct {
	futs   []*host.Future
	cancel context.CancelFunc
}

func newFutureRegistry(ttl time.Duration) *futureRegistry {
	return &futureRegistry{ttl: ttl, entries: map[string]*futureEntry{}, count: map[string]int{}}
}

// sweepInterval is how often the registry is swept: often enough that
// results do not outlive their TTL by much.
func sweepInterval(ttl time.Duration) time.Duration {
	return min(max(ttl/4, 10*time.Millisecond), 30*time.Second)
}

// reserve checks that namespace may register n more futures.
func (r *futureRegistry) reserve(namespace string, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count[namespace]+n > maxFuturesPerNamespace {
		return newError(codeQuotaExceeded, "namespace %q holds %d futures (max %d): fetch or let them expire", namespace, r.count[namespace], maxFuturesPerNamespace)
	}
	return nil
}

// add registers futures of namespace.
func (r *futureRegistry) add(namespace string, futs []*host.Future) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range futs {
		r.entries[f.ID()] = &futureEntry{f: f, namespace: namespace}
	}
	r.count[namespace] += len(futs)
}

// releaseWhenDone cancels the context of calls once all their futures
// resolved (for calls nobody waits for, or no longer).
func (r *futureRegistry) releaseWhenDone(futs []*host.Future, cancel context.CancelFunc) {
	if cancel == nil {
		return
	}
	if allReady(futs) {
		cancel()
		return
	}
	r.mu.Lock()
	r.cleanups = append(r.cleanups, cleanup{futs: futs, cancel: cancel})
	r.mu.Unlock()
}

func allReady(futs []*host.Future) bool {
	for _, f := range futs {
		if !f.Ready() {
			return false
		}
	}
	return true
}

// get returns the future id of namespace, or api.ErrFutureNotFound if there is
// none or its result expired.
func (r *futureRegistry) get(namespace, id string, now time.Time) (*host.Future, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[id]
	if !ok || e.namespace != namespace {
		return nil, fmt.Errorf("%w: %s", api.ErrFutureNotFound, id)
	}
	if r.check(id, e, now) {
		return nil, fmt.Errorf("%w: %s (its result expired)", api.ErrFutureNotFound, id)
	}
	return e.f, nil
}

// check notes when e resolved and drops it once expired, reporting whether
// it did. Called with mu held.
func (r *futureRegistry) check(id string, e *futureEntry, now time.Time) (expired bool) {
	if e.resolved.IsZero() {
		if !e.f.Ready() {
			return false
		}
		e.resolved = now
	}
	if now.Sub(e.resolved) < r.ttl {
		return false
	}
	delete(r.entries, id)
	if r.count[e.namespace]--; r.count[e.namespace] <= 0 {
		delete(r.count, e.namespace)
	}
	return true
}

// sweep expires results and releases finished calls' contexts.
func (r *futureRegistry) sweep(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, e := range r.entries {
		r.check(id, e, now)
	}
	kept := r.cleanups[:0]
	for _, c := range r.cleanups {
		if allReady(c.futs) {
			c.cancel()
			continue
		}
		kept = append(kept, c)
	}
	clear(r.cleanups[len(kept):])
	r.cleanups = kept
}

// clear drops every entry and releases every context (at Close).
func (r *futureRegistry) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.cleanups {
		c.cancel()
	}
	r.entries, r.count, r.cleanups = map[string]*futureEntry{}, map[string]int{}, nil
}

// len returns the number of registered futures (for tests).
func (r *futureRegistry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}
