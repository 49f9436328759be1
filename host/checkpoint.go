package host

import (
	"context"
	"fmt"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/snapshots"
)

// keepCheckpoints is how many checkpoints an actor keeps (newest first).
const keepCheckpoints = 3

// CheckpointInfo describes one checkpoint of an actor.
type CheckpointInfo struct {
	ID    string    `json:"id"`
	Taken time.Time `json:"taken"`
	// Size is the checkpoint's size in bytes (linear memory plus globals).
	Size int `json:"size"`
	// Calls is how many calls the actor had served when it was taken.
	Calls uint64 `json:"calls"`
}

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

func (a *actor) checkpoint(id string) (*snapshots.State, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.checkpoints) - 1; i >= 0; i-- {
		if id == "" || a.checkpoints[i].ID == id {
			return a.checkpoints[i], nil
		}
	}
	return nil, fmt.Errorf("%w: actor %s has no checkpoint %q", ErrCheckpointNotFound, a.id, id)
}

// control runs fn on the actor's worker between two calls, in order with the
// calls of this handle, and waits for its result.
func (h *Actor) control(ctx context.Context, fn func(sb *sandbox) (abi.Value, error)) (abi.Value, error) {
	if err := h.a.deathError(); err != nil {
		return nil, err
	}
	c := &call{control: fn, ctx: ctx, method: "(control)", futs: []*Future{newFuture(h.a.id, h.a.seq.Add(1), 0)}}
	if err := h.enqueue(c); err != nil {
		return nil, err
	}
	return c.futs[0].Get(ctx)
}

// Checkpoint captures the actor's whole state (linear memory and globals)
// between two calls and keeps it (the newest 3 per actor). After a trap, the
// actor restarts from its latest checkpoint instead of re-running its
// constructor. Calls made after the checkpoint are not replayed yet: a
// restart loses them (docs/SNAPSHOTS.md).
func (h *Actor) Checkpoint(ctx context.Context) (CheckpointInfo, error) {
	a := h.a
	var info CheckpointInfo
	_, err := h.control(ctx, func(sb *sandbox) (abi.Value, error) {
		st := sb.capture(a.id, a.served.Load())
		a.keepCheckpoint(st)
		info = checkpointInfo(st)
		return abi.Null(), nil
	})
	return info, err
}

// keepCheckpoint adds a checkpoint (dropping the oldest past the limit) and
// empties the journal, which it makes unnecessary. Worker only.
func (a *actor) keepCheckpoint(st *snapshots.State) {
	a.mu.Lock()
	a.checkpoints = append(a.checkpoints, st)
	if len(a.checkpoints) > keepCheckpoints {
		a.checkpoints = append(a.checkpoints[:0], a.checkpoints[len(a.checkpoints)-keepCheckpoints:]...)
	}
	a.mu.Unlock()
	a.resetJournal()
}

// Checkpoints lists the actor's kept checkpoints, newest first.
func (h *Actor) Checkpoints(ctx context.Context) []CheckpointInfo {
	a := h.a
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]CheckpointInfo, 0, len(a.checkpoints))
	for i := len(a.checkpoints) - 1; i >= 0; i-- {
		out = append(out, checkpointInfo(a.checkpoints[i]))
	}
	return out
}

// Restore puts the actor back to one of its checkpoints, between two calls:
// its sandbox is replaced by a fresh one holding the checkpoint's state.
func (h *Actor) Restore(ctx context.Context, checkpointID string) error {
	a := h.a
	st, err := a.checkpoint(checkpointID)
	if err != nil {
		return err
	}
	_, err = h.control(ctx, func(old *sandbox) (abi.Value, error) {
		sb, err := a.start(ctx, st, nil, recOff)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		if a.state == StateDead {
			a.mu.Unlock()
			sb.close()
			return nil, a.died
		}
		a.sb = sb
		a.mu.Unlock()
		a.resetJournal()
		old.close()
		a.memBytes.Store(sb.memoryBytes())
		return abi.Null(), nil
	})
	return err
}

// Fork creates a new actor holding a copy of src's state: of the checkpoint
// checkpointID, or, if it is empty, of a checkpoint taken now. The new actor
// has its own ID and options (opts, like Spawn's); it restarts from that
// state after a trap. Randomness is not reseeded yet: a fork's guest
// runtime continues the same random sequence as its source.
func (h *Host) Fork(ctx context.Context, src *Actor, checkpointID string, opts Options) (*Actor, error) {
	if checkpointID == "" {
		info, err := src.Checkpoint(ctx)
		if err != nil {
			return nil, err
		}
		checkpointID = info.ID
	}
	st, err := src.a.checkpoint(checkpointID)
	if err != nil {
		return nil, err
	}
	return h.spawn(ctx, nil, src.a.class, opts, src.a.initArgs, 0, st)
}
