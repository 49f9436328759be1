package host

import (
	"fmt"
	"sort"
	"sync/atomic"
)

// Built-in quota defaults (docs/SEMANTICS.md, "Limits a guest cannot exceed").
const (
	defaultQuotaActors       = 10_000
	defaultQuotaMemory       = 4 << 30
	defaultQuotaPendingCalls = 100_000
	defaultQuotaWaiting      = 1000
	defaultQuotaClasses      = 100
	defaultQuotaClassBytes   = 256 << 20
)

var builtinQuota = Quota{
	Actors: defaultQuotaActors, Memory: defaultQuotaMemory, PendingCalls: defaultQuotaPendingCalls, Waiting: defaultQuotaWaiting,
	Classes: defaultQuotaClasses, ClassBytes: defaultQuotaClassBytes,
}

// exceeds reports whether n is past a resolved quota field (-1: never).
func exceeds[T int | int64](n, limit T) bool { return limit >= 0 && n > limit }

// nsState is a namespace's accounting. Entries are made on first use and
// kept (they are small; a namespace's live sandboxes point to theirs).
type nsState struct {
	name  string
	quota atomic.Pointer[Quota] // resolved: no zero fields
	// actors is guarded by Host.mu.
	actors  int
	memory  atomic.Int64 // bytes of linear memory charged by live sandboxes
	pending atomic.Int64 // calls queued on the namespace's actors
	waiting atomic.Int64 // guests blocked in call, await or spawn
}

// namespaceLocked returns the accounting of namespace ns. Host.mu is held.
func (h *Host) namespaceLocked(ns string) *nsState {
	s := h.nss[ns]
	if s == nil {
		s = &nsState{name: ns}
		q := h.resolveQuotaLocked(ns)
		s.quota.Store(&q)
		h.nss[ns] = s
	}
	return s
}

func (h *Host) resolveQuotaLocked(ns string) Quota {
	return h.quotas[ns].WithDefaults(h.cfg.Quota)
}

// quotaFor returns the resolved quota of namespace ns: no zero fields,
// -1 where unlimited. It is the hook for the quotas enforced outside this
// file (classes per namespace).
func (h *Host) quotaFor(ns string) Quota {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.resolveQuotaLocked(ns)
}

// SetQuota sets namespace ns's quota, overriding Config.Quotas; zero fields
// take Config.Quota's. It applies from now on: what the namespace holds
// already is kept, and further spawns, grows and calls are refused while it
// is over. (The HTTP server uses it for per-token quotas.)
func (h *Host) SetQuota(ns string, q Quota) error {
	if ns == "" {
		return fmt.Errorf("%w: SetQuota needs a namespace", ErrInvalidOptions)
	}
	if err := q.Validate(); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.quotas == nil {
		h.quotas = map[string]Quota{}
	}
	h.quotas[ns] = q
	if s := h.nss[ns]; s != nil {
		r := h.resolveQuotaLocked(ns)
		s.quota.Store(&r)
	}
	return nil
}

// NamespaceUsage reports what namespace ns holds now, and its quota.
func (h *Host) NamespaceUsage(ns string) NamespaceUsage {
	h.mu.Lock()
	defer h.mu.Unlock()
	u := NamespaceUsage{Namespace: ns, Quota: h.resolveQuotaLocked(ns)}
	if s := h.nss[ns]; s != nil {
		u.Actors, u.MemoryBytes, u.PendingCalls, u.Waiting = s.actors, s.memory.Load(), s.pending.Load(), s.waiting.Load()
	}
	if c := h.classUse[ns]; c != nil {
		u.Classes, u.ClassBytes = c.count, c.bytes
	}
	return u
}

// Namespaces lists the namespaces the host has accounted, sorted.
func (h *Host) Namespaces() []string {
	h.mu.Lock()
	out := make([]string, 0, len(h.nss))
	for ns := range h.nss {
		out = append(out, ns)
	}
	h.mu.Unlock()
	sort.Strings(out)
	return out
}

// checkActorsLocked refuses a new actor in s past its quota. Host.mu is held.
func (s *nsState) checkActorsLocked() error {
	if q := s.quota.Load(); exceeds(s.actors+1, q.Actors) {
		return fmt.Errorf("%w: namespace %q has %d live actors (quota actors: %d)", ErrQuota, s.name, s.actors, q.Actors)
	}
	return nil
}

// checkMemory refuses a spawn whose sandbox would start with initial bytes.
func (s *nsState) checkMemory(initial int64) error {
	if q := s.quota.Load(); exceeds(s.memory.Load()+initial, q.Memory) {
		return s.memoryError(initial)
	}
	return nil
}

func (s *nsState) memoryError(more int64) error {
	q := s.quota.Load()
	return fmt.Errorf("%w: namespace %q holds %d bytes of linear memory; %d more would pass its quota (quota memory: %d bytes)",
		ErrQuota, s.name, s.memory.Load(), more, q.Memory)
}

// addPending counts one queued call, or refuses it past the quota.
func (s *nsState) addPending() error {
	q := s.quota.Load()
	if n := s.pending.Add(1); exceeds(n, int64(q.PendingCalls)) {
		s.pending.Add(-1)
		return fmt.Errorf("%w: namespace %q has %d calls queued (quota pending_calls: %d)", ErrQuota, s.name, n-1, q.PendingCalls)
	}
	return nil
}

// acquireWait counts a guest of a about to block in call, await or spawn,
// or refuses it past the namespace's Quota.Waiting or the host's
// Config.MaxWaiting. release gives the slot back.
func acquireWait(a *actor) (release func(), err error) {
	s, h := a.ns, a.h
	if n, limit := s.waiting.Add(1), s.quota.Load().Waiting; exceeds(n, int64(limit)) {
		s.waiting.Add(-1)
		return nil, fmt.Errorf("%w: namespace %q has %d guests waiting in call, await or spawn (quota waiting: %d)", ErrQuota, s.name, n-1, limit)
	}
	if n := h.waiting.Add(1); exceeds(n, int64(h.cfg.MaxWaiting)) {
		h.waiting.Add(-1)
		s.waiting.Add(-1)
		return nil, fmt.Errorf("%w: the host has %d guests waiting in call, await or spawn (max_waiting: %d)", ErrQuota, n-1, h.cfg.MaxWaiting)
	}
	return func() { h.waiting.Add(-1); s.waiting.Add(-1) }, nil
}

// nsState is the sandbox.Meter of its namespace's sandboxes: they charge
// it the bytes of their linear memory while they live, against its memory
// quota.

// Charge adds delta bytes of linear memory and returns the namespace's total.
func (s *nsState) Charge(delta int64) int64 { return s.memory.Add(delta) }

// Charged returns the linear memory the namespace's sandboxes hold.
func (s *nsState) Charged() int64 { return s.memory.Load() }

// Limit returns the namespace's memory quota (-1: unlimited).
func (s *nsState) Limit() int64 { return s.quota.Load().Memory }

// LimitError is the error of a growth of more bytes past the quota.
func (s *nsState) LimitError(more int64) error { return s.memoryError(more) }
