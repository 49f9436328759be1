package host

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/snapshots"
)

// The journal makes restarts exact: every call an actor completes after its
// latest checkpoint is recorded with the results of the guest's
// nondeterministic imports (clock reads, random bytes, and the outcomes of
// its calls to other actors). After a trap the actor is restored from the
// checkpoint (or rebuilt from its recorded start-up) and the journal is
// replayed with those recorded results, which brings it back to the exact
// state it had before the failing call. The failing call itself is not
// replayed. Only actors that can restart (MaxRestarts != 0) keep a journal.

// maxJournal bounds a journal: past it the actor checkpoints automatically,
// which empties the journal.
const (
	maxJournalEntries = 10000
	maxJournalBytes   = 64 << 20
)

// entry is one recorded call (journal.Entry).
type entry = journal.Entry

// midxExport marks a journal entry of a call to a reserved, method-shaped
// export (journal.IndexExport).
const midxExport = journal.IndexExport

type recMode int

const (
	recOff recMode = iota
	recOn
	recReplay
)

// recorder sits between a sandbox and its nondeterministic imports. Only
// the sandbox's worker uses it.
type recorder struct {
	mode       recMode
	e          *entry
	ci, ri, ei int  // replay cursors
	diverged   bool // replay needed more than was recorded
}

func (r *recorder) start(e *entry, mode recMode) {
	*r = recorder{mode: mode, e: e}
}

func (r *recorder) stop() { r.mode, r.e = recOff, nil }

func (r *recorder) replaying() bool { return r.mode == recReplay }

// clock returns live, or records it, or replays a recorded value.
func (r *recorder) clock(live int64) int64 {
	switch r.mode {
	case recOn:
		r.e.Clocks = append(r.e.Clocks, live)
	case recReplay:
		if r.ci < len(r.e.Clocks) {
			v := r.e.Clocks[r.ci]
			r.ci++
			return v
		}
		r.diverged = true
	}
	return live
}

// Read implements io.Reader for the guest's random source.
func (r *recorder) Read(p []byte) (int, error) {
	if r.mode == recReplay {
		if r.ri+len(p) <= len(r.e.Rand) {
			r.ri += copy(p, r.e.Rand[r.ri:])
			return len(p), nil
		}
		r.diverged = true
	}
	n, err := rand.Read(p)
	if r.mode == recOn {
		r.e.Rand = append(r.e.Rand, p[:n]...)
	}
	return n, err
}

// external records the outcome of an actor-call import, or in replay
// returns the recorded one (ok) so the call is not made again.
func (r *recorder) external() ([]byte, bool) {
	if r.mode != recReplay {
		return nil, false
	}
	if r.ei < len(r.e.Ext) {
		v := r.e.Ext[r.ei]
		r.ei++
		return v, true
	}
	r.diverged = true
	return errorEnvelope(abi.CodeError, "replay diverged: no recorded result"), true
}

func (r *recorder) recordExternal(v []byte) {
	if r.mode == recOn {
		r.e.Ext = append(r.e.Ext, v)
	}
}

// monoEpoch anchors the guests' monotonic clock.
var monoEpoch = time.Now()

func (sb *sandbox) walltime() (int64, int32) {
	ns := sb.rec.clock(time.Now().UnixNano())
	return ns / 1e9, int32(ns % 1e9)
}

func (sb *sandbox) nanotime() int64 {
	v := sb.rec.clock(sb.liveNanotime())
	if v > sb.lastNano {
		sb.lastNano = v
	}
	return v
}

// liveNanotime is the guest's monotonic clock now: the host's, moved
// forward so that it never goes back from what the guest last read,
// including across a restore from a snapshot taken in another process.
func (sb *sandbox) liveNanotime() int64 {
	v := int64(time.Since(monoEpoch)) + sb.clockOffset
	if v < sb.lastNano {
		sb.clockOffset += sb.lastNano - v
		v = sb.lastNano
	}
	return v
}

// guestNanotime is the clock a snapshot taken now records.
func (sb *sandbox) guestNanotime() int64 { return sb.liveNanotime() }

func (a *actor) journaling() bool { return a.opts.MaxRestarts != 0 || a.durable }

// record appends a completed call to the journal (and, for a durable actor,
// to its journal on disk, as call seq), checkpointing when the journal
// grows past its bounds. It fails only when the disk journal does.
func (a *actor) record(sb *sandbox, e *entry, seq uint64) error {
	// On disk first: a call whose record is not written is not in the
	// journal a rollback rebuilds from.
	if a.jf != nil {
		if err := a.jf.Append(e, seq); err != nil {
			return err
		}
	}
	a.journal = append(a.journal, e)
	a.journalBytes += e.Size()
	if len(a.journal) > maxJournalEntries || a.journalBytes > maxJournalBytes {
		if _, err := a.takeCheckpoint(sb); err != nil {
			a.logs.Add(abi.LogError, "wactor: checkpoint of a full journal failed: "+err.Error())
		}
	}
	return nil
}

// resetJournal empties the journal: the actor's state is now a checkpoint.
func (a *actor) resetJournal() { a.journal, a.journalBytes = nil, 0 }

// rebuild makes a sandbox holding the state the actor had after its last
// completed call: the latest checkpoint (or a replayed start-up, or a fresh
// constructor run without a journal), then the journal replayed.
func (a *actor) rebuild() (*sandbox, error) {
	ctx := context.Background()
	from := a.latestCheckpoint()
	if st, err := a.passiveSnapshot(); err != nil {
		return nil, fmt.Errorf("reactivating: %w", err)
	} else if st != nil {
		from = st
		// While it lives again, it is the checkpoint a restart goes back to.
		a.mu.Lock()
		a.checkpoints = []*snapshots.State{st}
		a.mu.Unlock()
	}
	calls := a.journal
	if chosen, err := a.askLoadCheckpoint(ctx, from); err != nil {
		return nil, err
	} else if chosen != from {
		// The guest chose an older checkpoint: the journal, which follows the
		// newest, does not apply to it.
		from, calls = chosen, nil
		a.logs.Add(abi.LogWarn, fmt.Sprintf("wactor: the guest chose checkpoint %s; the calls since the newest are not replayed", chosen.ID))
	}
	var startup *entry
	mode := recOff
	if from == nil && len(calls) > 0 && calls[0].Index < 0 {
		startup, mode, calls = calls[0], recReplay, calls[1:]
	}
	sb, err := a.start(ctx, from, startup, mode)
	if err != nil {
		return nil, err
	}
	for i, e := range calls {
		sb.rec.start(e, recReplay)
		fn := e.Method
		if e.Index >= 0 {
			fn = sb.method(e.Index)
		}
		_, err := sb.invoke(ctx, e.Method, fn, e.Args, a.opts.CallTimeout, a.h.cfg.MaxResultBytes)
		diverged := sb.rec.diverged
		sb.rec.stop()
		if err != nil {
			sb.close()
			return nil, fmt.Errorf("replaying call %d of %d (%s): %w", i+1, len(calls), e.Method, err)
		}
		if diverged {
			a.logs.Add(abi.LogWarn, fmt.Sprintf("wactor: replay of %s read more clock, random or actor-call results than were recorded", e.Method))
		}
	}
	sb.exitRequested = false
	if n := len(calls); n > 0 {
		a.logs.Add(abi.LogInfo, fmt.Sprintf("wactor: replayed %d calls after restart", n))
	}
	return sb, nil
}
