package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/wactor/wactor/internal/fsys"
	"github.com/wactor/wactor/snapshots"
)

// persist is where a host with a DataDir keeps what survives it: the
// classes it loaded, and its durable actors' metadata, snapshots and
// journals. Directories are 0700 and files 0600: they hold call arguments
// and actors' memory.
//
//	DATA/classes/<class id>.wasm
//	DATA/classes/<class id>.owners       the namespaces that loaded it (tenancy.go)
//	DATA/actors/<actor id>/actor.json    identity, class, options, constructor arguments
//	DATA/actors/<actor id>/spawning      present while a spawn is not yet durable
//	DATA/actors/<actor id>/journal       calls completed since the latest checkpoint
//	DATA/snapshots/<actor id>/...        snapshots (snapshots.DirStore)
//	DATA/damaged/<actor id>/<time>/...   files an operator's repair or discard set aside
//
// Every file-system operation goes through fs (the OS's unless a test
// injects faults).
type persist struct {
	dir   string
	mode  Durability
	store *snapshots.DirStore
	fs    fsys.FS
	// repairMu serializes operators' repairs and discards.
	repairMu sync.Mutex
}

func openPersist(fsy fsys.FS, dir string, mode Durability, keep int) (*persist, error) {
	fsy = fsys.Or(fsy)
	for _, d := range []string{"classes", "actors", "snapshots"} {
		if err := fsy.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("host: data directory: %w", err)
		}
	}
	store, err := snapshots.NewDirStoreFS(fsy, filepath.Join(dir, "snapshots"), keep)
	if err != nil {
		return nil, fmt.Errorf("host: snapshot store: %w", err)
	}
	// An incremental snapshot holds the pages changed since its full base;
	// the store writes a full one when they reach half of memory, not
	// after a count of snapshots, so checkpoints of a large memory that
	// changes little stay small.
	store.SetFullEvery(1 << 30)
	return &persist{dir: dir, mode: mode, store: store, fs: fsy}, nil
}

// writeAtomic writes a file (0600) so that it holds the new bytes whole or
// its old content (none, for a new file), and is on disk when writeAtomic
// returns. When it fails, the file is as before: a new file does not
// exist, and a replaced one holds its old bytes again (a missing .owners
// file would make a class visible to every namespace).
func (p *persist) writeAtomic(path string, data []byte) error {
	old, err := p.fs.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := p.replace(path, data); err != nil {
		return err
	}
	if err := fsys.SyncDir(p.fs, filepath.Dir(path)); err != nil {
		// Not durable, so not written.
		var undo error
		if existed {
			undo = p.replace(path, old)
		} else {
			undo = p.fs.Remove(path)
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
func (p *persist) replace(path string, data []byte) error {
	f, err := p.fs.CreateTemp(filepath.Dir(path), ".tmp-*")
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
		err = p.fs.Rename(tmp, path)
	}
	if err != nil {
		_ = p.fs.Remove(tmp)
	}
	return err
}

func (p *persist) classPath(id string) string { return filepath.Join(p.dir, "classes", id+".wasm") }

// saveClass writes a class's file, unless it holds these bytes already. A
// file that holds other bytes is corrupt (a class file is named after the
// hash of its content): it is moved under DATA/damaged/classes, not
// overwritten, and the right bytes written.
func (p *persist) saveClass(id string, wasm []byte) error {
	path := p.classPath(id)
	if _, err := p.fs.Stat(path); err == nil {
		if old, err := p.fs.ReadFile(path); err == nil && bytes.Equal(old, wasm) {
			return nil
		}
		dst := filepath.Join(p.dir, "damaged", "classes")
		if err := p.fs.MkdirAll(dst, 0o700); err != nil {
			return err
		}
		if err := p.fs.Rename(path, filepath.Join(dst, id+".wasm."+time.Now().UTC().Format("20060102T150405.000000000Z"))); err != nil {
			return err
		}
	}
	return p.writeAtomic(path, wasm)
}

func (p *persist) removeClass(id string) error {
	err := p.fs.Remove(p.classPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// classFile is a saved class: the ID its file is named after, and its bytes.
type classFile struct {
	id   string
	wasm []byte
}

func (p *persist) classFiles() ([]classFile, error) {
	ents, err := p.fs.ReadDir(filepath.Join(p.dir, "classes"))
	if err != nil {
		return nil, err
	}
	var out []classFile
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := p.fs.ReadFile(p.classPath(id))
		if err != nil {
			return nil, err
		}
		out = append(out, classFile{id: id, wasm: b})
	}
	return out, nil
}

// actorMeta is what actor.json holds.
type actorMeta struct {
	ID       string    `json:"id"`
	Class    string    `json:"class"`
	Options  Options   `json:"options"`
	InitArgs []byte    `json:"init_args"`
	Created  time.Time `json:"created"`
}

func (p *persist) actorDir(id string) string { return filepath.Join(p.dir, "actors", id) }

// The files of an actor's directory.
const (
	metaFile     = "actor.json"
	journalName  = "journal"
	spawningFile = "spawning"
	// removingPrefix names an actor directory whose removal has begun.
	removingPrefix = ".removing-"
)

// saveActor writes a new actor's metadata, with the spawning marker that
// says its spawn is not durable yet (persistStarted removes it): recovery
// removes an actor that has the marker and no snapshot, and reports one
// without the marker as damaged.
func (p *persist) saveActor(m actorMeta) error {
	if err := p.fs.MkdirAll(p.actorDir(m.ID), 0o700); err != nil {
		return err
	}
	f, err := p.fs.OpenFile(filepath.Join(p.actorDir(m.ID), spawningFile), os.O_WRONLY|os.O_CREATE, 0o600)
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
	return p.writeAtomic(filepath.Join(p.actorDir(m.ID), metaFile), b)
}

// spawned removes the spawning marker once the actor's first snapshot is
// stored. Losing the removal in a crash is harmless: recovery ignores the
// marker of an actor that has a snapshot.
func (p *persist) spawned(id string) error {
	err := p.fs.Remove(filepath.Join(p.actorDir(id), spawningFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// removeActor deletes everything kept for an actor, which is not coming
// back (killed, died, or its spawn failed). Its directory is first renamed
// to a .removing- name (and that made durable), so an interrupted removal
// is recognised and finished by the next start rather than mistaken for
// damage.
func (p *persist) removeActor(ctx context.Context, id string) error {
	gone := filepath.Join(p.dir, "actors", removingPrefix+id)
	err := p.fs.Rename(p.actorDir(id), gone)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err == nil {
		if err := fsys.SyncDir(p.fs, filepath.Join(p.dir, "actors")); err != nil {
			return err
		}
	}
	if err := p.store.Delete(ctx, id); err != nil {
		return err
	}
	return p.fs.RemoveAll(gone)
}

// metaEntry is one actor directory found by actorMetas: its metadata, or
// why it could not be read.
type metaEntry struct {
	id       string
	meta     actorMeta
	err      error // the metadata is missing or does not decode
	spawning bool  // the spawning marker is present
	empty    bool  // the directory holds nothing (a spawn stopped before its marker)
}

func (p *persist) actorMetas(log *slog.Logger) ([]metaEntry, error) {
	ents, err := p.fs.ReadDir(filepath.Join(p.dir, "actors"))
	if err != nil {
		return nil, err
	}
	var out []metaEntry
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if id, ok := strings.CutPrefix(e.Name(), removingPrefix); ok {
			// A removal the previous host began: finish it.
			log.Info("finishing the removal of an actor's files", slog.String("actor", id))
			if err := p.store.Delete(context.Background(), id); err != nil {
				log.Error("removing an actor's files", slog.String("actor", id), slog.Any("err", err))
			} else if err := p.fs.RemoveAll(filepath.Join(p.dir, "actors", e.Name())); err != nil {
				log.Error("removing an actor's files", slog.String("actor", id), slog.Any("err", err))
			}
			continue
		}
		me := metaEntry{id: e.Name()}
		if _, err := p.fs.Stat(filepath.Join(p.actorDir(me.id), spawningFile)); err == nil {
			me.spawning = true
		}
		if files, err := p.fs.ReadDir(p.actorDir(me.id)); err == nil && len(files) == 0 {
			me.empty = true
		}
		me.meta, me.err = p.readMeta(me.id)
		out = append(out, me)
	}
	return out, nil
}

// readMeta reads an actor's metadata.
func (p *persist) readMeta(id string) (actorMeta, error) {
	var m actorMeta
	b, err := p.fs.ReadFile(filepath.Join(p.actorDir(id), metaFile))
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err == nil && m.ID != id {
		err = fmt.Errorf("it names actor %q", m.ID)
	}
	if err != nil {
		return m, fmt.Errorf("metadata unreadable: %w", err)
	}
	return m, nil
}

// journal is a durable actor's log on disk of the calls it completed since
// its latest checkpoint. Each record is framed as
//
//	uint32 length, uint32 CRC-32C of the payload, payload (CBOR)
//
// A record is written whole (and fsynced, in sync mode) before its call is
// acknowledged. When a write or fsync fails, the file is truncated back to
// the last good record, so nothing follows a torn or unacknowledged record;
// when that truncation fails too, the journal refuses every append (its
// calls fail) until a checkpoint empties it. Only the actor's worker
// appends.
type journalFile struct {
	mu   sync.Mutex // Close may come from another goroutine than the worker
	f    fsys.File
	sync bool
	buf  []byte
	good int64 // length of the good prefix: records written whole (synced in sync mode)
	// broken is why appends are refused: a failed append could not be
	// undone, so the file may hold garbage after good.
	broken error
}

// journalRecord is one entry on disk; Seq is the actor's calls served after
// it (0 for the start-up; a reserved export's record repeats the Seq of the
// call before it).
type journalRecord struct {
	_      struct{} `cbor:",toarray"`
	Seq    uint64
	Method string
	Midx   int
	Args   []byte
	Clocks []int64
	Rnd    []byte
	Ext    [][]byte
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// maxJournalRecord bounds one record when reading: the largest argument
// array plus what a call can record, with room to spare.
const maxJournalRecord = 256 << 20

var journalDec = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxArrayElements: 1 << 24, MaxNestedLevels: 4}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// openJournal opens (creating it 0600) a journal whose first validLen
// bytes are good records; what follows is cut, so new records follow the
// last good one. The caller has kept the cut bytes aside if they mattered.
func openJournal(fsy fsys.FS, path string, sync bool, validLen int64) (*journalFile, error) {
	f, err := fsys.Or(fsy).OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(validLen); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(validLen, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &journalFile{f: f, sync: sync, good: validLen}, nil
}

// errJournalBroken: the journal refuses appends (see journal.broken).
var errJournalBroken = errors.New("the journal refuses appends since a failed write could not be undone")

// append writes one record (and fsyncs it in sync mode). When it fails,
// the journal is as before the call: the record is cut off.
func (j *journalFile) append(e *entry, seq uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrClosed
	}
	if j.broken != nil {
		return fmt.Errorf("%w (%w)", errJournalBroken, j.broken)
	}
	payload, err := cbor.Marshal(journalRecord{Seq: seq, Method: e.Method, Midx: e.Index, Args: e.Args, Clocks: e.Clocks, Rnd: e.Rand, Ext: e.Ext})
	if err != nil {
		return err
	}
	j.buf = binary.LittleEndian.AppendUint32(j.buf[:0], uint32(len(payload)))
	j.buf = binary.LittleEndian.AppendUint32(j.buf, crc32.Checksum(payload, crcTable))
	j.buf = append(j.buf, payload...)
	n, err := j.f.Write(j.buf)
	if err == nil && n < len(j.buf) {
		err = io.ErrShortWrite
	}
	if err == nil && j.sync {
		err = j.f.Sync()
	}
	if err != nil {
		j.undo()
		return err
	}
	j.good += int64(len(j.buf))
	return nil
}

// undo cuts what a failed append may have left after the good prefix (in
// sync mode, durably: after a failed fsync the record may be on disk
// whole, and must not be replayed as if its call had succeeded). If that
// fails, the journal is broken.
func (j *journalFile) undo() {
	err := j.f.Truncate(j.good)
	if err == nil {
		_, err = j.f.Seek(j.good, io.SeekStart)
	}
	if err == nil && j.sync {
		err = j.f.Sync()
	}
	if err != nil {
		j.broken = err
	}
}

// isBroken reports whether the journal refuses appends.
func (j *journalFile) isBroken() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.broken != nil
}

// reset empties the journal once a checkpoint holds its calls, which also
// mends a broken journal.
func (j *journalFile) reset() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrClosed
	}
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		j.broken = err
		return err
	}
	j.good, j.broken = 0, nil
	return nil
}

func (j *journalFile) close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f != nil {
		_ = j.f.Close()
		j.f = nil
	}
}

// journalScan is what readJournal found in a journal file.
type journalScan struct {
	entries []*entry
	seqs    []uint64
	// valid is the length of the good prefix, size the file's.
	valid, size int64
	// torn: what follows valid is a tail torn by a crash or a failed
	// write (the last record cut short, or zeros): a call never
	// acknowledged.
	torn bool
	// bad says why what follows valid is neither good records nor a torn
	// tail: corruption. nil when torn or valid == size.
	bad error
}

// maxTornTail bounds the tail readJournal examines to tell a torn last
// record from corruption; a longer one is corruption.
const maxTornTail = 64 << 20

// readJournal reads the records of a journal file up to the first one that
// is torn or fails its checksum, and says whether what follows them is a
// torn tail or corruption.
func readJournal(fsy fsys.FS, path string) (journalScan, error) {
	var js journalScan
	data, err := fsys.Or(fsy).ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return js, nil
	}
	if err != nil {
		return js, err
	}
	js.size = int64(len(data))
	r := data
	for len(r) > 0 {
		n, err := nextRecord(r)
		if err != nil || n < 0 {
			break // corrupt or cut short: tornTail tells which
		}
		var rec journalRecord
		if err := journalDec.Unmarshal(r[8:8+n], &rec); err != nil {
			js.bad = fmt.Errorf("record does not decode: %w", err)
			break
		}
		js.entries = append(js.entries, &entry{Method: rec.Method, Index: rec.Midx, Args: rec.Args, Clocks: rec.Clocks, Rand: rec.Rnd, Ext: rec.Ext})
		js.seqs = append(js.seqs, rec.Seq)
		js.valid += 8 + int64(n)
		r = r[8+n:]
	}
	if js.valid < js.size && js.bad == nil {
		js.torn, js.bad = tornTail(r)
	}
	if js.bad != nil {
		js.bad = fmt.Errorf("at byte %d of %d: %w", js.valid, js.size, js.bad)
	}
	return js, nil
}

// nextRecord checks the record r starts with and returns its payload's
// length, -1 if r ends before it does, or why it is corrupt.
func nextRecord(r []byte) (int, error) {
	if len(r) < 8 {
		return -1, nil
	}
	n := binary.LittleEndian.Uint32(r[:4])
	if n == 0 {
		return 0, errors.New("empty record") // no record is empty: its payload is a CBOR array
	}
	if n > maxJournalRecord {
		return 0, fmt.Errorf("record length %d over the limit", n)
	}
	if uint64(len(r)) < 8+uint64(n) {
		return -1, nil
	}
	if crc32.Checksum(r[8:8+n], crcTable) != binary.LittleEndian.Uint32(r[4:8]) {
		return 0, errors.New("record fails its checksum")
	}
	return int(n), nil
}

// tornTail tells a tail cut short by a crash or a failed write from
// corruption: a torn tail is zeros, or one record cut short with no whole
// record after its start (a corrupt length that only looks like a cut
// would be followed by the journal's next records).
func tornTail(r []byte) (bool, error) {
	zeros := true
	for _, b := range r {
		if b != 0 {
			zeros = false
			break
		}
	}
	if zeros {
		return true, nil
	}
	if n, err := nextRecord(r); err != nil || n >= 0 {
		return false, err
	}
	if len(r) > maxTornTail {
		return false, fmt.Errorf("a record cut short with %d bytes after it", len(r))
	}
	budget := 4*len(r) + 1<<20 // bytes checksummed: a crafted tail must not cost quadratic time
	for i := 1; i+8 <= len(r); i++ {
		if n := binary.LittleEndian.Uint32(r[i:]); uint64(n) <= uint64(len(r)-i-8) {
			if budget -= int(n); budget < 0 {
				return false, errors.New("a record cut short, followed by bytes that may hold more records")
			}
		}
		if n, err := nextRecord(r[i:]); err == nil && n > 0 {
			var rec journalRecord
			if journalDec.Unmarshal(r[i+8:i+8+n], &rec) == nil {
				return false, fmt.Errorf("a record cut short, followed by a whole record at byte %d of the tail", i)
			}
		}
	}
	return true, nil
}

// durable reports whether an actor with these options outlives the host.
func (h *Host) durable(o Options) bool {
	return h.persist != nil && (o.Durable || o.Detached)
}

// diskError is a file-system failure described without its file's path
// (error messages never show server paths); it unwraps to the original
// error, so errors.Is(err, syscall.ENOSPC) still holds.
type diskError struct{ err error }

func (e diskError) Error() string {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(e.err, &pe):
		return pe.Op + ": " + pe.Err.Error()
	case errors.As(e.err, &le):
		return le.Op + ": " + le.Err.Error()
	}
	return e.err.Error()
}

func (e diskError) Unwrap() error { return e.err }
