package host

import (
	"context"
	"fmt"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/host/sandbox"
	"github.com/wactor/wactor/snapshots"
)

// The journal makes restarts exact: the calls completed since the latest
// checkpoint, with what their nondeterministic imports returned, replayed
// onto it (docs/SNAPSHOTS.md, "Reconstruction after a failure").

// maxJournal bounds a journal: past it the actor checkpoints automatically,
// which empties the journal.
const (
	maxJournalEntries = 10000
	maxJournalBytes   = 64 << 20
)

// entry is one recorded call (journal.Entry).
type entry = journal.Entry

// journaling: the actor keeps a journal, to be rebuilt after a trap
// (MaxRestarts), a host restart (durable) or a trap in its checkpoint hook,
// which costs no restart.
func (a *actor) journaling() bool {
	return a.opts.MaxRestarts != 0 || a.durable || a.class.HasShouldCheckpoint()
}

// record appends a completed call to the journal (and, for a durable actor,
// to its journal on disk, as call seq), checkpointing when the journal
// grows past its bounds. It fails only when the disk journal does.
func (a *actor) record(sb *box, e *entry, seq uint64) error {
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
func (a *actor) rebuild() (*box, error) {
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
	mode := sandbox.Live
	if from == nil && len(calls) > 0 && calls[0].Index < 0 {
		startup, mode, calls = calls[0], sandbox.Replay, calls[1:]
	}
	sb, err := a.start(ctx, from, startup, mode)
	if err != nil {
		return nil, err
	}
	diverged, err := sb.Replay(ctx, calls, a.opts.CallTimeout, a.h.cfg.MaxResultBytes)
	if err != nil {
		sb.Close()
		return nil, err
	}
	for _, m := range diverged {
		a.logs.Add(abi.LogWarn, fmt.Sprintf("wactor: replay of %s read more clock, random or actor-call results than were recorded", m))
	}
	sb.ResetExit()
	if n := len(calls); n > 0 {
		a.logs.Add(abi.LogInfo, fmt.Sprintf("wactor: replayed %d calls after restart", n))
	}
	return sb, nil
}
