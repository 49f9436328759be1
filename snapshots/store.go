package snapshots

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Meta describes a stored snapshot without its memory.
type Meta struct {
	// ID, ActorID and ClassID are the snapshot's.
	ID, ActorID, ClassID string
	// Base is the ID of the full snapshot an incremental one was taken
	// against; empty for a full snapshot.
	Base string
	// Taken and Calls are the snapshot's.
	Taken time.Time
	Calls uint64
	// Size is the encoded snapshot's size in bytes (on disk for a DirStore).
	Size int64
}

// Store keeps encoded snapshots per actor.
//
// Stores in this package (DirStore, MemStore) share one policy. Put writes a
// full snapshot, or an incremental one holding only the pages that differ
// from the actor's latest full snapshot when that one is still in memory
// (it was Put, or decoded by Get or Latest, by this store), fewer than N-1
// incremental ones have been Put since it (a full one every N Puts; N is 8
// unless set with SetFullEvery), the class is the same and at most half the
// pages differ. After each Put, retention keeps the actor's newest keep
// snapshots plus every older full snapshot that one of them needs as its
// base, and deletes the rest; so an actor holds keep snapshots, or keep+1
// when the newest ones are incremental and their base is older.
//
// A store keeps in memory, per actor, the State of its latest full snapshot
// (to diff new snapshots against) and the metadata of its snapshots.
type Store interface {
	// Put stores st, a snapshot of st.ActorID with a non-empty ID, and
	// returns its Meta. Putting an ID the actor already has stores nothing
	// and returns the existing Meta. If st was stored but older snapshots
	// could not be deleted, Put returns st's Meta and an error.
	Put(ctx context.Context, st *State) (Meta, error)
	// Get decodes one snapshot (and its base, for an incremental one),
	// verifying their checksums. It fails with ErrNotFound when the actor
	// has no snapshot id, with ErrCorrupt when it does not decode.
	Get(ctx context.Context, actorID, id string) (*State, error)
	// List describes an actor's snapshots, newest (last Put) first; none
	// for an unknown actor. It reads no memory and verifies no checksum.
	List(ctx context.Context, actorID string) ([]Meta, error)
	// Latest decodes the newest of an actor's snapshots that decodes. Newer
	// ones that do not are skipped and reported in the []error (each
	// wrapping ErrCorrupt, ErrNotFound for a missing base, or an I/O
	// error). It fails with ErrNotFound when the actor has no snapshot or
	// none of its snapshots decodes.
	Latest(ctx context.Context, actorID string) (*State, []error, error)
	// Delete deletes all of an actor's snapshots, newest first (so that an
	// interrupted Delete leaves no incremental snapshot without its base).
	// Deleting an unknown actor is not an error.
	Delete(ctx context.Context, actorID string) error
	// Actors lists, sorted, the actors that have at least one snapshot.
	Actors(ctx context.Context) ([]string, error)
}

const (
	// DefaultKeep is how many snapshots per actor a store keeps when
	// created with keep <= 0.
	DefaultKeep = 3
	// DefaultFullEvery is how often (in Puts per actor) a store writes a
	// full snapshot unless set with SetFullEvery.
	DefaultFullEvery = 8
	// maxName bounds an escaped actor or snapshot ID (file names are at
	// most 255 bytes).
	maxName = 200
	// fileExt ends every snapshot file name; tempPrefix starts every file
	// being written.
	fileExt    = ".snap"
	tempPrefix = ".tmp-"
)

// blobs is where a store keeps its encoded snapshots, by actor and file
// name.
type blobs interface {
	// write atomically stores the file written by fn and returns its size:
	// afterwards the file either exists whole or does not exist.
	write(ctx context.Context, actorID, name string, fn func(io.Writer) error) (int64, error)
	read(actorID, name string) ([]byte, error)
	remove(actorID, name string) error
	// removeActor removes whatever is left of an actor once its files are.
	removeActor(actorID string) error
}

// engine implements Store over blobs.
type engine struct {
	b    blobs
	keep int

	mu        sync.Mutex
	fullEvery int
	actors    map[string]*actorLog
}

// actorLog is what a store knows of one actor's snapshots.
type actorLog struct {
	mu        sync.Mutex
	id        string
	entries   []*entry // oldest first
	nextSeq   uint64
	base      *State // the latest full snapshot, when in memory
	sinceFull int    // snapshots Put since the latest full one
	gone      bool   // deleted; look the actor up again
}

// entry is one stored snapshot.
type entry struct {
	seq  uint64
	name string
	meta Meta
	full bool
	bad  error // set when its header did not parse; the snapshot is unusable
}

func newEngine(b blobs, keep int) *engine {
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &engine{b: b, keep: keep, fullEvery: DefaultFullEvery, actors: map[string]*actorLog{}}
}

func (e *engine) setFullEvery(n int) {
	if n <= 0 {
		n = DefaultFullEvery
	}
	e.mu.Lock()
	e.fullEvery = n
	e.mu.Unlock()
}

// lockActor returns an actor's log, locked, creating it if create is set;
// nil if it does not exist.
func (e *engine) lockActor(id string, create bool) *actorLog {
	for {
		e.mu.Lock()
		a := e.actors[id]
		if a == nil {
			if !create {
				e.mu.Unlock()
				return nil
			}
			a = &actorLog{id: id}
			e.actors[id] = a
		}
		e.mu.Unlock()
		a.mu.Lock()
		if !a.gone {
			return a
		}
		a.mu.Unlock()
	}
}

// find returns the newest entry with a snapshot ID, or nil.
func (a *actorLog) find(id string) *entry {
	for i := len(a.entries) - 1; i >= 0; i-- {
		if a.entries[i].meta.ID == id {
			return a.entries[i]
		}
	}
	return nil
}

// latestFull returns the newest usable full snapshot's entry, or nil.
func (a *actorLog) latestFull() *entry {
	for i := len(a.entries) - 1; i >= 0; i-- {
		if ent := a.entries[i]; ent.full && ent.bad == nil {
			return ent
		}
	}
	return nil
}

// add records a snapshot file found when a store is opened. It ignores
// names that are not snapshot files. Call finishLoad once all are added.
func (e *engine) add(actorID, name string, size int64, head []byte) {
	seq, id, ok := parseFileName(name)
	if !ok {
		return
	}
	ent := &entry{seq: seq, name: name, meta: Meta{ID: id, ActorID: actorID, Size: size}}
	h, _, err := parseHeader(head)
	switch {
	case err != nil:
		ent.bad = err
	case h.id != id || h.actorID != actorID:
		ent.bad = corrupt("file %s holds snapshot %s of actor %s", name, h.id, h.actorID)
	default:
		ent.full = h.kind == kindFull
		ent.meta = Meta{ID: id, ActorID: actorID, ClassID: h.classID, Base: h.base, Taken: h.taken, Calls: h.calls, Size: size}
	}
	a := e.actors[actorID]
	if a == nil {
		a = &actorLog{id: actorID}
		e.actors[actorID] = a
	}
	a.entries = append(a.entries, ent)
}

// finishLoad orders what add recorded.
func (e *engine) finishLoad() {
	for _, a := range e.actors {
		slices.SortFunc(a.entries, func(x, y *entry) int { return cmpUint(x.seq, y.seq) })
		if n := len(a.entries); n > 0 {
			a.nextSeq = a.entries[n-1].seq + 1
		}
		if f := a.latestFull(); f != nil {
			a.sinceFull = len(a.entries) - 1 - slices.Index(a.entries, f)
		}
	}
}

func cmpUint(x, y uint64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func (e *engine) put(ctx context.Context, st *State) (Meta, error) {
	if st == nil || st.ID == "" || st.ActorID == "" {
		return Meta{}, fmt.Errorf("%w: a snapshot to store needs an ID and an actor ID", ErrInvalid)
	}
	if len(escapeName(st.ID)) > maxName || len(escapeName(st.ActorID)) > maxName {
		return Meta{}, fmt.Errorf("%w: ID or actor ID too long to store", ErrInvalid)
	}
	if err := checkEncode(st, nil); err != nil {
		return Meta{}, err
	}
	if err := ctx.Err(); err != nil {
		return Meta{}, err
	}
	e.mu.Lock()
	fullEvery := e.fullEvery
	e.mu.Unlock()

	a := e.lockActor(st.ActorID, true)
	defer a.mu.Unlock()
	if ent := a.find(st.ID); ent != nil {
		return ent.meta, nil
	}
	var base *State
	var pages []uint32
	if b := a.base; b != nil && a.sinceFull+1 < fullEvery && b.ClassID == st.ClassID {
		if f := a.latestFull(); f != nil && f.meta.ID == b.ID {
			pages = DiffPages(b.Memory, st.Memory)
			if 2*len(pages) <= st.Memory.NumPages() {
				base = b
			} else {
				pages = nil
			}
		}
	}
	seq := a.nextSeq
	a.nextSeq++ // even if the write fails, never reuse a sequence number
	name := fileName(seq, st.ID)
	size, err := e.b.write(ctx, st.ActorID, name, func(w io.Writer) error {
		_, err := encode(w, st, base, pages)
		return err
	})
	if err != nil {
		return Meta{}, fmt.Errorf("snapshots: storing %s of actor %s: %w", st.ID, st.ActorID, err)
	}
	ent := &entry{seq: seq, name: name, full: base == nil, meta: Meta{
		ID: st.ID, ActorID: st.ActorID, ClassID: st.ClassID,
		Taken: st.Taken, Calls: st.Calls, Size: size,
	}}
	a.entries = append(a.entries, ent)
	if base == nil {
		a.base, a.sinceFull = st, 0
	} else {
		ent.meta.Base = base.ID
		a.sinceFull++
	}
	if err := e.retain(a); err != nil {
		return ent.meta, fmt.Errorf("snapshots: stored %s of actor %s, but retention failed: %w", st.ID, st.ActorID, err)
	}
	return ent.meta, nil
}

// retain deletes the snapshots that retention does not keep. A snapshot
// that cannot be deleted stays listed, and its deletion is tried again on
// the next Put.
func (e *engine) retain(a *actorLog) error {
	n := len(a.entries)
	if n <= e.keep {
		return nil
	}
	need := map[string]bool{}
	for _, ent := range a.entries[n-e.keep:] {
		if ent.meta.Base != "" {
			need[ent.meta.Base] = true
		}
	}
	var errs []error
	kept := a.entries[:0:0]
	for i, ent := range a.entries {
		if i >= n-e.keep || (ent.full && ent.bad == nil && need[ent.meta.ID]) {
			kept = append(kept, ent)
			continue
		}
		if err := e.b.remove(a.id, ent.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			kept = append(kept, ent)
			continue
		}
		if a.base != nil && a.base.ID == ent.meta.ID {
			a.base = nil
		}
	}
	a.entries = kept
	return errors.Join(errs...)
}

func (e *engine) get(ctx context.Context, actorID, id string) (*State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := e.lockActor(actorID, false)
	if a == nil {
		return nil, fmt.Errorf("%w: actor %s has no snapshots", ErrNotFound, actorID)
	}
	ent := a.find(id)
	a.mu.Unlock()
	if ent == nil {
		return nil, fmt.Errorf("%w: actor %s has no snapshot %s", ErrNotFound, actorID, id)
	}
	return e.load(a, ent)
}

// load reads and decodes one entry of a (not locked).
func (e *engine) load(a *actorLog, ent *entry) (*State, error) {
	a.mu.Lock()
	if a.gone || !slices.Contains(a.entries, ent) {
		a.mu.Unlock()
		return nil, fmt.Errorf("%w: snapshot %s of actor %s was deleted", ErrNotFound, ent.meta.ID, a.id)
	}
	var (
		data, baseData []byte
		base           *State
		baseEnt        *entry
		err            error
	)
	switch {
	case ent.bad != nil:
		err = ent.bad
	default:
		data, err = e.b.read(a.id, ent.name)
	}
	if err == nil && ent.meta.Base != "" {
		if a.base != nil && a.base.ID == ent.meta.Base {
			base = a.base
		} else if baseEnt = a.find(ent.meta.Base); baseEnt == nil {
			err = fmt.Errorf("%w: base %s of %s is gone", ErrNotFound, ent.meta.Base, ent.meta.ID)
		} else if baseEnt.bad != nil {
			err = fmt.Errorf("base %s: %w", ent.meta.Base, baseEnt.bad)
		} else {
			baseData, err = e.b.read(a.id, baseEnt.name)
		}
	}
	latest := a.latestFull()
	a.mu.Unlock()
	if err != nil {
		return nil, err
	}

	st, err := decode(data, func(string) (*State, error) {
		if base == nil {
			b, err := decode(baseData, nil)
			if err != nil {
				return nil, err
			}
			if b.ActorID != a.id {
				return nil, corrupt("file %s holds a snapshot of actor %s", baseEnt.name, b.ActorID)
			}
			base = b
			e.cacheBase(a, baseEnt, latest, b)
		}
		return base, nil
	})
	if err != nil {
		return nil, err
	}
	if st.ID != ent.meta.ID || st.ActorID != a.id {
		return nil, corrupt("file %s holds snapshot %s of actor %s", ent.name, st.ID, st.ActorID)
	}
	if ent.full {
		e.cacheBase(a, ent, latest, st)
	}
	return st, nil
}

// cacheBase keeps st, the decoded full snapshot of ent, as the base for
// the actor's next incremental snapshots if ent is still its latest full.
func (e *engine) cacheBase(a *actorLog, ent, latest *entry, st *State) {
	if ent != latest {
		return
	}
	a.mu.Lock()
	if !a.gone && a.base == nil && a.latestFull() == ent {
		a.base = st
	}
	a.mu.Unlock()
}

func (e *engine) list(ctx context.Context, actorID string) ([]Meta, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := e.lockActor(actorID, false)
	if a == nil {
		return nil, nil
	}
	defer a.mu.Unlock()
	out := make([]Meta, 0, len(a.entries))
	for i := len(a.entries) - 1; i >= 0; i-- {
		out = append(out, a.entries[i].meta)
	}
	return out, nil
}

func (e *engine) latest(ctx context.Context, actorID string) (*State, []error, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	a := e.lockActor(actorID, false)
	if a == nil {
		return nil, nil, fmt.Errorf("%w: actor %s has no snapshots", ErrNotFound, actorID)
	}
	ents := slices.Clone(a.entries)
	a.mu.Unlock()
	slices.Reverse(ents)
	var errs []error
	for _, ent := range ents {
		if err := ctx.Err(); err != nil {
			return nil, errs, err
		}
		st, err := e.load(a, ent)
		if err == nil {
			return st, errs, nil
		}
		errs = append(errs, fmt.Errorf("snapshot %s of actor %s: %w", ent.meta.ID, actorID, err))
	}
	return nil, errs, fmt.Errorf("%w: none of the %d snapshots of actor %s decodes", ErrNotFound, len(ents), actorID)
}

func (e *engine) delete(ctx context.Context, actorID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a := e.lockActor(actorID, false)
	if a == nil {
		return nil
	}
	defer a.mu.Unlock()
	for i := len(a.entries) - 1; i >= 0; i-- {
		if err := e.b.remove(a.id, a.entries[i].name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			a.entries = a.entries[:i+1]
			return fmt.Errorf("snapshots: deleting actor %s: %w", actorID, err)
		}
	}
	a.entries, a.base = nil, nil
	if err := e.b.removeActor(a.id); err != nil {
		return fmt.Errorf("snapshots: deleting actor %s: %w", actorID, err)
	}
	a.gone = true
	e.mu.Lock()
	if e.actors[actorID] == a {
		delete(e.actors, actorID)
	}
	e.mu.Unlock()
	return nil
}

func (e *engine) actorIDs(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	logs := make([]*actorLog, 0, len(e.actors))
	for _, a := range e.actors {
		logs = append(logs, a)
	}
	e.mu.Unlock()
	var out []string
	for _, a := range logs {
		a.mu.Lock()
		if !a.gone && len(a.entries) > 0 {
			out = append(out, a.id)
		}
		a.mu.Unlock()
	}
	slices.Sort(out)
	return out, nil
}

// fileName is a snapshot's file name: its sequence number in the actor's
// log, so that names sort oldest first, and its escaped ID.
func fileName(seq uint64, id string) string {
	return fmt.Sprintf("%016x-%s%s", seq, escapeName(id), fileExt)
}

// parseFileName parses a fileName.
func parseFileName(name string) (seq uint64, id string, ok bool) {
	rest, ok := strings.CutSuffix(name, fileExt)
	if !ok || len(rest) < 18 || rest[16] != '-' {
		return 0, "", false
	}
	seq, err := strconv.ParseUint(rest[:16], 16, 64)
	if err != nil {
		return 0, "", false
	}
	id, ok = unescapeName(rest[17:])
	return seq, id, ok && fileName(seq, id) == name
}

// escapeName makes s a file name: letters, digits, '-' and '_' stay, other
// bytes become %XX. An escaped name never starts with a dot.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// unescapeName reverses escapeName; ok is false for a name escapeName
// does not produce.
func unescapeName(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 2
	}
	out := b.String()
	return out, out != "" && escapeName(out) == s
}
