package snapshots

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"sync"
)

// MemStore is a Store in memory, with the same encoding, policy and
// retention as DirStore (Meta.Size is the encoded size). It is safe for
// concurrent use. Its snapshots are lost with it.
type MemStore struct {
	e *engine
	b *memBlobs
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty store that keeps the newest keep snapshots
// of each actor, DefaultKeep when keep <= 0, plus the older full snapshots
// they need as bases (see Store).
func NewMemStore(keep int) *MemStore {
	b := &memBlobs{files: map[string]map[string][]byte{}}
	return &MemStore{e: newEngine(b, keep), b: b}
}

// SetFullEvery sets how often, in Puts per actor, a full snapshot is
// written: n-1 incremental ones follow each full one. n <= 0 restores
// DefaultFullEvery; 1 writes only full snapshots.
func (s *MemStore) SetFullEvery(n int) { s.e.setFullEvery(n) }

// Put stores st; see Store.
func (s *MemStore) Put(ctx context.Context, st *State) (Meta, error) { return s.e.put(ctx, st) }

// Get decodes one snapshot; see Store.
func (s *MemStore) Get(ctx context.Context, actorID, id string) (*State, error) {
	return s.e.get(ctx, actorID, id)
}

// List describes an actor's snapshots, newest first; see Store.
func (s *MemStore) List(ctx context.Context, actorID string) ([]Meta, error) {
	return s.e.list(ctx, actorID)
}

// Latest decodes an actor's newest snapshot that decodes; see Store.
func (s *MemStore) Latest(ctx context.Context, actorID string) (*State, []error, error) {
	return s.e.latest(ctx, actorID)
}

// Delete deletes all of an actor's snapshots; see Store.
func (s *MemStore) Delete(ctx context.Context, actorID string) error {
	return s.e.delete(ctx, actorID)
}

// Actors lists the actors that have snapshots; see Store.
func (s *MemStore) Actors(ctx context.Context) ([]string, error) { return s.e.actorIDs(ctx) }

// memBlobs keeps encoded snapshots in maps, by actor and file name.
type memBlobs struct {
	mu    sync.Mutex
	files map[string]map[string][]byte
}

func (m *memBlobs) write(ctx context.Context, actorID, name string, fn func(io.Writer) error) (int64, error) {
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files[actorID] == nil {
		m.files[actorID] = map[string][]byte{}
	}
	m.files[actorID][name] = bytes.Clone(buf.Bytes()) // without the buffer's spare capacity
	return int64(buf.Len()), nil
}

func (m *memBlobs) read(actorID, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[actorID][name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return b, nil
}

func (m *memBlobs) remove(actorID, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[actorID][name]; !ok {
		return fs.ErrNotExist
	}
	delete(m.files[actorID], name)
	return nil
}

func (m *memBlobs) removeActor(actorID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, actorID)
	return nil
}
