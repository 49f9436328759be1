package scheduler

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Idle is what a Sweeper knows of a live item (an actor holding a
// sandbox). Its methods are called with the Sweeper's locks held: they
// must be fast and take no lock ordered before Sweeper.mu.
type Idle interface {
	comparable
	// LastActive is when the item last started work, in Unix nanoseconds.
	LastActive() int64
	// Memory is the memory it holds now, in bytes.
	Memory() uint64
	// Busy reports whether it is working or has work queued.
	Busy() bool
}

// SweeperConfig configures a Sweeper.
type SweeperConfig[T Idle] struct {
	// After, if set, passivates items idle that long.
	After time.Duration
	// Budget, if set, bounds the memory of live items: past it the least
	// recently used idle items are passivated, down to three quarters of
	// it, so that the next additions do not each start a sweep.
	Budget int64
	// Passivate frees an idle item (it leaves the live set through
	// SetLive). It may refuse (the item turned busy); its error only
	// keeps the item's memory counted.
	Passivate func(ctx context.Context, item T) error
	// Timeout bounds one Passivate (default 10s).
	Timeout time.Duration
}

// Sweeper is the passivation policy of a host: it tracks the live items
// and frees the idle ones, those idle for After, and, while live items
// hold more than Budget, the least recently used first. Run is its
// goroutine; Pressure lets additions ask for an early sweep. Safe for
// concurrent use.
//
// Lock order: sweepMu (held across Passivate, which waits for other
// goroutines) before mu, under which only the items' Idle methods run.
type Sweeper[T Idle] struct {
	cfg       SweeperConfig[T]
	sweepMu   sync.Mutex
	mu        sync.Mutex
	live      map[T]struct{}
	liveBytes atomic.Uint64 // as of the last sweep, plus what Pressure added since
	wake      chan struct{}
}

// NewSweeper makes a Sweeper.
func NewSweeper[T Idle](cfg SweeperConfig[T]) *Sweeper[T] {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Sweeper[T]{cfg: cfg, live: map[T]struct{}{}, wake: make(chan struct{}, 1)}
}

// Active reports whether the Sweeper has anything to do (After or Budget
// set): without it Run need not run.
func (s *Sweeper[T]) Active() bool { return s.cfg.After > 0 || s.cfg.Budget > 0 }

// SetLive adds item to the live set, or removes it.
func (s *Sweeper[T]) SetLive(item T, live bool) {
	s.mu.Lock()
	if live {
		s.live[item] = struct{}{}
	} else {
		delete(s.live, item)
	}
	s.mu.Unlock()
}

// Live reports how many items are live and the memory they hold now.
func (s *Sweeper[T]) Live() (n int, memory uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for it := range s.live {
		memory += it.Memory()
	}
	return len(s.live), memory
}

// Run sweeps every quarter of After (at most every second, at least every
// 5ms) and when Pressure asks, until stop is closed.
func (s *Sweeper[T]) Run(stop <-chan struct{}) {
	every := time.Second
	if p := s.cfg.After; p > 0 && p/4 < every {
		every = max(p/4, 5*time.Millisecond)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		case <-s.wake:
		}
		s.Sweep(stop)
	}
}

// Sweep passivates what the policy says, least recently used first.
func (s *Sweeper[T]) Sweep(stop <-chan struct{}) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	s.sweepLocked(stop)
}

func (s *Sweeper[T]) sweepLocked(stop <-chan struct{}) {
	type candidate struct {
		item T
		last int64
		mem  uint64
	}
	now := time.Now().UnixNano()
	var live uint64
	var idle []candidate
	s.mu.Lock()
	for it := range s.live {
		mem := it.Memory()
		live += mem
		if !it.Busy() {
			idle = append(idle, candidate{it, it.LastActive(), mem})
		}
	}
	s.mu.Unlock()
	s.liveBytes.Store(live)
	slices.SortFunc(idle, func(x, y candidate) int { return cmp.Compare(x.last, y.last) })
	budget := uint64(max(s.cfg.Budget, 0))
	target := budget / 4 * 3
	pressed := budget > 0 && live > budget
	for _, c := range idle {
		overBudget := pressed && live > target
		tooIdle := s.cfg.After > 0 && now-c.last >= int64(s.cfg.After)
		if !overBudget && !tooIdle {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
		if err := s.cfg.Passivate(ctx, c.item); err == nil {
			live -= c.mem
		}
		cancel()
		select {
		case <-stop:
			return
		default:
		}
	}
	s.liveBytes.Store(live)
}

// Pressure counts memory just added to the live items (a spawn, a
// reactivation) and, past Budget, wakes Run. Far past it (a quarter more)
// it sweeps itself, so that adding faster than Run passivates cannot run
// the process out of memory. It may wait for Passivate: on a worker of a
// Pool, call it inside Pool.Blocking.
func (s *Sweeper[T]) Pressure(added uint64, stop <-chan struct{}) {
	if s.cfg.Budget <= 0 {
		return
	}
	budget := uint64(s.cfg.Budget)
	if s.liveBytes.Add(added) <= budget {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if s.liveBytes.Load() > budget+budget/4 {
		s.sweepMu.Lock()
		if s.liveBytes.Load() > budget+budget/4 {
			s.sweepLocked(stop)
		}
		s.sweepMu.Unlock()
	}
}
