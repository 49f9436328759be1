package snapshots

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wactor/wactor/internal/fsys"
)

// DirStore is a Store on local disk. It is safe for concurrent use; two
// DirStores (or two processes) must not share a directory.
//
// Layout: one directory per actor, named after its ID (letters, digits, '-'
// and '_' kept, other bytes escaped as %XX), holding one file per snapshot
// named <sequence number, 16 hex digits>-<escaped snapshot ID>.snap in the
// format Encode writes. A file is written as a temporary file (.tmp-*) in
// the same directory, synced, renamed into place, and the directory synced,
// so that after a crash a snapshot file is either whole or absent; leftover
// temporary files are never read and are removed by NewDirStore. Other
// files are ignored.
//
// NewDirStore reads every snapshot's header, so List works without
// decoding; Get and Latest read whole files and verify their checksums.
type DirStore struct {
	dir string
	fs  fsys.FS
	e   *engine
}

var _ Store = (*DirStore)(nil)

// NewDirStore opens (creating it if needed) a store in dir that keeps the
// newest keep snapshots of each actor, DefaultKeep when keep <= 0, plus the
// older full snapshots they need as bases (see Store). It removes leftover
// temporary files.
//
// Directories are created 0700 and files 0600: snapshots hold actors'
// memory.
func NewDirStore(dir string, keep int) (*DirStore, error) { return NewDirStoreFS(nil, dir, keep) }

// NewDirStoreFS is NewDirStore over a file system other than the OS's
// (nil: the OS's). It exists for this module's host and fault-injection
// tests: fsys is an internal package, so other modules use NewDirStore.
func NewDirStoreFS(fsy fsys.FS, dir string, keep int) (*DirStore, error) {
	fsy = fsys.Or(fsy)
	if err := fsy.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	s := &DirStore{dir: dir, fs: fsy}
	s.e = newEngine(dirBlobs{dir: dir, fs: fsy}, keep)
	actors, err := fsy.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	for _, d := range actors {
		if strings.HasPrefix(d.Name(), tempPrefix) {
			_ = fsy.RemoveAll(filepath.Join(dir, d.Name()))
			continue
		}
		actorID, ok := unescapeName(d.Name())
		if !d.IsDir() || !ok {
			continue
		}
		files, err := fsy.ReadDir(filepath.Join(dir, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("snapshots: %w", err)
		}
		for _, f := range files {
			path := filepath.Join(dir, d.Name(), f.Name())
			switch {
			case strings.HasPrefix(f.Name(), tempPrefix):
				if err := fsy.Remove(path); err != nil {
					return nil, fmt.Errorf("snapshots: removing a leftover temporary file: %w", err)
				}
			case f.Type().IsRegular() && strings.HasSuffix(f.Name(), fileExt):
				head, size, err := readHead(fsy, path)
				if err != nil {
					return nil, fmt.Errorf("snapshots: %w", err)
				}
				s.e.add(actorID, f.Name(), size, head)
			}
		}
	}
	s.e.finishLoad()
	return s, nil
}

// readHead reads the header and metadata that open a snapshot file (fewer
// bytes if the file is shorter), and the file's size.
func readHead(fsy fsys.FS, path string) ([]byte, int64, error) {
	f, err := fsys.Open(fsy, path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	head := make([]byte, headerSize)
	n, err := io.ReadFull(f, head)
	if err != nil {
		return head[:n], fi.Size(), nil
	}
	m := int64(le.Uint32(head[12:]))
	if m > maxMetaSize || m > fi.Size()-headerSize {
		return head, fi.Size(), nil
	}
	head = append(head, make([]byte, m)...)
	n, _ = io.ReadFull(f, head[headerSize:])
	return head[:headerSize+n], fi.Size(), nil
}

// SetFullEvery sets how often, in Puts per actor, a full snapshot is
// written: n-1 incremental ones follow each full one. n <= 0 restores
// DefaultFullEvery; 1 writes only full snapshots.
func (s *DirStore) SetFullEvery(n int) { s.e.setFullEvery(n) }

// Put stores st; see Store.
func (s *DirStore) Put(ctx context.Context, st *State) (Meta, error) { return s.e.put(ctx, st) }

// Get decodes one snapshot; see Store.
func (s *DirStore) Get(ctx context.Context, actorID, id string) (*State, error) {
	return s.e.get(ctx, actorID, id)
}

// List describes an actor's snapshots, newest first; see Store.
func (s *DirStore) List(ctx context.Context, actorID string) ([]Meta, error) {
	return s.e.list(ctx, actorID)
}

// Latest decodes an actor's newest snapshot that decodes; see Store.
func (s *DirStore) Latest(ctx context.Context, actorID string) (*State, []error, error) {
	return s.e.latest(ctx, actorID)
}

// Delete deletes all of an actor's snapshots and its directory; see Store.
func (s *DirStore) Delete(ctx context.Context, actorID string) error {
	return s.e.delete(ctx, actorID)
}

// Actors lists the actors that have snapshots; see Store.
func (s *DirStore) Actors(ctx context.Context) ([]string, error) { return s.e.actorIDs(ctx) }

// dirBlobs keeps snapshot files in a directory per actor.
type dirBlobs struct {
	dir string
	fs  fsys.FS
}

func (d dirBlobs) actorDir(actorID string) string {
	return filepath.Join(d.dir, escapeName(actorID))
}

func (d dirBlobs) write(ctx context.Context, actorID, name string, fn func(io.Writer) error) (size int64, err error) {
	dir := d.actorDir(actorID)
	if err := d.fs.Mkdir(dir, 0o700); err == nil {
		if err := fsys.SyncDir(d.fs, d.dir); err != nil {
			return 0, err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return 0, err
	}
	f, err := d.fs.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return 0, err
	}
	tmp, final := f.Name(), filepath.Join(dir, name)
	renamed := false
	defer func() {
		if err != nil {
			f.Close()
			if renamed {
				d.fs.Remove(final)
			} else {
				d.fs.Remove(tmp)
			}
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	cw := &countWriter{w: bw}
	if err := fn(cw); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := d.fs.Rename(tmp, final); err != nil {
		return 0, err
	}
	renamed = true
	if err := fsys.SyncDir(d.fs, dir); err != nil {
		return 0, err
	}
	return cw.n, nil
}

func (d dirBlobs) read(actorID, name string) ([]byte, error) {
	return d.fs.ReadFile(filepath.Join(d.actorDir(actorID), name))
}

func (d dirBlobs) remove(actorID, name string) error {
	return d.fs.Remove(filepath.Join(d.actorDir(actorID), name))
}

func (d dirBlobs) removeActor(actorID string) error {
	if err := d.fs.RemoveAll(d.actorDir(actorID)); err != nil {
		return err
	}
	return fsys.SyncDir(d.fs, d.dir)
}

// countWriter counts what it writes.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// MoveAside takes snapshots of an actor out of the store without deleting
// them: their files are moved into the directory dst (created 0700), and
// the store forgets them. It moves the snapshots ids, or with ids nil every
// snapshot of the actor (and then removes its emptied directory). It is how
// a host keeps damaged snapshots aside for an operator.
func (s *DirStore) MoveAside(ctx context.Context, actorID string, ids []string, dst string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a := s.e.lockActor(actorID, false)
	if a == nil {
		return nil
	}
	defer a.mu.Unlock()
	if err := s.fs.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("snapshots: %w", err)
	}
	src := dirBlobs{dir: s.dir, fs: s.fs}.actorDir(actorID)
	kept := a.entries[:0:0]
	var errs []error
	for _, ent := range a.entries {
		if ids != nil && !slices.Contains(ids, ent.meta.ID) {
			kept = append(kept, ent)
			continue
		}
		if err := s.fs.Rename(filepath.Join(src, ent.name), filepath.Join(dst, ent.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			kept = append(kept, ent)
			continue
		}
		if a.base != nil && a.base.ID == ent.meta.ID {
			a.base = nil
		}
	}
	a.entries = kept
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("snapshots: moving snapshots of actor %s aside: %w", actorID, err)
	}
	if err := fsys.SyncDir(s.fs, dst); err != nil {
		return fmt.Errorf("snapshots: %w", err)
	}
	if len(a.entries) > 0 {
		return fsys.SyncDir(s.fs, src)
	}
	if err := s.fs.RemoveAll(src); err != nil {
		return fmt.Errorf("snapshots: %w", err)
	}
	a.gone = true
	s.e.mu.Lock()
	if s.e.actors[actorID] == a {
		delete(s.e.actors, actorID)
	}
	s.e.mu.Unlock()
	return fsys.SyncDir(s.fs, s.dir)
}
