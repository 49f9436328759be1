package host

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// morgue keeps the most recently dead actors' final state and last log
// lines for a while (Config.KeepDead, Config.KeepDeadFor), so that a death
// reason and a guest's last words (an abort message, a panic) can be read
// after the actor is gone. Each kept log is shrunk to Config.DeadLogBytes,
// so the morgue holds at most KeepDead times that. When it is full, the
// oldest dead actor of the namespace with the most kept goes first: a
// tenant that kills many actors pushes out its own, not another's. Guarded
// by Host.mu; the logs it gives up are released by the caller after
// unlocking (Host.mu is a leaf lock).
type morgue struct {
	max  int // 0 or less: keep none
	ttl  time.Duration
	all  []*deadActor            // every kept actor, in order of death
	byNS map[string][]*deadActor // the same, per namespace
	byID map[string]*deadActor
}

// deadActor is a kept dead actor.
type deadActor struct {
	info ActorInfo
	logs *logRing
	at   time.Time // when it died
	gone bool      // no longer kept (still in all until it reaches its head)
}

// popFront removes q's first element. A plain slice is queue enough: append
// reallocates once the front is used up, so the backing array stays within
// a small multiple of what is kept.
func popFront(q []*deadActor) (*deadActor, []*deadActor) {
	d := q[0]
	q[0] = nil // the backing array must not keep it alive
	return d, q[1:]
}

func newMorgue(max int, ttl time.Duration) morgue {
	return morgue{max: max, ttl: ttl, byNS: map[string][]*deadActor{}, byID: map[string]*deadActor{}}
}

// add keeps a dead actor and returns the logs of those it no longer keeps
// (possibly this one's) for release.
func (m *morgue) add(info ActorInfo, logs *logRing, now time.Time) []*logRing {
	gone := m.prune(now)
	if m.max <= 0 || m.byID[info.ID] != nil { // IDs are unique: never twice
		return append(gone, logs)
	}
	d := &deadActor{info: info, logs: logs, at: now}
	m.all = append(m.all, d)
	m.byNS[info.Options.Namespace] = append(m.byNS[info.Options.Namespace], d)
	m.byID[info.ID] = d
	for len(m.byID) > m.max {
		gone = append(gone, m.evict(m.fullest()))
	}
	return gone
}

// fullest returns the namespace with the most kept dead actors (of two,
// the one whose oldest died first).
func (m *morgue) fullest() string {
	best, bestQ := "", []*deadActor(nil)
	for ns, q := range m.byNS {
		if bestQ == nil || len(q) > len(bestQ) || len(q) == len(bestQ) && q[0].at.Before(bestQ[0].at) {
			best, bestQ = ns, q
		}
	}
	return best
}

// evict drops the oldest kept dead actor of namespace ns.
func (m *morgue) evict(ns string) *logRing {
	d, q := popFront(m.byNS[ns])
	if len(q) == 0 {
		delete(m.byNS, ns)
	} else {
		m.byNS[ns] = q
	}
	delete(m.byID, d.info.ID)
	d.gone = true
	for len(m.all) > 0 && m.all[0].gone {
		_, m.all = popFront(m.all)
	}
	if len(m.all) > 2*len(m.byID)+64 { // evicted out of order: drop them
		m.all = slices.DeleteFunc(m.all, func(d *deadActor) bool { return d.gone })
	}
	logs := d.logs
	d.info, d.logs = ActorInfo{}, nil // a gone entry waiting in all holds nothing
	return logs
}

// prune drops the actors kept longer than the TTL and returns their logs.
func (m *morgue) prune(now time.Time) []*logRing {
	var gone []*logRing
	for len(m.all) > 0 && m.ttl > 0 && now.Sub(m.all[0].at) >= m.ttl {
		// The oldest of all is the oldest of its namespace.
		gone = append(gone, m.evict(m.all[0].info.Options.Namespace))
	}
	return gone
}

// get returns the kept dead actor with that ID, or nil.
func (m *morgue) get(id string) *deadActor { return m.byID[id] }

// infos returns the kept dead actors' final states, oldest death first.
func (m *morgue) infos() []ActorInfo {
	out := make([]ActorInfo, 0, len(m.byID))
	for _, d := range m.all {
		if !d.gone {
			out = append(out, d.info)
		}
	}
	return out
}

// count is how many dead actors are kept.
func (m *morgue) count() int { return len(m.byID) }

// releaseLogs releases logs a morgue gave up (Host.mu not held).
func releaseLogs(logs []*logRing) {
	for _, l := range logs {
		l.release()
	}
}

// pruneDead drops the dead actors kept past Config.KeepDeadFor.
func (h *Host) pruneDead() {
	h.mu.Lock()
	gone := h.dead.prune(time.Now())
	h.mu.Unlock()
	releaseLogs(gone)
}

// deadActor returns a kept dead actor (after pruning expired ones).
func (h *Host) deadActor(id string) (ActorInfo, *logRing, bool) {
	h.mu.Lock()
	gone := h.dead.prune(time.Now())
	d := h.dead.get(id)
	var info ActorInfo
	var logs *logRing
	if d != nil {
		info, logs = d.info, d.logs
	}
	h.mu.Unlock()
	releaseLogs(gone)
	return info, logs, d != nil
}

// Logs returns the kept log lines with Seq >= since of a live actor, or of
// a dead one the host still keeps (Config.KeepDead, Config.KeepDeadFor:
// its last Config.DeadLogBytes of log, with the line saying why it died),
// and the log's stats. It fails with ErrActorNotFound otherwise.
func (h *Host) Logs(ctx context.Context, id string, since uint64) (LogPage, error) {
	if err := ctx.Err(); err != nil {
		return LogPage{}, err
	}
	if err := ctx.Err(); err != nil {
		return LogPage{}, err
	}
	var logs *logRing
	if a, err := h.actorByID(id); err == nil {
		logs = a.logs
	} else if _, l, ok := h.deadActor(id); ok {
		logs = l
	} else {
		return LogPage{}, fmt.Errorf("%w: %s", ErrActorNotFound, id)
	}
	lines, st, _ := logs.page(since)
	return LogPage{Lines: lines, LogStats: st}, nil
}
