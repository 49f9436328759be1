package journal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/snapshots"
)

// Recovery brings back a durable actor from its latest snapshot plus the
// journal records that follow it. Nothing found damaged is deleted,
// truncated or skipped silently: Load reports an actor whose files are
// damaged (a journal record that fails its checksum, a gap in the
// journal's sequence, a snapshot that does not decode, all snapshots
// missing) with a *DamageError, leaving its files in place, until an operator
// repairs it from a checkpoint (RepairPoint) or discards it (Discard);
// both keep the damaged files under DATA/damaged. The only bytes recovery
// cuts are a journal's torn tail (a record cut short by a crash or a
// failed write, whose call was never acknowledged), after keeping a copy
// under DATA/damaged and logging a warning.

// Recovered is what Load or RepairPoint found on disk for an actor: the
// snapshot to restore and the journal records that follow it.
type Recovered struct {
	// Latest is the snapshot to restore.
	Latest *snapshots.State
	// Calls are the records to replay after Latest, in order, and Served
	// the number of calls served after them.
	Calls  []*Entry
	Served uint64
	// Valid is the length of the journal's good prefix, which the journal
	// reopened by OpenJournal keeps (0 after a repair).
	Valid int64
}

// DamageError is why an actor's files cannot be brought back: the actor is
// damaged, and its files stay where they are. Reason is in the API's words
// (no file paths).
type DamageError struct{ Reason string }

// Error returns the reason.
func (d *DamageError) Error() string { return d.Reason }

func damaged(reason string) error { return &DamageError{Reason: reason} }

// Load reads what recovery brings back of actor id: its latest snapshot
// and the journal records that follow it. spawning says the actor has the
// spawning marker (Found.Spawning). It fails with a *DamageError for damaged
// files and with ErrUnfinished for a spawn that never finished. A torn
// journal tail is copied under DATA/damaged first (OpenJournal with
// Recovered.Valid then cuts it).
func (s *Store) Load(ctx context.Context, id string, spawning bool) (*Recovered, error) {
	latest, skipped, err := s.snaps.Latest(ctx, id)
	switch {
	case len(skipped) > 0:
		reasons := make([]string, len(skipped))
		for i, e := range skipped {
			reasons[i] = e.Error()
		}
		return nil, damaged("a snapshot does not decode: " + strings.Join(reasons, "; "))
	case errors.Is(err, snapshots.ErrNotFound):
		if spawning {
			return nil, ErrUnfinished
		}
		return nil, damaged("all of its snapshot files are missing")
	case err != nil:
		return nil, damaged("its snapshots cannot be read: " + DiskError{err}.Error())
	}
	sc, err := Read(s.fs, s.journalPath(id))
	if err != nil {
		return nil, damaged("its journal cannot be read: " + DiskError{err}.Error())
	}
	if sc.Bad != nil {
		return nil, damaged("its journal is corrupt " + sc.Bad.Error())
	}
	calls, served, err := followCheckpoint(latest.Calls, sc)
	if err != nil {
		return nil, damaged("its journal does not follow its latest snapshot: " + err.Error())
	}
	if sc.Torn {
		if err := s.keepTornTail(id, sc); err != nil {
			return nil, damaged("its journal ends with a torn record that could not be kept aside: " + DiskError{err}.Error())
		}
	}
	return &Recovered{Latest: latest, Calls: calls, Served: served, Valid: sc.Valid}, nil
}

// followCheckpoint returns the journal records to replay after a snapshot
// taken after calls calls, and the number of calls served after them.
// Records up to the snapshot are skipped (a journal is emptied after each
// checkpoint, but emptying may have failed); the first call after it must
// be call calls+1 and each next one the one after (a reserved export's
// record repeats the number of the call before it). A record that does not
// follow is an error: records were lost; the records before it are
// returned with the error.
func followCheckpoint(calls uint64, sc Scan) (out []*Entry, served uint64, err error) {
	served = calls
	started := false
	for i, e := range sc.Entries {
		seq := sc.Seqs[i]
		if !started && seq <= calls {
			continue
		}
		switch {
		case e.Index >= 0 && seq == served+1:
			served = seq
		case e.Index == IndexExport && started && seq == served:
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

// keepTornTail copies a journal's torn tail under DATA/damaged before
// OpenJournal cuts it.
func (s *Store) keepTornTail(id string, sc Scan) error {
	data, err := s.fs.ReadFile(s.journalPath(id))
	if err != nil {
		return err
	}
	dst := s.damagedDir(id)
	if err := s.fs.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	if err := s.writeAtomic(filepath.Join(dst, "journal-torn-tail"), data[min(sc.Valid, int64(len(data))):]); err != nil {
		return err
	}
	s.log.Warn("cutting a torn record (a call never acknowledged) off the end of a journal; its bytes are kept aside",
		slog.String("actor", id), slog.Int64("bytes", sc.Size-sc.Valid), slog.String("kept", dst))
	return nil
}

// damagedDir is a new directory under DATA/damaged for files of actor id
// set aside now.
func (s *Store) damagedDir(id string) string {
	return filepath.Join(s.dir, "damaged", id, time.Now().UTC().Format("20060102T150405.000000000Z"))
}

// GoodCheckpoints lists actor id's stored snapshots that decode, newest
// first (nil when they cannot be listed).
func (s *Store) GoodCheckpoints(ctx context.Context, id string) []api.CheckpointInfo {
	metas, err := s.snaps.List(ctx, id)
	if err != nil {
		return nil
	}
	var out []api.CheckpointInfo
	for _, m := range metas {
		if _, err := s.snaps.Get(ctx, id, m.ID); err == nil {
			out = append(out, api.CheckpointInfo{ID: m.ID, Taken: m.Taken, Size: int(m.Size), Calls: m.Calls})
		}
	}
	return out
}

// PutCheckpoint stores checkpoint st of actor st.ActorID, then empties
// its journal jf (nil: none), whose calls st holds. A journal that cannot
// be emptied is logged, not an error: recovery skips the records older than
// the latest snapshot, so it costs only space. Errors wrap api.ErrPersist.
func (s *Store) PutCheckpoint(ctx context.Context, st *snapshots.State, jf *File) error {
	if _, err := s.snaps.Put(ctx, st); err != nil {
		return fmt.Errorf("%w: storing the checkpoint: %w", api.ErrPersist, DiskError{err})
	}
	if jf != nil {
		if err := jf.Reset(); err != nil {
			s.log.Warn("emptying a journal", slog.String("actor", st.ActorID), slog.Any("err", err))
		}
	}
	return nil
}

// Checkpoints lists actor id's newest keep checkpoints on disk, newest
// first. Errors wrap api.ErrPersist (or are ctx's).
func (s *Store) Checkpoints(ctx context.Context, id string, keep int) ([]api.CheckpointInfo, error) {
	metas, err := s.snaps.List(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: listing checkpoints: %w", api.ErrPersist, DiskError{err})
	}
	// The store may also hold an older full snapshot that the newest ones
	// are increments of: storage, not a kept checkpoint.
	metas = metas[:min(len(metas), keep)]
	out := make([]api.CheckpointInfo, 0, len(metas))
	for _, m := range metas {
		out = append(out, api.CheckpointInfo{ID: m.ID, Taken: m.Taken, Size: int(m.Size), Calls: m.Calls})
	}
	return out, nil
}

// RepairPoint chooses what a repair of damaged actor id restores: its
// checkpoint checkpointID ("" for the newest that decodes), plus the
// journal records that follow it without a gap (those after a gap are
// lost). newer are the IDs of the snapshots newer than it, which the
// repair sets aside (SnapshotsAside) before storing the repaired state. It
// fails with api.ErrCheckpointNotFound when no such checkpoint decodes.
func (s *Store) RepairPoint(ctx context.Context, id, checkpointID string) (rec *Recovered, newer []string, err error) {
	metas, err := s.snaps.List(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var st *snapshots.State
	for _, m := range metas {
		if checkpointID == "" || m.ID == checkpointID {
			if got, err := s.snaps.Get(ctx, id, m.ID); err == nil {
				st = got
				break
			} else if checkpointID != "" {
				return nil, nil, fmt.Errorf("%w: checkpoint %s of actor %s does not decode", api.ErrCheckpointNotFound, checkpointID, id)
			}
		}
		newer = append(newer, m.ID)
	}
	if st == nil {
		return nil, nil, fmt.Errorf("%w: actor %s has no checkpoint %q that decodes", api.ErrCheckpointNotFound, id, checkpointID)
	}
	rec = &Recovered{Latest: st, Served: st.Calls}
	if sc, err := Read(s.fs, s.journalPath(id)); err == nil {
		rec.Calls, rec.Served, _ = followCheckpoint(st.Calls, sc) // the records up to the first that does not follow
	}
	return rec, newer, nil
}

// Aside makes a new directory under DATA/damaged where a repair sets actor
// id's damaged files (SnapshotsAside, JournalAside). Errors wrap
// api.ErrPersist.
func (s *Store) Aside(id string) (string, error) {
	dst := s.damagedDir(id)
	if err := s.fs.MkdirAll(dst, 0o700); err != nil {
		return "", fmt.Errorf("%w: keeping damaged files aside: %w", api.ErrPersist, DiskError{err})
	}
	return dst, nil
}

// SnapshotsAside moves actor id's snapshots ids into dst (from Aside).
// Errors wrap api.ErrPersist.
func (s *Store) SnapshotsAside(ctx context.Context, id string, ids []string, dst string) error {
	if err := s.snaps.MoveAside(ctx, id, ids, filepath.Join(dst, "snapshots")); err != nil {
		return fmt.Errorf("%w: keeping snapshots aside: %w", api.ErrPersist, DiskError{err})
	}
	return nil
}

// JournalAside moves actor id's journal, if it has one, into dst (from
// Aside). Errors wrap api.ErrPersist.
func (s *Store) JournalAside(id, dst string) error {
	if err := s.fs.Rename(s.journalPath(id), filepath.Join(dst, JournalName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: keeping the journal aside: %w", api.ErrPersist, DiskError{err})
	}
	return nil
}

// Discard moves all of actor id's files (its directory and its snapshots)
// under DATA/damaged, not deleting them (that is the operator's call), and
// returns where. Errors wrap api.ErrPersist.
func (s *Store) Discard(ctx context.Context, id string) (string, error) {
	dst, err := s.Aside(id)
	if err != nil {
		return "", err
	}
	if err := s.fs.Rename(s.actorDir(id), filepath.Join(dst, "actor")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: keeping damaged files aside: %w", api.ErrPersist, DiskError{err})
	}
	if err := s.snaps.MoveAside(ctx, id, nil, filepath.Join(dst, "snapshots")); err != nil {
		return "", fmt.Errorf("%w: keeping damaged snapshots aside: %w", api.ErrPersist, DiskError{err})
	}
	return dst, nil
}
