package tenancy

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wactor/wactor/api"
)

// Built-in quota defaults (docs/SEMANTICS.md, "Limits a guest cannot exceed").
const (
	DefaultQuotaActors       = 10_000
	DefaultQuotaMemory       = 4 << 30
	DefaultQuotaPendingCalls = 100_000
	DefaultQuotaWaiting      = 1000
	DefaultQuotaClasses      = 100
	DefaultQuotaClassBytes   = 256 << 20
)

// BuiltinQuota is the quota of a namespace that no configuration names:
// the defaults above, no call deadline cap of its own.
var BuiltinQuota = api.Quota{
	Actors: DefaultQuotaActors, Memory: DefaultQuotaMemory, PendingCalls: DefaultQuotaPendingCalls, Waiting: DefaultQuotaWaiting,
	Classes: DefaultQuotaClasses, ClassBytes: DefaultQuotaClassBytes,
}

// exceeds reports whether n is past a resolved quota field (-1: never).
func exceeds[T int | int64](n, limit T) bool { return limit >= 0 && n > limit }

// Namespaces is a host's accounting of its namespaces and their quotas. A
// namespace's entry is made on first use and kept (entries are small; a
// namespace's live sandboxes point to theirs). Safe for concurrent use.
type Namespaces struct {
	defaults   api.Quota // resolved: no zero fields
	maxWaiting int
	waiting    atomic.Int64 // guests of every namespace blocked in call, await or spawn

	mu     sync.Mutex // a leaf
	quotas map[string]api.Quota
	nss    map[string]*Namespace
}

// NewNamespaces returns the accounting of a host whose namespaces' quotas
// are defaults (Config.Quota, resolved: no zero fields) overridden per
// namespace by quotas (Config.Quotas; their zero fields take defaults').
// maxWaiting bounds the guests of all namespaces waiting at once
// (Config.MaxWaiting; -1: unbounded).
func NewNamespaces(defaults api.Quota, quotas map[string]api.Quota, maxWaiting int) *Namespaces {
	s := &Namespaces{defaults: defaults, maxWaiting: maxWaiting, quotas: map[string]api.Quota{}, nss: map[string]*Namespace{}}
	for ns, q := range quotas {
		s.quotas[ns] = q
	}
	return s
}

// Get returns the accounting of namespace ns, made on first use.
func (s *Namespaces) Get(ns string) *Namespace {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nss[ns]
	if n == nil {
		n = &Namespace{name: ns, set: s}
		q := s.resolveLocked(ns)
		n.quota.Store(&q)
		s.nss[ns] = n
	}
	return n
}

func (s *Namespaces) resolveLocked(ns string) api.Quota {
	return s.quotas[ns].WithDefaults(s.defaults)
}

// Quota returns the resolved quota of namespace ns: no zero fields, -1
// where unlimited.
func (s *Namespaces) Quota(ns string) api.Quota {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resolveLocked(ns)
}

// SetQuota sets namespace ns's quota, overriding the configured one; zero
// fields take the defaults'. It applies from now on: what the namespace
// holds already is kept, and further spawns, grows and calls are refused
// while it is over.
func (s *Namespaces) SetQuota(ns string, q api.Quota) error {
	if ns == "" {
		return fmt.Errorf("%w: SetQuota needs a namespace", api.ErrInvalidOptions)
	}
	if err := q.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quotas[ns] = q
	if n := s.nss[ns]; n != nil {
		r := s.resolveLocked(ns)
		n.quota.Store(&r)
	}
	return nil
}

// CallTimeout is the call deadline of an actor of namespace ns whose
// options ask for asked (0: no deadline of its own), under the host's cap
// hostMax (Config.MaxCallTimeout, which asked is within) and the
// namespace's (Quota.CallTimeout): with none of its own, the lesser cap;
// past the namespace's cap, asked is refused (ErrQuota) if the caller asked
// for it (explicit) and cut to the cap if it is a default.
func (s *Namespaces) CallTimeout(ns string, asked time.Duration, explicit bool, hostMax time.Duration) (time.Duration, error) {
	limit := s.Quota(ns).CallTimeout
	if asked == 0 {
		asked = hostMax
		if limit > 0 {
			asked = min(asked, limit)
		}
	}
	if limit > 0 && asked > limit {
		if explicit {
			return 0, fmt.Errorf("%w: call_timeout %v exceeds namespace %q's maximum of %v", api.ErrQuota, asked, ns, limit)
		}
		asked = limit
	}
	return asked, nil
}

// Usage reports what namespace ns holds now, and its quota. Its class
// fields are left zero: classes are the Registry's (Registry.Usage).
func (s *Namespaces) Usage(ns string) api.NamespaceUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := api.NamespaceUsage{Namespace: ns, Quota: s.resolveLocked(ns)}
	if n := s.nss[ns]; n != nil {
		u.Actors, u.MemoryBytes, u.PendingCalls, u.Waiting = int(n.actors.Load()), n.memory.Load(), n.pending.Load(), n.waiting.Load()
	}
	return u
}

// Names lists the namespaces accounted so far, sorted.
func (s *Namespaces) Names() []string {
	s.mu.Lock()
	out := make([]string, 0, len(s.nss))
	for ns := range s.nss {
		out = append(out, ns)
	}
	s.mu.Unlock()
	sort.Strings(out)
	return out
}

// Namespace is one namespace's accounting: its live actors, the linear
// memory of their sandboxes, their queued calls and their waiting guests,
// against its quota. Its methods are safe for concurrent use.
//
// A Namespace is the sandbox.Meter of its namespace's sandboxes: they
// charge it the bytes of their linear memory while they live, against its
// memory quota.
type Namespace struct {
	name    string
	set     *Namespaces
	quota   atomic.Pointer[api.Quota] // resolved: no zero fields
	actors  atomic.Int64
	memory  atomic.Int64 // bytes of linear memory charged by live sandboxes
	pending atomic.Int64 // calls queued on the namespace's actors
	waiting atomic.Int64 // guests blocked in call, await or spawn
}

// Name returns the namespace's name.
func (n *Namespace) Name() string { return n.name }

// AddActor counts one more live actor, or refuses it (ErrQuota) past the
// quota; check false counts it anyway (a host bringing back what it held).
func (n *Namespace) AddActor(check bool) error {
	for {
		c := n.actors.Load()
		if q := n.quota.Load(); check && exceeds(c+1, int64(q.Actors)) {
			return fmt.Errorf("%w: namespace %q has %d live actors (quota actors: %d)", api.ErrQuota, n.name, c, q.Actors)
		}
		if n.actors.CompareAndSwap(c, c+1) {
			return nil
		}
	}
}

// RemoveActor counts one live actor less.
func (n *Namespace) RemoveActor() { n.actors.Add(-1) }

// CheckMemory refuses (ErrQuota) a spawn whose sandbox would start with
// initial bytes of linear memory past the quota.
func (n *Namespace) CheckMemory(initial int64) error {
	if q := n.quota.Load(); exceeds(n.memory.Load()+initial, q.Memory) {
		return n.memoryError(initial)
	}
	return nil
}

func (n *Namespace) memoryError(more int64) error {
	q := n.quota.Load()
	return fmt.Errorf("%w: namespace %q holds %d bytes of linear memory; %d more would pass its quota (quota memory: %d bytes)",
		api.ErrQuota, n.name, n.memory.Load(), more, q.Memory)
}

// AddPending counts one queued call, or refuses it (ErrQuota) past the
// quota. DonePending takes it back.
func (n *Namespace) AddPending() error {
	q := n.quota.Load()
	if c := n.pending.Add(1); exceeds(c, int64(q.PendingCalls)) {
		n.pending.Add(-1)
		return fmt.Errorf("%w: namespace %q has %d calls queued (quota pending_calls: %d)", api.ErrQuota, n.name, c-1, q.PendingCalls)
	}
	return nil
}

// DonePending counts one queued call less (it ran, or was dropped).
func (n *Namespace) DonePending() { n.pending.Add(-1) }

// AcquireWait counts a guest of the namespace about to block in call,
// await or spawn, or refuses it (ErrQuota) past the namespace's
// Quota.Waiting or the host's bound on waiting guests. release gives the
// slot back.
func (n *Namespace) AcquireWait() (release func(), err error) {
	s := n.set
	if c, limit := n.waiting.Add(1), n.quota.Load().Waiting; exceeds(c, int64(limit)) {
		n.waiting.Add(-1)
		return nil, fmt.Errorf("%w: namespace %q has %d guests waiting in call, await or spawn (quota waiting: %d)", api.ErrQuota, n.name, c-1, limit)
	}
	if c := s.waiting.Add(1); exceeds(c, int64(s.maxWaiting)) {
		s.waiting.Add(-1)
		n.waiting.Add(-1)
		return nil, fmt.Errorf("%w: the host has %d guests waiting in call, await or spawn (max_waiting: %d)", api.ErrQuota, c-1, s.maxWaiting)
	}
	return func() { s.waiting.Add(-1); n.waiting.Add(-1) }, nil
}

// Charge adds delta bytes of linear memory and returns the namespace's
// total (sandbox.Meter).
func (n *Namespace) Charge(delta int64) int64 { return n.memory.Add(delta) }

// Charged returns the linear memory the namespace's sandboxes hold
// (sandbox.Meter).
func (n *Namespace) Charged() int64 { return n.memory.Load() }

// Limit returns the namespace's memory quota, -1 if unlimited
// (sandbox.Meter).
func (n *Namespace) Limit() int64 { return n.quota.Load().Memory }

// LimitError is the error of a growth of more bytes past the memory quota
// (sandbox.Meter).
func (n *Namespace) LimitError(more int64) error { return n.memoryError(more) }
