package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/fsys"
	"github.com/wactor/wactor/snapshots"
)

// Store is where a host with a data directory keeps what survives it: the
// classes it loaded, and its durable actors' metadata, snapshots and
// journals. Directories are 0700 and files 0600: they hold call arguments
// and actors' memory.
//
//	DATA/classes/<class id>.wasm
//	DATA/classes/<class id>.owners       the namespaces that loaded it (Owners)
//	DATA/actors/<actor id>/actor.json    identity, class, options, constructor arguments
//	DATA/actors/<actor id>/spawning      present while a spawn is not yet durable
//	DATA/actors/<actor id>/journal       calls completed since the latest checkpoint
//	DATA/snapshots/<actor id>/...        snapshots (snapshots.DirStore)
//	DATA/damaged/<actor id>/<time>/...   files an operator's repair or discard set aside
//
// Every file-system operation goes through the Config's FS (the OS's unless
// a test injects faults). A write that fails leaves no effect: the file
// holds its old content (or does not exist), and the caller fails the
// operation it was part of. Safe for concurrent use on different actors;
// an actor's files are written by one goroutine at a time (its worker, or
// an operator's repair holding RepairMu).
type Store struct {
	dir   string
	mode  api.Durability
	snaps *snapshots.DirStore
	fs    fsys.FS
	log   *slog.Logger
	// RepairMu serializes operators' repairs and discards (outermost in the
	// host's lock order).
	RepairMu sync.Mutex
}

// Config says where and how a Store keeps its files.
type Config struct {
	// Dir is the data directory (created if missing).
	Dir string
	// Mode is when a completed call is safe on disk; DurabilityCheckpoint
	// keeps no journal files. "" is DurabilityWrite.
	Mode api.Durability
	// Keep is how many snapshots per actor the snapshot store keeps
	// (snapshots.DefaultKeep when 0 or less).
	Keep int
	// FS is the file system (nil: the OS's); tests inject faults here.
	FS fsys.FS
	// Logger receives what the store does on its own (finishing an
	// interrupted removal, cutting a torn journal tail); nil: slog.Default().
	Logger *slog.Logger
}

// Open opens (creating what is missing) the store in cfg.Dir.
func Open(cfg Config) (*Store, error) {
	fsy := fsys.Or(cfg.FS)
	for _, d := range []string{"classes", "actors", "snapshots"} {
		if err := fsy.MkdirAll(filepath.Join(cfg.Dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	snaps, err := snapshots.NewDirStoreFS(fsy, filepath.Join(cfg.Dir, "snapshots"), cfg.Keep)
	if err != nil {
		return nil, fmt.Errorf("snapshot store: %w", err)
	}
	// An incremental snapshot holds the pages changed since its full base;
	// the store writes a full one when they reach half of memory, not
	// after a count of snapshots, so checkpoints of a large memory that
	// changes little stay small.
	snaps.SetFullEvery(1 << 30)
	mode, log := cfg.Mode, cfg.Logger
	if mode == "" {
		mode = api.DurabilityWrite
	}
	if log == nil {
		log = slog.Default()
	}
	return &Store{dir: cfg.Dir, mode: mode, snaps: snaps, fs: fsy, log: log}, nil
}

// Snapshots is the store of the actors' snapshots (DATA/snapshots).
func (s *Store) Snapshots() *snapshots.DirStore { return s.snaps }

// writeAtomic writes a file (0600) so that it holds the new bytes whole or
// its old content (none, for a new file), and is on disk when writeAtomic
// returns. When it fails, the file is as before: a new file does not
// exist, and a replaced one holds its old bytes again (a missing .owners
// file would make a class visible to every namespace).
func (s *Store) writeAtomic(path string, data []byte) error {
	old, err := s.fs.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := s.replace(path, data); err != nil {
		return err
	}
	if err := fsys.SyncDir(s.fs, filepath.Dir(path)); err != nil {
		// Not durable, so not written.
		var undo error
		if existed {
			undo = s.replace(path, old)
		} else {
			undo = s.fs.Remove(path)
		}
		if undo != nil {
			return fmt.Errorf("%w (and undoing the write: %w)", err, undo)
		}
		return err
	}
	return nil
}

// replace writes data to a temporary file, syncs it and renames it to
// path; when it fails, path is untouched and the temporary file removed.
// The directory is not synced.
func (s *Store) replace(path string, data []byte) error {
	f, err := s.fs.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	n, err := f.Write(data)
	if err == nil && n < len(data) {
		err = io.ErrShortWrite
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fs.Rename(tmp, path)
	}
	if err != nil {
		_ = s.fs.Remove(tmp)
	}
	return err
}

func (s *Store) classPath(id string) string { return filepath.Join(s.dir, "classes", id+".wasm") }

// SaveClass writes a class's file, unless it holds these bytes already. A
// file that holds other bytes is corrupt (a class file is named after the
// hash of its content): it is moved under DATA/damaged/classes, not
// overwritten, and the right bytes written.
func (s *Store) SaveClass(id string, wasm []byte) error {
	path := s.classPath(id)
	if _, err := s.fs.Stat(path); err == nil {
		if old, err := s.fs.ReadFile(path); err == nil && bytes.Equal(old, wasm) {
			return nil
		}
		dst := filepath.Join(s.dir, "damaged", "classes")
		if err := s.fs.MkdirAll(dst, 0o700); err != nil {
			return err
		}
		if err := s.fs.Rename(path, filepath.Join(dst, id+".wasm."+time.Now().UTC().Format("20060102T150405.000000000Z"))); err != nil {
			return err
		}
	}
	return s.writeAtomic(path, wasm)
}

// RemoveClass removes a class's file, then its Owners file. When the class
// file cannot be removed its Owners file stays beside it: without it the
// class would come back visible to every namespace.
func (s *Store) RemoveClass(id string) error {
	if err := s.fs.Remove(s.classPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := s.fs.Remove(s.ownersPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("its namespaces file: %w", err)
	}
	return nil
}

// ClassFile is a saved class: the ID its file is named after, and its bytes.
type ClassFile struct {
	ID   string
	Wasm []byte
}

// Classes reads the saved classes. A class whose bytes do not hash to its
// ID is returned as it is: the caller judges it.
func (s *Store) Classes() ([]ClassFile, error) {
	ents, err := s.fs.ReadDir(filepath.Join(s.dir, "classes"))
	if err != nil {
		return nil, err
	}
	var out []ClassFile
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := s.fs.ReadFile(s.classPath(id))
		if err != nil {
			return nil, err
		}
		out = append(out, ClassFile{ID: id, Wasm: b})
	}
	return out, nil
}

// Class claims on disk, beside the class (DATA/classes/<id>.owners): which
// namespaces loaded it, and whether the host's trusted LoadClass did. A
// class saved without one (by a host before namespaces held classes) comes
// back visible to every namespace, as it was then.

// Owners is the content of a class's .owners file.
type Owners struct {
	// Global: loaded for every namespace.
	Global bool `json:"global,omitempty"`
	// Namespaces are the namespaces that loaded the class.
	Namespaces []string `json:"namespaces,omitempty"`
}

func (s *Store) ownersPath(id string) string {
	return filepath.Join(s.dir, "classes", id+".owners")
}

// SaveOwners writes class id's claims (the namespaces sorted) atomically:
// when it fails, the file holds the old claims.
func (s *Store) SaveOwners(id string, o Owners) error {
	o.Namespaces = slices.Sorted(slices.Values(o.Namespaces))
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return s.writeAtomic(s.ownersPath(id), b)
}

// LoadOwners reads a saved class's claims; ok is false without a file.
func (s *Store) LoadOwners(id string) (o Owners, ok bool, err error) {
	b, err := s.fs.ReadFile(s.ownersPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return o, false, nil
	}
	if err != nil {
		return o, false, err
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, false, fmt.Errorf("class %s: namespaces file: %w", id, err)
	}
	return o, true, nil
}

// ActorMeta is what a durable actor's actor.json holds.
type ActorMeta struct {
	ID       string      `json:"id"`
	Class    string      `json:"class"`
	Options  api.Options `json:"options"`
	InitArgs []byte      `json:"init_args"`
	Created  time.Time   `json:"created"`
}

func (s *Store) actorDir(id string) string { return filepath.Join(s.dir, "actors", id) }

// The files of an actor's directory.
const (
	// MetaFile holds the actor's ActorMeta.
	MetaFile = "actor.json"
	// JournalName is the actor's journal file.
	JournalName = "journal"
	// SpawningFile is present while the actor's spawn is not durable.
	SpawningFile = "spawning"
	// removingPrefix names an actor directory whose removal has begun.
	removingPrefix = ".removing-"
)

func (s *Store) journalPath(id string) string { return filepath.Join(s.actorDir(id), JournalName) }

// SaveActor writes a new actor's metadata, with the spawning marker that
// says its spawn is not durable yet (Spawned removes it): recovery removes
// an actor that has the marker and no snapshot, and reports one without
// the marker as damaged.
func (s *Store) SaveActor(m ActorMeta) error {
	if err := s.fs.MkdirAll(s.actorDir(m.ID), 0o700); err != nil {
		return err
	}
	f, err := s.fs.OpenFile(filepath.Join(s.actorDir(m.ID), SpawningFile), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	// Syncs the directory, which makes the marker durable too.
	return s.writeAtomic(filepath.Join(s.actorDir(m.ID), MetaFile), b)
}

// Spawned removes the spawning marker once the actor's first snapshot is
// stored. Losing the removal in a crash is harmless: recovery ignores the
// marker of an actor that has a snapshot.
func (s *Store) Spawned(id string) error {
	err := s.fs.Remove(filepath.Join(s.actorDir(id), SpawningFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// OpenJournal opens (creating it) actor id's journal, whose first validLen
// bytes are good records (0 for a new or emptied journal; Recovered.Valid
// after recovery). In DurabilityCheckpoint mode there is no journal file:
// it returns nil, nil.
func (s *Store) OpenJournal(id string, validLen int64) (*File, error) {
	if s.mode == api.DurabilityCheckpoint {
		return nil, nil
	}
	return openFile(s.fs, s.journalPath(id), s.mode == api.DurabilitySync, validLen)
}

// RemoveActor deletes everything kept for an actor, which is not coming
// back (killed, died, or its spawn failed). Its directory is first renamed
// to a .removing- name (and that made durable), so an interrupted removal
// is recognised and finished by the next start rather than mistaken for
// damage.
func (s *Store) RemoveActor(ctx context.Context, id string) error {
	gone := filepath.Join(s.dir, "actors", removingPrefix+id)
	err := s.fs.Rename(s.actorDir(id), gone)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err == nil {
		if err := fsys.SyncDir(s.fs, filepath.Join(s.dir, "actors")); err != nil {
			return err
		}
	}
	if err := s.snaps.Delete(ctx, id); err != nil {
		return err
	}
	return s.fs.RemoveAll(gone)
}

// Found is one actor directory found by Actors: its metadata, or why it
// could not be read.
type Found struct {
	ID   string
	Meta ActorMeta
	// Err: the metadata is missing or does not decode.
	Err error
	// Spawning: the spawning marker is present.
	Spawning bool
	// Empty: the directory holds nothing (a spawn stopped before its
	// marker).
	Empty bool
}

// Unfinished reports whether f is a spawn that never became durable, so
// never acknowledged: its metadata is missing and it has the spawning
// marker or nothing at all. Its files are removed, not judged damaged.
func (f Found) Unfinished() bool {
	return (f.Spawning || f.Empty) && errors.Is(f.Err, fs.ErrNotExist)
}

// Actors lists the actor directories a previous host left. It finishes
// (and logs) the removals that host began.
func (s *Store) Actors() ([]Found, error) {
	ents, err := s.fs.ReadDir(filepath.Join(s.dir, "actors"))
	if err != nil {
		return nil, err
	}
	var out []Found
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if id, ok := strings.CutPrefix(e.Name(), removingPrefix); ok {
			// A removal the previous host began: finish it.
			s.log.Info("finishing the removal of an actor's files", slog.String("actor", id))
			if err := s.snaps.Delete(context.Background(), id); err != nil {
				s.log.Error("removing an actor's files", slog.String("actor", id), slog.Any("err", err))
			} else if err := s.fs.RemoveAll(filepath.Join(s.dir, "actors", e.Name())); err != nil {
				s.log.Error("removing an actor's files", slog.String("actor", id), slog.Any("err", err))
			}
			continue
		}
		f := Found{ID: e.Name()}
		if _, err := s.fs.Stat(filepath.Join(s.actorDir(f.ID), SpawningFile)); err == nil {
			f.Spawning = true
		}
		if files, err := s.fs.ReadDir(s.actorDir(f.ID)); err == nil && len(files) == 0 {
			f.Empty = true
		}
		f.Meta, f.Err = s.ReadMeta(f.ID)
		out = append(out, f)
	}
	return out, nil
}

// ReadMeta reads an actor's metadata.
func (s *Store) ReadMeta(id string) (ActorMeta, error) {
	var m ActorMeta
	b, err := s.fs.ReadFile(filepath.Join(s.actorDir(id), MetaFile))
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err == nil {
		err = legacyDurations(b, &m.Options)
	}
	if err == nil && m.ID != id {
		err = fmt.Errorf("it names actor %q", m.ID)
	}
	if err != nil {
		return m, fmt.Errorf("metadata unreadable: %w", err)
	}
	return m, nil
}

// legacyDurations reads the durations of an actor.json written before
// Options had one JSON form (the HTTP API's, in milliseconds): they were
// nanoseconds, under "call_timeout" and "checkpoint_interval". A file that
// has the milliseconds keys, or neither, is left as decoded.
func legacyDurations(b []byte, o *api.Options) error {
	var old struct {
		Options struct {
			CallTimeout        *time.Duration `json:"call_timeout"`
			CheckpointInterval *time.Duration `json:"checkpoint_interval"`
		} `json:"options"`
	}
	if err := json.Unmarshal(b, &old); err != nil {
		return err
	}
	if o.CallTimeout == nil {
		o.CallTimeout = old.Options.CallTimeout
	}
	if o.CheckpointInterval == nil {
		o.CheckpointInterval = old.Options.CheckpointInterval
	}
	return nil
}
