package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/host/sandbox"
	"github.com/wactor/wactor/snapshots"
)

func checkpointInfo(st *snapshots.State) CheckpointInfo {
	return CheckpointInfo{ID: st.ID, Taken: st.Taken, Size: st.Size(), Calls: st.Calls}
}

func (a *actor) latestCheckpoint() *snapshots.State {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.checkpoints); n > 0 {
		return a.checkpoints[n-1]
	}
	return nil
}

// checkpoint finds a checkpoint by ID (the latest for ""): in memory, or in
// the store for a durable actor.
func (a *actor) checkpoint(ctx context.Context, id string) (*snapshots.State, error) {
	a.mu.Lock()
	for i := len(a.checkpoints) - 1; i >= 0; i-- {
		if id == "" || a.checkpoints[i].ID == id {
			st := a.checkpoints[i]
			a.mu.Unlock()
			return st, nil
		}
	}
	a.mu.Unlock()
	if a.durable && id != "" {
		if st, err := a.h.persist.Snapshots().Get(ctx, a.id, id); err == nil {
			return st, nil
		}
	}
	return nil, fmt.Errorf("%w: actor %s has no checkpoint %q", ErrCheckpointNotFound, a.id, id)
}

// control runs fn on the actor's worker between two calls, in order with the
// calls of this handle, and waits for its result.
func (h *Actor) control(ctx context.Context, fn func(sb *box) (abi.Value, error)) (abi.Value, error) {
	if err := h.a.deathError(); err != nil {
		return nil, err
	}
	c := &call{control: fn, ctx: ctx, method: "(control)", futs: []*Future{newFuture(h.a, h.a.seq.Add(1), 0)}}
	if err := h.enqueue(c); err != nil {
		return nil, err
	}
	return c.futs[0].Get(ctx)
}

// Checkpoint captures the actor's whole state (linear memory and globals)
// between two calls and keeps it (Config.KeepCheckpoints per actor, newest
// first; on disk too for a durable actor). After a trap, the actor restarts
// from its latest checkpoint and replays the calls made since. Only the
// pages written since the previous checkpoint are copied.
func (h *Actor) Checkpoint(ctx context.Context) (CheckpointInfo, error) {
	a := h.a
	var info CheckpointInfo
	_, err := h.control(ctx, func(sb *box) (abi.Value, error) {
		st, err := a.takeCheckpoint(sb)
		if err != nil {
			return nil, err
		}
		info = checkpointInfo(st)
		return abi.Null(), nil
	})
	return info, err
}

// takeCheckpoint captures and keeps a checkpoint, and stores it for a
// durable actor, after which the journal on disk starts again. Worker only.
func (a *actor) takeCheckpoint(sb *box) (*snapshots.State, error) {
	st, err := sb.Capture(a.id, a.served.Load())
	if err != nil {
		return nil, err
	}
	if a.durable {
		if err := a.h.persist.PutCheckpoint(context.Background(), st, a.jf); err != nil {
			return nil, err
		}
	}
	dropped := a.keepCheckpoint(st)
	if sb.HasCheckpointExpired() {
		for _, d := range dropped {
			if err := a.callExport(sb, abi.ExportCheckpointExpired, abi.ExportCheckpointExpired, d.ID); err != nil {
				a.logs.Add(abi.LogError, "wactor: checkpoint_expired failed: "+err.Error())
				if errors.Is(err, ErrPersist) {
					// Not journaled: undone like a call that could not be.
					a.rollback(sb, err)
				} else {
					a.onTrap(sb, err)
				}
				break
			}
		}
	}
	return st, nil
}

// callExport calls a reserved, method-shaped export between calls, with
// args, recording it in the journal like a call. Worker only.
func (a *actor) callExport(sb *box, fn, name string, args ...any) error {
	enc, err := codec.EncodeArgs(args)
	if err != nil {
		return err
	}
	rec := &entry{Method: name, Index: journal.IndexExport, Args: enc}
	if a.journaling() {
		sb.Record(rec, sandbox.Record)
	}
	env, err := sb.Invoke(context.Background(), name, fn, enc, a.opts.CallTimeout, a.h.cfg.MaxResultBytes)
	sb.StopRecord()
	if err != nil {
		return err
	}
	if env.Kind == abi.KindError {
		a.logs.Add(abi.LogWarn, fmt.Sprintf("wactor: %s returned an error: %s: %s", name, env.Code, env.Message))
	}
	if a.journaling() {
		if err := a.record(sb, rec, a.served.Load()); err != nil {
			return fmt.Errorf("%w: %w", ErrPersist, err)
		}
	}
	return nil
}

// askLoadCheckpoint lets a guest that exports wactor_load_checkpoint
// choose which checkpoint to restore (newest is the default): it asks a
// fresh sandbox, which it then discards. Without the export, or with
// nothing to choose from, it returns newest.
func (a *actor) askLoadCheckpoint(ctx context.Context, newest *snapshots.State) (*snapshots.State, error) {
	if newest == nil || !a.class.HasLoadCheckpoint() {
		return newest, nil
	}
	var states []*snapshots.State
	a.mu.Lock()
	for i := len(a.checkpoints) - 1; i >= 0; i-- {
		states = append(states, a.checkpoints[i])
	}
	a.mu.Unlock()
	if len(states) == 0 {
		states = []*snapshots.State{newest}
	}
	sb, err := a.newBox(ctx, nil, nil, sandbox.Live)
	if err != nil {
		return nil, err
	}
	defer sb.Close()
	id, err := sb.ChooseCheckpoint(ctx, states, a.opts.CallTimeout, a.h.cfg.MaxResultBytes)
	if err != nil {
		// A hook that fails chooses nothing: the newest and a full replay.
		a.logs.Add(abi.LogWarn, fmt.Sprintf("wactor: %s failed (%v); restoring the newest checkpoint", abi.ExportLoadCheckpoint, err))
		return newest, nil
	}
	for _, st := range states {
		if st.ID == id {
			return st, nil
		}
	}
	if id != "" {
		a.logs.Add(abi.LogWarn, fmt.Sprintf("wactor: %s chose %q, which is not available; restoring the newest", abi.ExportLoadCheckpoint, id))
	}
	return newest, nil
}

// keepCheckpoint adds a checkpoint (dropping the oldest past the limit,
// which it returns) and empties the journal, which it makes unnecessary.
// Worker only.
func (a *actor) keepCheckpoint(st *snapshots.State) (dropped []*snapshots.State) {
	a.mu.Lock()
	a.checkpoints, dropped = snapshots.Retain(append(a.checkpoints, st), a.h.cfg.KeepCheckpoints)
	a.mu.Unlock()
	a.resetJournal()
	a.lastCheckpoint, a.sinceCheckpoint = time.Now(), 0
	return dropped
}

// checkpointDue applies the actor's checkpoint policy after a completed
// call: every CheckpointEvery calls, after CheckpointInterval, or when the
// guest's should_checkpoint export says so. Worker only.
// A guest that fails in should_checkpoint is rebuilt (rebuildAfterHook).
func (a *actor) checkpointDue(sb *box) (bool, error) {
	o := a.opts
	switch {
	case o.CheckpointEvery > 0 && a.sinceCheckpoint >= o.CheckpointEvery:
		return true, nil
	case o.CheckpointInterval > 0 && time.Since(a.lastCheckpoint) >= o.CheckpointInterval:
		return true, nil
	case sb.CanAskCheckpoint():
		return sb.AskCheckpoint(uint64(a.sinceCheckpoint), time.Since(a.lastCheckpoint), a.opts.CallTimeout)
	}
	return false, nil
}

// Checkpoints lists the actor's kept checkpoints, newest first: for a
// durable actor those in its store (which outlive the host; reading it can
// fail with ErrPersist), else those in memory.
func (h *Actor) Checkpoints(ctx context.Context) ([]CheckpointInfo, error) {
	a := h.a
	if a.durable {
		return a.h.persist.Checkpoints(ctx, a.id, a.h.cfg.KeepCheckpoints)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]CheckpointInfo, 0, len(a.checkpoints))
	for i := len(a.checkpoints) - 1; i >= 0; i-- {
		out = append(out, checkpointInfo(a.checkpoints[i]))
	}
	return out, nil
}

// Restore puts the actor back to one of its checkpoints, between two calls:
// its sandbox is replaced by a fresh one holding the checkpoint's state.
// The restored checkpoint becomes the latest, so a later restart or host
// recovery starts from it.
func (h *Actor) Restore(ctx context.Context, checkpointID string) error {
	a := h.a
	st, err := a.checkpoint(ctx, checkpointID)
	if err != nil {
		return err
	}
	_, err = h.control(ctx, func(old *box) (abi.Value, error) {
		sb, err := a.start(ctx, st, nil, sandbox.Live)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		if a.state == StateDead {
			a.mu.Unlock()
			sb.Close()
			return nil, a.died
		}
		a.sb = sb
		a.mu.Unlock()
		old.Close()
		a.memBytes.Store(sb.MemoryBytes())
		// A new checkpoint of the restored state, so that the journal (now
		// empty) starts from it, in memory and on disk.
		if _, err := a.takeCheckpoint(sb); err != nil {
			return nil, err
		}
		return abi.Null(), nil
	})
	return err
}

// Fork creates a new actor holding a copy of src's state: of the checkpoint
// checkpointID, or, if it is empty, of a checkpoint taken now. The new actor
// has its own ID and options (opts, like Spawn's); it restarts from that
// state after a trap. A guest that exports wactor_reseed gets fresh random
// bytes before its first call (ABI.md); other guests continue the source's
// random sequence where they keep it in memory.
func (h *Host) Fork(ctx context.Context, src *Actor, checkpointID string, opts Options) (*Actor, error) {
	if checkpointID == "" {
		info, err := src.Checkpoint(ctx)
		if err != nil {
			return nil, err
		}
		checkpointID = info.ID
	}
	st, err := src.a.checkpoint(ctx, checkpointID)
	if err != nil {
		return nil, err
	}
	return h.spawn(ctx, nil, src.a.class, opts, src.a.initArgs, 0, st)
}

// persistStart writes a new durable actor's metadata and opens its journal,
// before its constructor runs.
func (a *actor) persistStart() error {
	p := a.h.persist
	if err := p.SaveActor(journal.ActorMeta{ID: a.id, Class: a.class.Info.ID, Options: a.opts.public(), InitArgs: a.initArgs, Created: a.created}); err != nil {
		return fmt.Errorf("%w: writing its metadata: %w", ErrPersist, diskError{Err: err})
	}
	jf, err := p.OpenJournal(a.id, 0) // none in DurabilityCheckpoint mode
	if err != nil {
		return fmt.Errorf("%w: opening its journal: %w", ErrPersist, diskError{Err: err})
	}
	a.jf = jf
	return nil
}

// persistStarted makes a new durable actor's start durable: its first state
// goes to the store. (Journaling the start-up instead would be cheaper, but
// a replay must start from the same class template, and a host started
// again makes a new one.)
func (a *actor) persistStarted(sb *box) error {
	if _, err := a.takeCheckpoint(sb); err != nil {
		return err
	}
	if err := a.h.persist.Spawned(a.id); err != nil {
		// Harmless: recovery ignores the marker of an actor with a snapshot.
		a.h.cfg.Logger.Warn("removing a spawn marker", slog.String("actor", a.id), slog.Any("err", err))
	}
	return nil
}
