package host

import (
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/snapshots"
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

// Memory charging: a sandbox charges its namespace the bytes of its linear
// memory while it lives (sandbox.charged), and gives them back on close.

// charge sets the sandbox's charge to size bytes. A growth that would pass
// the namespace's quota is refused (false) unless force.
func (sb *sandbox) charge(size uint64, force bool) bool {
	s := sb.ns
	if s == nil {
		return true
	}
	delta := int64(size) - sb.charged.Load()
	if delta == 0 {
		return true
	}
	n := s.memory.Add(delta)
	if delta > 0 && !force && exceeds(n, s.quota.Load().Memory) {
		s.memory.Add(-delta)
		return false
	}
	sb.charged.Add(delta)
	return true
}

// limitGrowth, before a guest call on an engine that owns its memory
// (wasmtime), lowers the sandbox's memory limit to what the namespace's
// quota leaves it, so memory.grow past the quota returns -1 there too.
// Concurrent calls of the namespace may each take what is left: run charges
// what they grew when they return, and fails the call past the quota.
func (sb *sandbox) limitGrowth() {
	l, ok := sb.inst.(engine.MemoryLimiter)
	if !ok || sb.ns == nil {
		return
	}
	allowed := sb.maxBytes
	if q := sb.ns.quota.Load().Memory; q >= 0 && !sb.rec.replaying() {
		others := sb.ns.memory.Load() - sb.charged.Load()
		left := max(q-others, 0) / 65536 * 65536
		allowed = min(allowed, uint64(left))
	}
	if allowed != sb.limitSet {
		l.SetMemoryLimit(allowed)
		sb.limitSet = allowed
	}
}

// uncharge gives the sandbox's memory back to its namespace.
func (sb *sandbox) uncharge() {
	if sb.ns != nil {
		sb.ns.memory.Add(-sb.charged.Swap(0))
	}
}

// overMemory reports whether the sandbox's namespace is over its memory
// quota (after a force charge).
func (sb *sandbox) overMemory() bool {
	return sb.ns != nil && exceeds(sb.ns.memory.Load(), sb.ns.quota.Load().Memory)
}

// initialBytes is the linear memory a new sandbox of c starts with (from a
// snapshot, the template, or the module's minimum).
func initialBytes(c *class, from *snapshots.State) int64 {
	n := int64(c.minPages) * 65536
	switch {
	case from != nil:
		n = max(n, int64(from.Memory.Len()))
	case c.template != nil:
		n = max(n, int64(c.template.Memory.Len()))
	}
	return n
}
