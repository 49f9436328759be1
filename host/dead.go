package host

import (
	"context"
	"fmt"
	"time"

	"github.com/wactor/wactor/internal/logring"
)

// The host keeps the most recently dead actors' final state and last log
// lines for a while (Config.KeepDead, Config.KeepDeadFor) in a
// logring.Morgue, grouped by namespace: a tenant that kills many actors
// pushes out its own dead, not another's. Each kept log is shrunk to
// Config.DeadLogBytes first. The morgue is guarded by Host.mu; the logs it
// gives up are released after unlocking.

// pruneDead drops the dead actors kept past Config.KeepDeadFor.
func (h *Host) pruneDead() {
	h.mu.Lock()
	gone := h.dead.Prune(time.Now())
	h.mu.Unlock()
	logring.Release(gone)
}

// deadActor returns a kept dead actor (after pruning expired ones).
func (h *Host) deadActor(id string) (ActorInfo, *logring.Ring, bool) {
	h.mu.Lock()
	gone := h.dead.Prune(time.Now())
	info, logs, ok := h.dead.Get(id)
	h.mu.Unlock()
	logring.Release(gone)
	return info, logs, ok
}

// Logs returns the kept log lines with Seq >= since of a live actor, or of
// a dead one the host still keeps (Config.KeepDead, Config.KeepDeadFor:
// its last Config.DeadLogBytes of log, with the line saying why it died),
// and the log's stats. It fails with ErrActorNotFound otherwise.
func (h *Host) Logs(ctx context.Context, id string, since uint64) (LogPage, error) {
	if err := ctx.Err(); err != nil {
		return LogPage{}, err
	}
	var logs *logring.Ring
	if a, err := h.dir.Find(id); err == nil {
		logs = a.logs
	} else if _, l, ok := h.deadActor(id); ok {
		logs = l
	} else {
		return LogPage{}, fmt.Errorf("%w: %s", ErrActorNotFound, id)
	}
	lines, st, _ := logs.Page(since)
	return LogPage{Lines: lines, LogStats: st}, nil
}
