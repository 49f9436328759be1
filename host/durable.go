package host

import (
	"bufio"
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

	"github.com/wactor/wactor/snapshots"
)

// Durability says when a durable actor's completed call is safe from a
// crash. Every mode keeps checkpoints (written atomically and fsynced) and
// the actor's identity; they differ in the calls made since the latest
// checkpoint. See docs/SNAPSHOTS.md.
type Durability string

// Durability modes.
const (
	// DurabilitySync writes each completed call to the actor's journal and
	// fsyncs it before the call's result is returned: no acknowledged call
	// is lost, even to a power failure. It costs an fsync per call.
	DurabilitySync Durability = "sync"
	// DurabilityWrite (the default) writes each completed call to the
	// journal before its result is returned, without fsync: no acknowledged
	// call is lost when the host process dies (kill -9, a crash), because
	// the kernel still holds the write; a power failure or kernel crash can
	// lose the calls since the latest checkpoint.
	DurabilityWrite Durability = "write"
	// DurabilityCheckpoint keeps no journal on disk: after a host restart a
	// durable actor is back at its latest checkpoint, and the calls made
	// since are lost. Use it with a checkpoint policy (CheckpointEvery).
	DurabilityCheckpoint Durability = "checkpoint"
)

// persist is where a host with a DataDir keeps what survives it: the
// classes it loaded, and its durable actors' metadata, snapshots and
// journals.
//
//	DATA/classes/<class id>.wasm
//	DATA/classes/<class id>.owners       the namespaces that loaded it (tenancy.go)
//	DATA/actors/<actor id>/actor.json    identity, class, options, constructor arguments
//	DATA/actors/<actor id>/journal       calls completed since the latest checkpoint
//	DATA/snapshots/<actor id>/...        snapshots (snapshots.DirStore)
type persist struct {
	dir   string
	mode  Durability
	store *snapshots.DirStore
}

func openPersist(dir string, mode Durability, keep int) (*persist, error) {
	for _, d := range []string{"classes", "actors", "snapshots"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("host: data directory: %w", err)
		}
	}
	store, err := snapshots.NewDirStore(filepath.Join(dir, "snapshots"), keep)
	if err != nil {
		return nil, fmt.Errorf("host: snapshot store: %w", err)
	}
	// An incremental snapshot holds the pages changed since its full base;
	// the store writes a full one when they reach half of memory, not
	// after a count of snapshots, so checkpoints of a large memory that
	// changes little stay small.
	store.SetFullEvery(1 << 30)
	return &persist{dir: dir, mode: mode, store: store}, nil
}

// writeAtomic writes a file so that it exists whole or not at all, and is
// on disk when writeAtomic returns.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (p *persist) saveClass(id string, wasm []byte) error {
	path := filepath.Join(p.dir, "classes", id+".wasm")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	return writeAtomic(path, wasm)
}

func (p *persist) removeClass(id string) error {
	err := os.Remove(filepath.Join(p.dir, "classes", id+".wasm"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (p *persist) classFiles() ([][]byte, error) {
	ents, err := os.ReadDir(filepath.Join(p.dir, "classes"))
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".wasm") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.dir, "classes", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
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

func (p *persist) saveActor(m actorMeta) error {
	if err := os.MkdirAll(p.actorDir(m.ID), 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(p.actorDir(m.ID), "actor.json"), b)
}

// removeActor deletes everything kept for an actor: snapshots first, then
// its directory, metadata last, so an interrupted removal is finished by
// the next start (an actor with metadata but no start-up is removed).
func (p *persist) removeActor(ctx context.Context, id string) error {
	err := p.store.Delete(ctx, id)
	_ = os.Remove(filepath.Join(p.actorDir(id), "journal"))
	if e := os.RemoveAll(p.actorDir(id)); err == nil {
		err = e
	}
	return err
}

func (p *persist) actorMetas() ([]actorMeta, []error) {
	ents, err := os.ReadDir(filepath.Join(p.dir, "actors"))
	if err != nil {
		return nil, []error{err}
	}
	var out []actorMeta
	var errs []error
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.actorDir(e.Name()), "actor.json"))
		if errors.Is(err, fs.ErrNotExist) {
			// Spawn died before its metadata was written: nothing was acknowledged.
			_ = os.RemoveAll(p.actorDir(e.Name()))
			continue
		}
		var m actorMeta
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err == nil && m.ID != e.Name() {
			err = fmt.Errorf("metadata names actor %q", m.ID)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("actor %s: %w", e.Name(), err))
			continue
		}
		out = append(out, m)
	}
	return out, errs
}

// journal is a durable actor's log on disk of the calls it completed since
// its latest checkpoint. Each record is framed as
//
//	uint32 length, uint32 CRC-32C of the payload, payload (CBOR)
//
// so that a record torn by a crash is detected and ignored: it belongs to a
// call whose result was never returned. Only the actor's worker uses it.
type journal struct {
	mu   sync.Mutex // Close may come from another goroutine than the worker
	f    *os.File
	sync bool
	buf  []byte
}

// journalRecord is one entry on disk; Seq is the actor's calls served after
// it (0 for the start-up).
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

func openJournal(path string, sync bool, validLen int64) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	// Cut a torn tail, so new records follow the last good one.
	if err := f.Truncate(validLen); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(validLen, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &journal{f: f, sync: sync}, nil
}

// append writes one record (and fsyncs it in sync mode).
func (j *journal) append(e *entry, seq uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrClosed
	}
	payload, err := cbor.Marshal(journalRecord{Seq: seq, Method: e.method, Midx: e.midx, Args: e.args, Clocks: e.clocks, Rnd: e.rnd, Ext: e.ext})
	if err != nil {
		return err
	}
	j.buf = binary.LittleEndian.AppendUint32(j.buf[:0], uint32(len(payload)))
	j.buf = binary.LittleEndian.AppendUint32(j.buf, crc32.Checksum(payload, crcTable))
	j.buf = append(j.buf, payload...)
	if _, err := j.f.Write(j.buf); err != nil {
		return err
	}
	if j.sync {
		return j.f.Sync()
	}
	return nil
}

// reset empties the journal once a checkpoint holds its calls.
func (j *journal) reset() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrClosed
	}
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	_, err := j.f.Seek(0, io.SeekStart)
	return err
}

func (j *journal) close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f != nil {
		_ = j.f.Close()
		j.f = nil
	}
}

// readJournal reads the records of a journal file up to the first one that
// is torn or fails its checksum, and returns them with their sequence
// numbers and the length of the good prefix.
func readJournal(path string) (entries []*entry, seqs []uint64, valid int64, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, 0, nil
	}
	if err != nil {
		return nil, nil, 0, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var head [8]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return entries, seqs, valid, nil // end, or a torn header
		}
		n := binary.LittleEndian.Uint32(head[:4])
		if n > maxJournalRecord {
			return entries, seqs, valid, nil
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return entries, seqs, valid, nil
		}
		if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(head[4:]) {
			return entries, seqs, valid, nil
		}
		var rec journalRecord
		if err := journalDec.Unmarshal(payload, &rec); err != nil {
			return entries, seqs, valid, nil
		}
		entries = append(entries, &entry{method: rec.Method, midx: rec.Midx, args: rec.Args, clocks: rec.Clocks, rnd: rec.Rnd, ext: rec.Ext})
		seqs = append(seqs, rec.Seq)
		valid += 8 + int64(n)
	}
}

// durable reports whether an actor with these options outlives the host.
func (h *Host) durable(o Options) bool {
	return h.persist != nil && (o.Durable || o.Detached)
}

// recover brings back the durable actors a previous host left in DataDir:
// each from its latest good snapshot plus its journal. An actor that cannot
// be brought back is logged and left on disk.
func (h *Host) recover(ctx context.Context) error {
	wasms, err := h.persist.classFiles()
	if err != nil {
		return fmt.Errorf("host: reading saved classes: %w", err)
	}
	for _, w := range wasms {
		if err := h.recoverClass(ctx, w); err != nil {
			h.cfg.Logger.Error("saved class does not load", slog.Any("err", err))
		}
	}
	metas, errs := h.persist.actorMetas()
	for _, err := range errs {
		h.cfg.Logger.Error("saved actor is unreadable", slog.Any("err", err))
	}
	for _, m := range metas {
		if err := h.recoverActor(ctx, m); err != nil {
			h.cfg.Logger.Error("durable actor not recovered", slog.String("actor", m.ID), slog.Any("err", err))
		}
	}
	return nil
}

func (h *Host) recoverActor(ctx context.Context, m actorMeta) error {
	c, err := h.class(m.Class)
	if err != nil {
		return err
	}
	latest, skipped, err := h.persist.store.Latest(ctx, m.ID)
	for _, e := range skipped {
		h.cfg.Logger.Error("snapshot skipped: falling back to an older one", slog.String("actor", m.ID), slog.Any("err", e))
	}
	if err != nil && !errors.Is(err, snapshots.ErrNotFound) {
		return err
	}
	jpath := filepath.Join(h.persist.actorDir(m.ID), "journal")
	entries, seqs, valid, err := readJournal(jpath)
	if err != nil {
		return err
	}
	var calls []*entry
	var served uint64
	if latest == nil {
		if metas, _ := h.persist.store.List(ctx, m.ID); len(metas) > 0 {
			// Keep them for inspection: none decodes (each was logged).
			return fmt.Errorf("none of the %d snapshots of actor %s decodes; its files are left in place", len(metas), m.ID)
		}
		// A spawn writes the actor's first snapshot before it returns: this
		// one was never acknowledged.
		return h.persist.removeActor(ctx, m.ID)
	}
	served = latest.Calls
	for i, e := range entries {
		if seqs[i] > latest.Calls && e.midx >= 0 {
			calls = append(calls, e)
			served = seqs[i]
		}
	}
	a := &actor{
		h: h, id: m.ID, class: c, opts: m.Options, initArgs: m.InitArgs,
		created: m.Created, logs: h.newLog(), state: StatePending,
		ready: make(chan struct{}), durable: true,
	}
	a.children.limit = a.opts.MaxChildren
	if _, err := h.register(a, nil); err != nil {
		return err
	}
	fail := func(err error) error {
		a.startErr = err
		h.forget(a, nil)
		close(a.ready)
		return err
	}
	a.checkpoints = []*snapshots.State{latest}
	a.journal = calls
	a.served.Store(served)
	sb, err := a.rebuild()
	if err != nil {
		return fail(err)
	}
	if h.persist.mode != DurabilityCheckpoint {
		if a.jf, err = openJournal(jpath, h.persist.mode == DurabilitySync, valid); err != nil {
			sb.close()
			return fail(err)
		}
	}
	a.logs.add(0, fmt.Sprintf("wactor: recovered after a host restart (snapshot %s, calls replayed: %d)", latest.ID, len(calls)))
	a.lastActive.Store(time.Now().UnixNano())
	a.mb = newMailbox(h, a)
	a.mu.Lock()
	a.sb, a.state = sb, StateAlive
	h.setLive(a, true)
	a.mu.Unlock()
	close(a.ready)
	h.cfg.Observer.ActorChanged(ActorEvent{ActorID: a.id, Class: c.info.ID, State: StateAlive})
	return nil
}
