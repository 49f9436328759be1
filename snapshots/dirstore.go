package snapshots

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	e   *engine
}

var _ Store = (*DirStore)(nil)

// NewDirStore opens (creating it if needed) a store in dir that keeps the
// newest keep snapshots of each actor, DefaultKeep when keep <= 0, plus the
// older full snapshots they need as bases (see Store). It removes leftover
// temporary files.
func NewDirStore(dir string, keep int) (*DirStore, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	s := &DirStore{dir: dir}
	s.e = newEngine(dirBlobs{dir: dir}, keep)
	actors, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("snapshots: %w", err)
	}
	for _, d := range actors {
		if strings.HasPrefix(d.Name(), tempPrefix) {
			_ = os.RemoveAll(filepath.Join(dir, d.Name()))
			continue
		}
		actorID, ok := unescapeName(d.Name())
		if !d.IsDir() || !ok {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("snapshots: %w", err)
		}
		for _, f := range files {
			path := filepath.Join(dir, d.Name(), f.Name())
			switch {
			case strings.HasPrefix(f.Name(), tempPrefix):
				if err := os.Remove(path); err != nil {
					return nil, fmt.Errorf("snapshots: removing a leftover temporary file: %w", err)
				}
			case f.Type().IsRegular() && strings.HasSuffix(f.Name(), fileExt):
				head, size, err := readHead(path)
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
func readHead(path string) ([]byte, int64, error) {
	f, err := os.Open(path)
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
type dirBlobs struct{ dir string }

func (d dirBlobs) actorDir(actorID string) string {
	return filepath.Join(d.dir, escapeName(actorID))
}

func (d dirBlobs) write(ctx context.Context, actorID, name string, fn func(io.Writer) error) (size int64, err error) {
	dir := d.actorDir(actorID)
	if err := os.Mkdir(dir, 0o750); err == nil {
		if err := syncDir(d.dir); err != nil {
			return 0, err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return 0, err
	}
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return 0, err
	}
	tmp, final := f.Name(), filepath.Join(dir, name)
	renamed := false
	defer func() {
		if err != nil {
			f.Close()
			if renamed {
				os.Remove(final)
			} else {
				os.Remove(tmp)
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
	if err := os.Rename(tmp, final); err != nil {
		return 0, err
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return 0, err
	}
	return cw.n, nil
}

func (d dirBlobs) read(actorID, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(d.actorDir(actorID), name))
}

func (d dirBlobs) remove(actorID, name string) error {
	return os.Remove(filepath.Join(d.actorDir(actorID), name))
}

func (d dirBlobs) removeActor(actorID string) error {
	if err := os.RemoveAll(d.actorDir(actorID)); err != nil {
		return err
	}
	return syncDir(d.dir)
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
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
