package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/snapshots"
)

// Recovery brings back the durable actors a previous host left in DataDir,
// each from its latest snapshot plus the journal records that follow it.
// Nothing found damaged is deleted, truncated or skipped silently: an actor
// whose files are damaged (a journal record that fails its checksum, a gap
// in the journal's sequence, a snapshot that does not decode, all snapshots
// missing, unreadable metadata, a class that does not load) is logged at
// ERROR and listed as StateDamaged, with its files left in place, until an
// operator repairs it from a checkpoint (RepairActor) or discards it
// (DiscardActor); both keep the damaged files under DATA/damaged. The
// rest of the host serves. The only bytes recovery cuts are a journal's
// torn tail (a record cut short by a crash or a failed write, whose call
// was never acknowledged), after keeping a copy under DATA/damaged and
// logging a warning.

// recover brings back the classes and durable actors of DataDir.
func (h *Host) recover(ctx context.Context) error {
	files, err := h.persist.classFiles()
	if err != nil {
		return fmt.Errorf("host: reading saved classes: %w", err)
	}
	log := h.cfg.Logger
	for _, cf := range files {
		if ClassID(cf.wasm) != cf.id {
			log.Error("saved class is corrupt (its content does not match its ID); left in place, its actors are damaged",
				slog.String("class", cf.id))
			continue
		}
		if err := h.recoverClass(ctx, cf.wasm); err != nil {
			log.Error("saved class does not load; left in place, its actors are damaged", slog.String("class", cf.id), slog.Any("err", err))
		}
	}
	metas, err := h.persist.actorMetas(log)
	if err != nil {
		return fmt.Errorf("host: reading saved actors: %w", err)
	}
	for _, me := range metas {
		h.recoverActor(ctx, me)
	}
	return nil
}

// recoverActor brings back one actor, or lists it as damaged, or removes
// the files of a spawn that never finished (never acknowledged).
func (h *Host) recoverActor(ctx context.Context, me metaEntry) {
	p, log := h.persist, h.cfg.Logger
	if me.err != nil {
		if (me.spawning || me.empty) && errors.Is(me.err, fs.ErrNotExist) {
			h.removeUnfinished(ctx, me.id)
			return
		}
		h.addDamaged(me, nil, "its metadata is unreadable")
		return
	}
	m := me.meta
	c, err := h.class(m.Class)
	if err != nil {
		h.addDamaged(me, nil, fmt.Sprintf("its class %s is not available (its saved file is missing or does not load)", m.Class))
		return
	}
	latest, skipped, err := p.store.Latest(ctx, m.ID)
	switch {
	case len(skipped) > 0:
		reasons := make([]string, len(skipped))
		for i, e := range skipped {
			reasons[i] = e.Error()
		}
		h.addDamaged(me, c, "a snapshot does not decode: "+strings.Join(reasons, "; "))
		return
	case errors.Is(err, snapshots.ErrNotFound):
		if me.spawning {
			h.removeUnfinished(ctx, m.ID)
			return
		}
		h.addDamaged(me, c, "all of its snapshot files are missing")
		return
	case err != nil:
		h.addDamaged(me, c, "its snapshots cannot be read: "+diskError{err}.Error())
		return
	}
	jpath := filepath.Join(p.actorDir(m.ID), journalName)
	js, err := readJournal(p.fs, jpath)
	if err != nil {
		h.addDamaged(me, c, "its journal cannot be read: "+diskError{err}.Error())
		return
	}
	if js.bad != nil {
		h.addDamaged(me, c, "its journal is corrupt "+js.bad.Error())
		return
	}
	calls, served, err := followCheckpoint(latest.Calls, js)
	if err != nil {
		h.addDamaged(me, c, "its journal does not follow its latest snapshot: "+err.Error())
		return
	}
	if js.torn {
		if err := h.keepTornTail(m.ID, jpath, js); err != nil {
			h.addDamaged(me, c, "its journal ends with a torn record that could not be kept aside: "+diskError{err}.Error())
			return
		}
	}
	a := &actor{
		inc: newIncarnation(),
		h:   h, id: m.ID, class: c, opts: resolveOptions(m.Options), initArgs: m.InitArgs,
		created: m.Created, logs: h.newLog(), state: StatePending,
		ready: make(chan struct{}), durable: true,
	}
	a.children.limit = a.opts.MaxChildren
	if _, err := h.register(a, nil); err != nil {
		log.Error("durable actor not recovered", slog.String("actor", m.ID), slog.Any("err", err))
		return
	}
	a.checkpoints = []*snapshots.State{latest}
	a.journal = calls
	a.served.Store(served)
	sb, err := a.rebuild()
	if err != nil {
		close(a.ready)
		h.damage(a, "its state could not be rebuilt from its snapshot and journal: "+err.Error())
		return
	}
	if p.mode != DurabilityCheckpoint {
		if a.jf, err = openJournal(p.fs, jpath, p.mode == DurabilitySync, js.valid); err != nil {
			sb.Close()
			close(a.ready)
			h.damage(a, "its journal cannot be opened: "+diskError{err}.Error())
			return
		}
	}
	if me.spawning {
		_ = p.spawned(m.ID) // its snapshot is there: the spawn finished
	}
	a.logs.Add(0, fmt.Sprintf("wactor: recovered after a host restart (snapshot %s, calls replayed: %d)", latest.ID, len(calls)))
	a.lastActive.Store(time.Now().UnixNano())
	a.mb = newMailbox(h, a)
	a.mu.Lock()
	a.sb, a.state = sb, StateAlive
	h.setLive(a, true)
	a.mu.Unlock()
	close(a.ready)
	h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: c.Info.ID, State: StateAlive})
}

// followCheckpoint returns the journal records to replay after a snapshot
// taken after calls calls, and the number of calls served after them. Records up to the snapshot are
// skipped (a journal is emptied after each checkpoint, but emptying may
// have failed); the first call after it must be call calls+1 and each next
// one the one after (a reserved export's record repeats the number of the
// call before it). A record that does not follow is an error: records
// were lost; the records before it are returned with the error.
func followCheckpoint(calls uint64, js journalScan) (out []*entry, served uint64, err error) {
	served = calls
	started := false
	for i, e := range js.entries {
		seq := js.seqs[i]
		if !started && seq <= calls {
			continue
		}
		switch {
		case e.Index >= 0 && seq == served+1:
			served = seq
		case e.Index == midxExport && started && seq == served:
		default:
			what := "call"
			if e.Index < 0 {
				what = "start-up or export"
			}
			return out, served, fmt.Errorf("record %d (%s %d, %s) follows call %d", i+1, what, seq, e.Method, served)
		}
		started = true
		out = append(out, e)
	}
	return out, served, nil
}

// removeUnfinished removes the files of an actor whose spawn never became
// durable (it has the spawning marker and no snapshot, or an empty
// directory): the spawn was not acknowledged. Logged, not silent.
func (h *Host) removeUnfinished(ctx context.Context, id string) {
	h.cfg.Logger.Warn("removing the files of a spawn that did not finish before the host stopped (never acknowledged)", slog.String("actor", id))
	if err := h.persist.removeActor(ctx, id); err != nil {
		h.cfg.Logger.Error("removing an unfinished spawn's files", slog.String("actor", id), slog.Any("err", err))
	}
}

// keepTornTail copies a journal's torn tail under DATA/damaged before
// openJournal cuts it.
func (h *Host) keepTornTail(id, jpath string, js journalScan) error {
	p := h.persist
	data, err := p.fs.ReadFile(jpath)
	if err != nil {
		return err
	}
	dst := p.damagedDir(id)
	if err := p.fs.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	if err := p.writeAtomic(filepath.Join(dst, "journal-torn-tail"), data[min(js.valid, int64(len(data))):]); err != nil {
		return err
	}
	h.cfg.Logger.Warn("cutting a torn record (a call never acknowledged) off the end of a journal; its bytes are kept aside",
		slog.String("actor", id), slog.Int64("bytes", js.size-js.valid), slog.String("kept", dst))
	return nil
}

// damagedDir is a new directory under DATA/damaged for files of actor id
// set aside now.
func (p *persist) damagedDir(id string) string {
	return filepath.Join(p.dir, "damaged", id, time.Now().UTC().Format("20060102T150405.000000000Z"))
}

// goodCheckpoints lists an actor's stored snapshots that decode, newest
// first.
func (h *Host) goodCheckpoints(ctx context.Context, id string) []CheckpointInfo {
	metas, err := h.persist.store.List(ctx, id)
	if err != nil {
		return nil
	}
	var out []CheckpointInfo
	for _, m := range metas {
		if _, err := h.persist.store.Get(ctx, id, m.ID); err == nil {
			out = append(out, CheckpointInfo{ID: m.ID, Taken: m.Taken, Size: int(m.Size), Calls: m.Calls})
		}
	}
	return out
}

// addDamaged lists a durable actor found damaged at recovery (c nil: its
// class is not loaded, or unknown when its metadata is unreadable).
func (h *Host) addDamaged(me metaEntry, c *class, reason string) {
	m := me.meta
	if me.err != nil {
		m = actorMeta{ID: me.id, Options: Options{Namespace: DefaultNamespace}}
	}
	if c == nil {
		c = standInClass(m.Class) // the actor does not run
	}
	a := &actor{
		inc: newIncarnation(),
		h:   h, id: me.id, class: c, opts: resolveOptions(m.Options), initArgs: m.InitArgs,
		created: m.Created, logs: h.newLog(), state: StatePending,
		ready: make(chan struct{}), durable: true,
	}
	if _, err := h.register(a, nil); err != nil {
		h.cfg.Logger.Error("damaged actor cannot be listed", slog.String("actor", me.id), slog.String("reason", reason), slog.Any("err", err))
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
		d.Checkpoints = h.goodCheckpoints(context.Background(), a.id)
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
		a.jf.close()
		a.jf = nil
	}
	h.cfg.Logger.Error("actor damaged: not served until an operator repairs it from a checkpoint or discards it; its files are left in place",
		slog.String("actor", a.id), slog.String("reason", reason), slog.Int("checkpoints", len(d.Checkpoints)))
	a.logs.Add(abi.LogError, "wactor: actor damaged: "+reason)
	h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: a.class.Info.ID, State: StateDamaged})
}

// damagedActor returns the damaged actor id.
func (h *Host) damagedActor(id string) (*actor, error) {
	a, err := h.actorByID(id)
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
	p.repairMu.Lock()
	defer p.repairMu.Unlock()
	if a.damage.Load() == nil {
		return ActorInfo{}, fmt.Errorf("%w: actor %s is not damaged", ErrInvalidArgument, id)
	}
	me, err := p.readMeta(id)
	if err != nil {
		return ActorInfo{}, fmt.Errorf("%w: actor %s cannot be repaired: its metadata is unreadable; discard it", ErrInvalidArgument, id)
	}
	c, err := h.class(me.Class)
	if err != nil {
		return ActorInfo{}, fmt.Errorf("%w: class %s of actor %s is not loaded: load it again, then repair", ErrClassNotFound, me.Class, id)
	}
	metas, err := p.store.List(ctx, id)
	if err != nil {
		return ActorInfo{}, err
	}
	var st *snapshots.State
	var newer []string
	for _, m := range metas {
		if checkpointID == "" || m.ID == checkpointID {
			if s, err := p.store.Get(ctx, id, m.ID); err == nil {
				st = s
				break
			} else if checkpointID != "" {
				return ActorInfo{}, fmt.Errorf("%w: checkpoint %s of actor %s does not decode", ErrCheckpointNotFound, checkpointID, id)
			}
		}
		newer = append(newer, m.ID)
	}
	if st == nil {
		return ActorInfo{}, fmt.Errorf("%w: actor %s has no checkpoint %q that decodes", ErrCheckpointNotFound, id, checkpointID)
	}
	jpath := filepath.Join(p.actorDir(id), journalName)
	var calls []*entry
	served := st.Calls
	if js, err := readJournal(p.fs, jpath); err == nil {
		calls, served, _ = followCheckpoint(st.Calls, js) // the records up to the first that does not follow
	}

	a.mu.Lock() // Host.mu is a leaf: taken inside actor.mu
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
	a.served.Store(served)
	sb, err := a.rebuild()
	if err != nil {
		return ActorInfo{}, fmt.Errorf("%w: actor %s: rebuilding from checkpoint %s: %w", ErrDamaged, id, st.ID, err)
	}
	dst := p.damagedDir(id)
	if err := p.fs.MkdirAll(dst, 0o700); err != nil {
		sb.Close()
		return ActorInfo{}, fmt.Errorf("%w: keeping damaged files aside: %w", ErrPersist, diskError{err})
	}
	// The newer snapshots go aside before the checkpoint (whose retention
	// could delete them), the journal after it: until the repaired state
	// is stored, a failed repair leaves the journal in place for the next
	// try, and once it is, the journal's records are older than it.
	if len(newer) > 0 {
		if err := p.store.MoveAside(ctx, id, newer, filepath.Join(dst, "snapshots")); err != nil {
			sb.Close()
			return ActorInfo{}, fmt.Errorf("%w: keeping snapshots aside: %w", ErrPersist, diskError{err})
		}
	}
	if _, err := a.takeCheckpoint(sb); err != nil {
		sb.Close()
		return ActorInfo{}, err
	}
	if err := p.fs.Rename(jpath, filepath.Join(dst, journalName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		sb.Close()
		return ActorInfo{}, fmt.Errorf("%w: keeping the journal aside: %w", ErrPersist, diskError{err})
	}
	if p.mode != DurabilityCheckpoint {
		if a.jf, err = openJournal(p.fs, jpath, p.mode == DurabilitySync, 0); err != nil {
			sb.Close()
			return ActorInfo{}, fmt.Errorf("%w: %w", ErrPersist, diskError{err})
		}
	}
	_ = p.spawned(id)
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
	p.repairMu.Lock()
	defer p.repairMu.Unlock()
	dst := p.damagedDir(id)
	if err := p.fs.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("%w: keeping damaged files aside: %w", ErrPersist, diskError{err})
	}
	if err := p.fs.Rename(p.actorDir(id), filepath.Join(dst, "actor")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: keeping damaged files aside: %w", ErrPersist, diskError{err})
	}
	if err := p.store.MoveAside(ctx, id, nil, filepath.Join(dst, "snapshots")); err != nil {
		return fmt.Errorf("%w: keeping damaged snapshots aside: %w", ErrPersist, diskError{err})
	}
	h.cfg.Logger.Warn("damaged actor discarded by an operator; its files are kept aside", slog.String("actor", id), slog.String("kept", dst))
	a.damage.Store(nil)
	a.die(DeathDiscarded, nil)
	return nil
}
