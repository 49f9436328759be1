package host

import (
	"context"
	"fmt"
	"time"
)

// morgue keeps the most recently dead actors' final state and last log
// lines for a while (Config.KeepDead, Config.KeepDeadFor), so that a death
// reason and a guest's last words (an abort message, a panic) can be read
// after the actor is gone. Each kept log is shrunk to Config.DeadLogBytes,
// so the morgue holds at most KeepDead times that. Guarded by Host.mu; the
// logs it gives up are released by the caller after unlocking (Host.mu is a
// leaf lock).
type morgue struct {
	max  int // 0: keep none
	ttl  time.Duration
	list []*deadActor // oldest first, from head
	head int
	byID map[string]*deadActor
}

// deadActor is a kept dead actor.
type deadActor struct {
	info ActorInfo
	logs *logRing
	at   time.Time // when it died
}

func newMorgue(max int, ttl time.Duration) morgue {
	return morgue{max: max, ttl: ttl, byID: map[string]*deadActor{}}
}

// add keeps a dead actor and returns the logs of those it no longer keeps
// (possibly this one's) for release.
func (m *morgue) add(info ActorInfo, logs *logRing, now time.Time) []*logRing {
	gone := m.prune(now)
	if m.max <= 0 {
		return append(gone, logs)
	}
	if old, ok := m.byID[info.ID]; ok { // cannot happen (IDs are unique); keep one
		old.info, old.at = info, now
		if old.logs != logs {
			gone = append(gone, old.logs)
			old.logs = logs
		}
		return gone
	}
	d := &deadActor{info: info, logs: logs, at: now}
	m.list = append(m.list, d)
	m.byID[info.ID] = d
	for len(m.list)-m.head > m.max {
		gone = append(gone, m.popOldest())
	}
	return gone
}

// prune drops the actors kept longer than the TTL and returns their logs.
func (m *morgue) prune(now time.Time) []*logRing {
	var gone []*logRing
	for m.head < len(m.list) && m.ttl > 0 && now.Sub(m.list[m.head].at) >= m.ttl {
		gone = append(gone, m.popOldest())
	}
	return gone
}

func (m *morgue) popOldest() *logRing {
	d := m.list[m.head]
	m.list[m.head] = nil
	m.head++
	if m.byID[d.info.ID] == d {
		delete(m.byID, d.info.ID)
	}
	if m.head == len(m.list) {
		m.list, m.head = m.list[:0], 0
	} else if m.head > 64 && m.head > len(m.list)/2 {
		n := copy(m.list, m.list[m.head:])
		clear(m.list[n:])
		m.list, m.head = m.list[:n], 0
	}
	return d.logs
}

// get returns the kept dead actor with that ID, or nil.
func (m *morgue) get(id string) *deadActor { return m.byID[id] }

// infos returns the kept dead actors' final states, oldest death first.
func (m *morgue) infos() []ActorInfo {
	out := make([]ActorInfo, 0, len(m.list)-m.head)
	for _, d := range m.list[m.head:] {
		out = append(out, d.info)
	}
	return out
}

// count is how many dead actors are kept.
func (m *morgue) count() int { return len(m.list) - m.head }

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

// LogPage is a read of an actor's log: the kept lines asked for and the
// log's stats.
type LogPage struct {
	Lines []LogLine `json:"lines"`
	LogStats
}

// Logs returns the kept log lines with Seq >= since of a live actor, or of
// a dead one the host still keeps (Config.KeepDead, Config.KeepDeadFor:
// its last Config.DeadLogBytes of log, with the line saying why it died),
// and the log's stats. It fails with ErrActorNotFound otherwise.
func (h *Host) Logs(ctx context.Context, id string, since uint64) (LogPage, error) {
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
