package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/fxamacker/cbor/v2"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/fsys"
)

// File is a durable actor's journal on disk: the calls it completed since
// its latest checkpoint. Each record is framed as
//
//	uint32 length, uint32 CRC-32C of the payload, payload (CBOR)
//
// A record is written whole (and fsynced, in sync mode) before its call is
// acknowledged. When a write or fsync fails, the file is truncated back to
// the last good record, so nothing follows a torn or unacknowledged record;
// when that truncation fails too, the journal refuses every append (its
// calls fail) until a checkpoint empties it. Only the actor's worker
// appends; Close may come from any goroutine.
type File struct {
	mu   sync.Mutex // Close may come from another goroutine than the worker
	f    fsys.File
	sync bool
	buf  []byte
	good int64 // length of the good prefix: records written whole (synced in sync mode)
	// broken is why appends are refused: a failed append could not be
	// undone, so the file may hold garbage after good.
	broken error
}

// record is one entry on disk; Seq is the actor's calls served after it (0
// for the start-up; a reserved export's record repeats the Seq of the call
// before it).
type record struct {
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

// maxRecord bounds one record when reading: the largest argument array plus
// what a call can record, with room to spare.
const maxRecord = 256 << 20

var recordDec = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxArrayElements: 1 << 24, MaxNestedLevels: 4}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// openFile opens (creating it 0600) the journal at path, whose first
// validLen bytes are good records; what follows is cut, so new records
// follow the last good one. The caller has kept the cut bytes aside if
// they mattered. With sync, each append is fsynced.
func openFile(fsy fsys.FS, path string, sync bool, validLen int64) (*File, error) {
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
	return &File{f: f, sync: sync, good: validLen}, nil
}

// Append writes e as the record of call seq (and fsyncs it in sync mode).
// When it fails, the journal is as before the call: the record is cut off.
// After Close it fails with api.ErrClosed.
func (j *File) Append(e *Entry, seq uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return api.ErrClosed
	}
	if j.broken != nil {
		return fmt.Errorf("%w (%w)", ErrBroken, j.broken)
	}
	payload, err := cbor.Marshal(record{Seq: seq, Method: e.Method, Midx: e.Index, Args: e.Args, Clocks: e.Clocks, Rnd: e.Rand, Ext: e.Ext})
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
func (j *File) undo() {
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

// Broken reports whether the journal refuses appends.
func (j *File) Broken() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.broken != nil
}

// Reset empties the journal once a checkpoint holds its calls, which also
// mends a broken journal.
func (j *File) Reset() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return api.ErrClosed
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

// Close closes the file; appends fail after it. Closing twice is harmless.
func (j *File) Close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f != nil {
		_ = j.f.Close()
		j.f = nil
	}
}

// Scan is what Read found in a journal file.
type Scan struct {
	// Entries are the good records, in order, and Seqs their call numbers.
	Entries []*Entry
	Seqs    []uint64
	// Valid is the length of the good prefix, Size the file's.
	Valid, Size int64
	// Torn: what follows Valid is a tail torn by a crash or a failed
	// write (the last record cut short, or zeros): a call never
	// acknowledged.
	Torn bool
	// Bad says why what follows Valid is neither good records nor a torn
	// tail: corruption. nil when Torn or Valid == Size.
	Bad error
}

// maxTornTail bounds the tail Read examines to tell a torn last record
// from corruption; a longer one is corruption.
const maxTornTail = 64 << 20

// Read reads the records of the journal file at path up to the first one
// that is torn or fails its checksum, and says whether what follows them
// is a torn tail or corruption. A missing file is an empty journal.
func Read(fsy fsys.FS, path string) (Scan, error) {
	var sc Scan
	data, err := fsys.Or(fsy).ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return sc, nil
	}
	if err != nil {
		return sc, err
	}
	sc.Size = int64(len(data))
	r := data
	for len(r) > 0 {
		n, err := nextRecord(r)
		if err != nil || n < 0 {
			break // corrupt or cut short: tornTail tells which
		}
		var rec record
		if err := recordDec.Unmarshal(r[8:8+n], &rec); err != nil {
			sc.Bad = fmt.Errorf("record does not decode: %w", err)
			break
		}
		sc.Entries = append(sc.Entries, &Entry{Method: rec.Method, Index: rec.Midx, Args: rec.Args, Clocks: rec.Clocks, Rand: rec.Rnd, Ext: rec.Ext})
		sc.Seqs = append(sc.Seqs, rec.Seq)
		sc.Valid += 8 + int64(n)
		r = r[8+n:]
	}
	if sc.Valid < sc.Size && sc.Bad == nil {
		sc.Torn, sc.Bad = tornTail(r)
	}
	if sc.Bad != nil {
		sc.Bad = fmt.Errorf("at byte %d of %d: %w", sc.Valid, sc.Size, sc.Bad)
	}
	return sc, nil
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
	if n > maxRecord {
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
			var rec record
			if recordDec.Unmarshal(r[i+8:i+8+n], &rec) == nil {
				return false, fmt.Errorf("a record cut short, followed by a whole record at byte %d of the tail", i)
			}
		}
	}
	return true, nil
}
