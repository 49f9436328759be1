package host

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/snapshots"
)

// Passivation frees an idle actor's sandbox and keeps its state compressed
// against its class's template; the next call restores it (docs/SNAPSHOTS.md).

// passiveState is a passivated actor's state. Worker or janitor under the
// actor's mailbox order only.
type passiveState struct {
	enc []byte // snapshots.Encode, incremental against the class template when it has one
}

// templateBase returns the class template as a base snapshot of actor id,
// which Encode and Decode accept (a base must be of the same actor).
func (a *actor) templateBase() *snapshots.State {
	t := a.class.Template()
	if t == nil {
		return nil
	}
	b := *t
	b.ID, b.ActorID = "template", a.id
	return &b
}

// passivate checkpoints an idle actor into compressed form and frees its
// sandbox. It runs on the worker, between calls; it does nothing if calls
// are waiting (the actor is not idle after all).
func (a *actor) passivate(sb *box) error {
	if a.mb != nil && a.mb.Len() > 1 { // Len counts the control call running this
		return nil
	}
	st, err := sb.Capture(a.id, a.served.Load())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := snapshots.Encode(&buf, st, a.templateBase()); err != nil {
		return fmt.Errorf("passivating: %w", err)
	}
	if a.durable {
		// On disk too, so the journal can start again from here.
		if _, err := a.h.persist.Snapshots().Put(context.Background(), st); err != nil {
			return fmt.Errorf("%w: storing the passive state: %w", ErrPersist, diskError{Err: err})
		}
		if a.jf != nil {
			_ = a.jf.Reset()
		}
	}
	a.mu.Lock()
	if a.state != StateAlive || a.sb != sb {
		a.mu.Unlock()
		return nil
	}
	a.passive = &passiveState{enc: bytes.Clone(buf.Bytes())}
	a.h.passiveBytes.Add(int64(len(a.passive.enc)))
	a.checkpoints = nil // their memory is what passivation frees
	a.sb = nil
	a.state = StatePassive
	a.h.setLive(a, false)
	a.mu.Unlock()
	a.resetJournal()
	a.lastCheckpoint, a.sinceCheckpoint = time.Now(), 0
	sb.Close()
	a.memBytes.Store(0)
	a.h.passivations.Add(1)
	a.h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: a.class.Info.ID, State: StatePassive})
	return nil
}

// passiveSnapshot decodes a passivated actor's state (nil if it is not
// passivated), which rebuild restores.
func (a *actor) passiveSnapshot() (*snapshots.State, error) {
	a.mu.Lock()
	p := a.passive
	a.mu.Unlock()
	if p == nil {
		return nil, nil
	}
	return snapshots.Decode(bytes.NewReader(p.enc), func(id string) (*snapshots.State, error) {
		if b := a.templateBase(); b != nil && b.ID == id {
			return b, nil
		}
		return nil, fmt.Errorf("%w: base %s", snapshots.ErrNotFound, id)
	})
}

// Passivate passivates the actor now, between two calls, unless calls are
// queued. The next call restores it.
func (h *Actor) Passivate(ctx context.Context) error {
	_, err := h.control(ctx, func(sb *box) (abi.Value, error) {
		return abi.Null(), h.a.passivate(sb)
	})
	return err
}

// The janitor is a scheduler.Sweeper over the actors that hold a
// sandbox: it passivates those idle for Config.PassivateAfter and, past
// Config.MemoryBudget, the least recently used idle ones first.

func (h *Host) setLive(a *actor, live bool) { h.sweeper.SetLive(a, live) }

// notePressure counts memory a spawn or a reactivation added
// (scheduler.Sweeper.Pressure). On a pool worker, call it inside
// Pool.Blocking: it may sweep, which waits for other actors' workers.
func (h *Host) notePressure(added uint64) { h.sweeper.Pressure(added, h.stop) }

// LastActive, Memory and Busy make an actor a scheduler.Idle.
func (a *actor) LastActive() int64 { return a.lastActive.Load() }

// Memory is the linear memory of the actor's sandbox.
func (a *actor) Memory() uint64 { return a.memBytes.Load() }

// Busy reports a call running or queued.
func (a *actor) Busy() bool { return a.running.Load() != nil || (a.mb != nil && a.mb.Len() > 0) }
