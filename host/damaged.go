package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/host/tenancy"
	"github.com/wactor/wactor/snapshots"
)

// Recovery brings back the durable actors of DataDir from the files package
// journal judges (Store.Load); a damaged one is listed as StateDamaged until
// an operator repairs or discards it (docs/SNAPSHOTS.md, "Damaged actors").

// recover brings back the classes and durable actors of DataDir.
func (h *Host) recover(ctx context.Context) error {
	if err := h.classes.Recover(ctx); err != nil {
		return err
	}
	found, err := h.persist.Actors()
	if err != nil {
		return fmt.Errorf("host: reading saved actors: %w", err)
	}
	for _, f := range found {
		h.recoverActor(ctx, f)
	}
	return nil
}

// recoverActor brings back one actor, or lists it as damaged, or removes
// the files of a spawn that never finished (never acknowledged).
func (h *Host) recoverActor(ctx context.Context, f journal.Found) {
	p, log := h.persist, h.cfg.Logger
	if f.Err != nil {
		if f.Unfinished() {
			h.removeUnfinished(ctx, f.ID)
			return
		}
		h.addDamaged(f, nil, "its metadata is unreadable")
		return
	}
	m := f.Meta
	c, err := h.classes.Get(m.Class)
	if err != nil {
		h.addDamaged(f, nil, fmt.Sprintf("its class %s is not available (its saved file is missing or does not load)", m.Class))
		return
	}
	rec, err := p.Load(ctx, m.ID, f.Spawning)
	if errors.Is(err, journal.ErrUnfinished) {
		h.removeUnfinished(ctx, m.ID)
		return
	}
	if err != nil {
		h.addDamaged(f, c, err.Error())
		return
	}
	a := &actor{
		inc: newIncarnation(),
		h:   h, id: m.ID, class: c, opts: resolveOptions(m.Options), initArgs: m.InitArgs,
		created: m.Created, logs: h.newLog(), state: StatePending,
		ready: make(chan struct{}), durable: true,
	}
	a.children.Limit = a.opts.MaxChildren
	if _, err := h.dir.Register(context.Background(), a, nil, false); err != nil {
		log.Error("durable actor not recovered", slog.String("actor", m.ID), slog.Any("err", err))
		return
	}
	a.checkpoints = []*snapshots.State{rec.Latest}
	a.journal = rec.Calls
	a.served.Store(rec.Served)
	sb, err := a.rebuild()
	if err != nil {
		close(a.ready)
		h.damage(a, "its state could not be rebuilt from its snapshot and journal: "+err.Error())
		return
	}
	if a.jf, err = p.OpenJournal(m.ID, rec.Valid); err != nil {
		sb.Close()
		close(a.ready)
		h.damage(a, "its journal cannot be opened: "+diskError{Err: err}.Error())
		return
	}
	if f.Spawning {
		_ = p.Spawned(m.ID) // its snapshot is there: the spawn finished
	}
	a.logs.Add(0, fmt.Sprintf("wactor: recovered after a host restart (snapshot %s, calls replayed: %d)", rec.Latest.ID, len(rec.Calls)))
	a.lastActive.Store(time.Now().UnixNano())
	a.mb = newMailbox(h, a)
	a.mu.Lock()
	a.sb, a.state = sb, StateAlive
	h.setLive(a, true)
	a.mu.Unlock()
	close(a.ready)
	h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: c.Info.ID, State: StateAlive})
}

// removeUnfinished removes the files of an actor whose spawn never became
// durable (it has the spawning marker and no snapshot, or an empty
// directory): the spawn was not acknowledged. Logged, not silent.
func (h *Host) removeUnfinished(ctx context.Context, id string) {
	h.cfg.Logger.Warn("removing the files of a spawn that did not finish before the host stopped (never acknowledged)", slog.String("actor", id))
	if err := h.persist.RemoveActor(ctx, id); err != nil {
		h.cfg.Logger.Error("removing an unfinished spawn's files", slog.String("actor", id), slog.Any("err", err))
	}
}

// addDamaged lists a durable actor found damaged at recovery (c nil: its
// class is not loaded, or unknown when its metadata is unreadable).
func (h *Host) addDamaged(f journal.Found, c *tenancy.Class, reason string) {
	m := f.Meta
	if f.Err != nil {
		m = journal.ActorMeta{ID: f.ID, Options: Options{Namespace: DefaultNamespace}}
	}
	if c == nil {
		c = tenancy.StandIn(m.Class) // the actor does not run
	}
	a := &actor{
		inc: newIncarnation(),
		h:   h, id: f.ID, class: c, opts: resolveOptions(m.Options), initArgs: m.InitArgs,
		created: m.Created, logs: h.newLog(), state: StatePending,
		ready: make(chan struct{}), durable: true,
	}
	if _, err := h.dir.Register(context.Background(), a, nil, false); err != nil {
		h.cfg.Logger.Error("damaged actor cannot be listed", slog.String("actor", f.ID), slog.String("reason", reason), slog.Any("err", err))
		return
	}
	close(a.ready)
	h.damage(a, reason)
}

// damage marks an actor damaged: it is not served (its queued and future
// calls fail with a *DamagedError) until an operator repairs or discards
// it. Its files stay where they are.
func (h *Host) damage(a *actor, reason string) {
	d := &Damage{Reason: reason}
	if h.persist != nil {
		d.Checkpoints = h.persist.GoodCheckpoints(context.Background(), a.id)
	}
	a.damage.Store(d)
	a.mu.Lock()
	a.state = StateDamaged
	sb := a.sb
	a.sb = nil
	a.mu.Unlock()
	if sb != nil {
		sb.Close()
	}
	h.setLive(a, false)
	if a.jf != nil {
		a.jf.Close()
		a.jf = nil
	}
	h.cfg.Logger.Error("actor damaged: not served until an operator repairs it from a checkpoint or discards it; its files are left in place",
		slog.String("actor", a.id), slog.String("reason", reason), slog.Int("checkpoints", len(d.Checkpoints)))
	a.logs.Add(abi.LogError, "wactor: actor damaged: "+reason)
	h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: a.class.Info.ID, State: StateDamaged})
}

// damagedActor returns the damaged actor id.
func (h *Host) damagedActor(id string) (*actor, error) {
	a, err := h.dir.Find(id)
	if err != nil {
		return nil, err
	}
	if a.damage.Load() == nil || h.persist == nil {
		return nil, fmt.Errorf("%w: actor %s is not damaged", ErrInvalidArgument, id)
	}
	return a, nil
}

// RepairActor brings a damaged actor (StateDamaged) back from one of its
// checkpoints on disk (checkpointID; "" for the newest that decodes), plus
// the journal records that follow that checkpoint without a gap. The
// journal and the snapshots newer than the checkpoint are moved under
// DATA/damaged, not deleted; the calls they held are lost. The repaired
// state is checkpointed, and the actor serves again. An actor whose class
// is not loaded needs the class loaded again first; one whose metadata is
// unreadable can only be discarded.
func (h *Host) RepairActor(ctx context.Context, id, checkpointID string) (ActorInfo, error) {
	a, err := h.damagedActor(id)
	if err != nil {
		return ActorInfo{}, err
	}
	p := h.persist
	p.RepairMu.Lock()
	defer p.RepairMu.Unlock()
	if a.damage.Load() == nil {
		return ActorInfo{}, fmt.Errorf("%w: actor %s is not damaged", ErrInvalidArgument, id)
	}
	me, err := p.ReadMeta(id)
	if err != nil {
		return ActorInfo{}, fmt.Errorf("%w: actor %s cannot be repaired: its metadata is unreadable; discard it", ErrInvalidArgument, id)
	}
	c, err := h.classes.Get(me.Class)
	if err != nil {
		return ActorInfo{}, fmt.Errorf("%w: class %s of actor %s is not loaded: load it again, then repair", ErrClassNotFound, me.Class, id)
	}
	rec, newer, err := p.RepairPoint(ctx, id, checkpointID)
	if err != nil {
		return ActorInfo{}, err
	}
	st, calls := rec.Latest, rec.Calls
	a.mu.Lock() // then Host.mu: actor.mu -> Host.mu in the lock order
	h.mu.Lock()
	a.class = c
	h.mu.Unlock()
	a.opts, a.initArgs, a.created = resolveOptions(me.Options), me.InitArgs, me.Created
	a.checkpoints = []*snapshots.State{st}
	a.mu.Unlock()
	a.journal, a.journalBytes = calls, 0
	for _, e := range calls {
		a.journalBytes += e.Size()
	}
	a.served.Store(rec.Served)
	sb, err := a.rebuild()
	if err != nil {
		return ActorInfo{}, fmt.Errorf("%w: actor %s: rebuilding from checkpoint %s: %w", ErrDamaged, id, st.ID, err)
	}
	dst, err := p.Aside(id)
	if err != nil {
		sb.Close()
		return ActorInfo{}, err
	}
	// The newer snapshots go aside before the checkpoint (whose retention
	// could delete them), the journal after it: until the repaired state
	// is stored, a failed repair leaves the journal in place for the next
	// try, and once it is, the journal's records are older than it.
	if len(newer) > 0 {
		if err := p.SnapshotsAside(ctx, id, newer, dst); err != nil {
			sb.Close()
			return ActorInfo{}, err
		}
	}
	if _, err := a.takeCheckpoint(sb); err != nil {
		sb.Close()
		return ActorInfo{}, err
	}
	if err := p.JournalAside(id, dst); err != nil {
		sb.Close()
		return ActorInfo{}, err
	}
	if a.jf, err = p.OpenJournal(id, 0); err != nil {
		sb.Close()
		return ActorInfo{}, fmt.Errorf("%w: %w", ErrPersist, diskError{Err: err})
	}
	_ = p.Spawned(id)
	if a.mb == nil {
		a.mb = newMailbox(h, a)
	}
	a.lastActive.Store(time.Now().UnixNano())
	a.mu.Lock()
	a.sb, a.state = sb, StateAlive
	a.mu.Unlock()
	a.damage.Store(nil)
	h.setLive(a, true)
	h.cfg.Logger.Warn("damaged actor repaired by an operator; the damaged files are kept aside",
		slog.String("actor", id), slog.String("checkpoint", st.ID), slog.Int("calls_replayed", len(calls)), slog.String("kept", dst))
	a.logs.Add(abi.LogWarn, fmt.Sprintf("wactor: repaired from checkpoint %s (calls replayed: %d)", st.ID, len(calls)))
	h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: c.Info.ID, State: StateAlive})
	return a.info(), nil
}

// DiscardActor gives up a damaged actor (StateDamaged): its files are
// moved under DATA/damaged (not deleted; removing them is the operator's
// call) and it dies (reason DeathDiscarded), releasing its name.
func (h *Host) DiscardActor(ctx context.Context, id string) error {
	a, err := h.damagedActor(id)
	if err != nil {
		return err
	}
	p := h.persist
	p.RepairMu.Lock()
	defer p.RepairMu.Unlock()
	dst, err := p.Discard(ctx, id)
	if err != nil {
		return err
	}
	h.cfg.Logger.Warn("damaged actor discarded by an operator; its files are kept aside", slog.String("actor", id), slog.String("kept", dst))
	a.damage.Store(nil)
	a.die(DeathDiscarded, nil)
	return nil
}
