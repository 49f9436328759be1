package snapshots

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Format constants.
const (
	// Magic opens every encoded snapshot.
	Magic = "WACTSNAP"
	// FormatVersion is the version of the encoding Encode writes. Decode
	// also reads version 1, which had no guest clock (Nanotime reads 0).
	FormatVersion = 2
	// PageSize is the size of a WebAssembly memory page, the unit in which
	// incremental snapshots store memory.
	PageSize = 64 << 10
	// MaxMemory is the largest memory a snapshot holds: 4 GiB, the most a
	// 32-bit WebAssembly memory can have.
	MaxMemory = 4 << 30
)

const (
	kindFull        = 0
	kindIncremental = 1

	headerSize    = 16
	trailerSize   = sha256.Size
	maxMetaSize   = 1 << 20
	maxString     = 4096
	framePages    = 4  // pages per zstd frame written by Encode
	maxFramePages = 64 // most pages per frame Decode accepts
	maxPages      = MaxMemory / PageSize
	// A zstd frame cannot expand more than 32768 times: its smallest block,
	// an RLE block, takes 4 bytes for at most 128 KiB of output.
	maxRatio = 1 << 15
	// maxInput bounds what Decode reads: a 4 GiB memory that did not
	// compress at all, plus the frame and page list overheads.
	maxInput = MaxMemory + 64<<20
)

var le = binary.LittleEndian

// codec holds the zstd encoder and decoder shared by every call. Both are
// safe for concurrent use and run at most GOMAXPROCS compressions (and as
// many decompressions) at a time across the process.
var codec = sync.OnceValues(func() (*codecs, error) {
	n := runtime.GOMAXPROCS(0)
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(n),
		zstd.WithEncoderCRC(false), // the trailer covers everything
		zstd.WithWindowSize(framePages*PageSize),
	)
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(n),
		zstd.WithDecoderMaxMemory(maxFramePages*PageSize),
		zstd.WithDecoderMaxWindow(maxFramePages*PageSize),
		zstd.WithDecodeAllCapLimit(true),
	)
	if err != nil {
		return nil, err
	}
	return &codecs{enc: enc, dec: dec}, nil
})

type codecs struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// bufPool holds frame-sized scratch buffers.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// DiffPages returns the indices of the PageSize pages that differ between
// memories a and b, in increasing order, or nil if they are equal. When the
// memories differ in length, every page past the end of the shorter one
// counts as changed, as does a page that only one of them holds in full.
// Pages the two images share (see Image.Update) are not read, so diffing
// an image against the one it was updated from costs what changed.
func DiffPages(a, b Image) []uint32 {
	var out []uint32
	for i := range max(a.NumPages(), b.NumPages()) {
		pa, pb := a.Page(i), b.Page(i)
		if !samePage(pa, pb) && !bytes.Equal(pa, pb) {
			out = append(out, uint32(i))
		}
	}
	return out
}

// page returns the page of m starting at off, shorter at the end of m.
func page(m []byte, off int) []byte {
	if off >= len(m) {
		return nil
	}
	return m[off:min(off+PageSize, len(m))]
}

// Encode writes st to w in the format described in the package
// documentation. With base nil it writes a full snapshot, holding every page
// of memory; otherwise an incremental one, holding only the pages of st that
// differ from base, which Decode needs base to rebuild. base must be a
// snapshot of the same class and actor with a non-empty ID other than st's.
//
// Encode compresses large memories on up to GOMAXPROCS goroutines. It fails
// with ErrInvalid for a State it cannot encode, or with w's error.
func Encode(w io.Writer, st *State, base *State) error {
	if err := checkEncode(st, base); err != nil {
		return err
	}
	var pages []uint32
	if base != nil {
		pages = DiffPages(base.Memory, st.Memory)
	}
	_, err := encode(w, st, base, pages)
	return err
}

// checkEncode reports why st (and base) cannot be encoded.
func checkEncode(st, base *State) error {
	if st == nil {
		return fmt.Errorf("%w: nil State", ErrInvalid)
	}
	if st.Memory.Len() > MaxMemory {
		return fmt.Errorf("%w: memory of %d bytes exceeds %d", ErrInvalid, st.Memory.Len(), MaxMemory)
	}
	for _, s := range []string{st.ID, st.ClassID, st.ActorID} {
		if len(s) > maxString {
			return fmt.Errorf("%w: identifier of %d bytes exceeds %d", ErrInvalid, len(s), maxString)
		}
	}
	if base == nil {
		return nil
	}
	switch {
	case base.ID == "" || base.ID == st.ID:
		return fmt.Errorf("%w: base needs an ID of its own", ErrInvalid)
	case len(base.ID) > maxString:
		return fmt.Errorf("%w: base ID of %d bytes exceeds %d", ErrInvalid, len(base.ID), maxString)
	case base.ClassID != st.ClassID || base.ActorID != st.ActorID:
		return fmt.Errorf("%w: base %s is of actor %s class %s, not actor %s class %s",
			ErrInvalid, base.ID, base.ActorID, base.ClassID, st.ActorID, st.ClassID)
	case base.Memory.Len() > MaxMemory:
		return fmt.Errorf("%w: base memory of %d bytes exceeds %d", ErrInvalid, base.Memory.Len(), MaxMemory)
	}
	return nil
}

// encode writes st; with base non-nil, pages are the pages of st that differ
// from it (DiffPages). It returns the number of bytes written.
func encode(w io.Writer, st, base *State, pages []uint32) (int64, error) {
	c, err := codec()
	if err != nil {
		return 0, err
	}
	kind, baseID, baseMem := byte(kindFull), "", 0
	if base != nil {
		kind, baseID, baseMem = kindIncremental, base.ID, base.Memory.Len()
	}
	if base == nil {
		pages = nil
	}
	total := st.Memory.NumPages()
	if i, _ := slices.BinarySearch(pages, uint32(total)); i < len(pages) {
		pages = pages[:i] // pages of a longer base, past the end of st
	}
	n := len(pages) // pages stored
	if base == nil {
		n = total
	}

	b := make([]byte, headerSize, 512+4*len(pages)+12*len(st.Globals))
	copy(b, Magic)
	le.PutUint16(b[8:], FormatVersion)
	b[10] = kind
	b = appendString(b, st.ID)
	b = appendString(b, st.ClassID)
	b = appendString(b, st.ActorID)
	b = appendString(b, baseID)
	b = le.AppendUint64(b, uint64(st.Taken.Unix()))
	b = le.AppendUint32(b, uint32(st.Taken.Nanosecond()))
	b = le.AppendUint64(b, st.Calls)
	b = le.AppendUint64(b, uint64(st.Nanotime))
	b = le.AppendUint64(b, uint64(st.Memory.Len()))
	b = le.AppendUint32(b, PageSize)
	b = le.AppendUint32(b, framePages)
	b = le.AppendUint64(b, uint64(baseMem))
	b = le.AppendUint32(b, uint32(len(st.Globals)))
	for _, idx := range slices.Sorted(maps.Keys(st.Globals)) {
		b = le.AppendUint32(b, idx)
		b = le.AppendUint64(b, st.Globals[idx])
	}
	meta := len(b) - headerSize
	if meta > maxMetaSize {
		return 0, fmt.Errorf("%w: metadata of %d bytes (%d globals) exceeds %d", ErrInvalid, meta, len(st.Globals), maxMetaSize)
	}
	le.PutUint32(b[12:], uint32(meta))
	b = le.AppendUint32(b, uint32(n))
	for _, p := range pages {
		b = le.AppendUint32(b, p)
	}

	hw := &hashWriter{w: w, h: sha256.New()}
	if _, err := hw.Write(b); err != nil {
		return hw.n, err
	}

	frames := (n + framePages - 1) / framePages
	compress := func(k int, out, scratch *[]byte) {
		first := k * framePages
		last := min(first+framePages, n) - 1
		var src []byte
		if pages == nil {
			src = st.Memory.span(first, last)
		}
		if src == nil { // pages not in one buffer: gather them
			src = (*scratch)[:0]
			for i := first; i <= last; i++ {
				p := i
				if pages != nil {
					p = int(pages[i])
				}
				src = append(src, st.Memory.Page(p)...)
			}
			*scratch = src
		}
		*out = c.enc.EncodeAll(src, (*out)[:0])
	}
	var werr error
	write := func(frame []byte) {
		var l [4]byte
		le.PutUint32(l[:], uint32(len(frame)))
		if werr == nil {
			_, werr = hw.Write(l[:])
		}
		if werr == nil {
			_, werr = hw.Write(frame)
		}
	}
	if workers := min(frames, runtime.GOMAXPROCS(0)); workers <= 1 {
		out, scratch := bufPool.Get().(*[]byte), bufPool.Get().(*[]byte)
		for k := 0; k < frames && werr == nil; k++ {
			compress(k, out, scratch)
			write(*out)
		}
		bufPool.Put(out)
		bufPool.Put(scratch)
	} else {
		compressOrdered(frames, workers, compress, write, func() bool { return werr != nil })
	}
	if werr != nil {
		return hw.n, werr
	}
	k, err := w.Write(hw.h.Sum(nil))
	return hw.n + int64(k), err
}

// compressOrdered runs compress for frames 0 to frames-1 on workers
// goroutines and passes each result to write in order, as soon as it and
// the frames before it are done. At most 2*workers frames are in flight.
// Once failed reports true, the remaining frames are skipped.
func compressOrdered(frames, workers int, compress func(k int, out, scratch *[]byte), write func([]byte), failed func() bool) {
	type slot struct {
		free, done chan struct{}
		out        *[]byte
	}
	slots := make([]slot, 2*workers)
	for i := range slots {
		slots[i] = slot{free: make(chan struct{}, 1), done: make(chan struct{}, 1), out: bufPool.Get().(*[]byte)}
		slots[i].free <- struct{}{}
	}
	var (
		next atomic.Int64
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			scratch := bufPool.Get().(*[]byte)
			defer bufPool.Put(scratch)
			for {
				k := int(next.Add(1) - 1)
				if k >= frames {
					return
				}
				s := &slots[k%len(slots)]
				<-s.free // the writer is done with frame k-len(slots)
				if !stop.Load() {
					compress(k, s.out, scratch)
				}
				s.done <- struct{}{}
			}
		})
	}
	for k := range frames {
		s := &slots[k%len(slots)]
		<-s.done
		if !stop.Load() {
			write(*s.out)
			if failed() {
				stop.Store(true)
			}
		}
		s.free <- struct{}{}
	}
	wg.Wait()
	for _, s := range slots {
		bufPool.Put(s.out)
	}
}

// frameSpan returns the memory of stored pages first to last (indices into
// pages, or page numbers if pages is nil) if they are contiguous, else nil.
func frameSpan(mem []byte, pages []uint32, first, last int) []byte {
	lo, hi := first, last
	if pages != nil {
		lo, hi = int(pages[first]), int(pages[last])
		if hi-lo != last-first {
			return nil
		}
	}
	return mem[lo*PageSize : min((hi+1)*PageSize, len(mem))]
}

func appendString(b []byte, s string) []byte {
	b = le.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func numPages(size uint64) int { return int((size + PageSize - 1) / PageSize) }

// hashWriter writes to w and hashes and counts what was written.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

// parallel calls fn(0) to fn(n-1) on up to GOMAXPROCS goroutines and
// returns the first error; after one, no new calls start.
func parallel(n int, fn func(i int) error) error {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next atomic.Int64
		once sync.Once
		err  error
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if e := fn(i); e != nil {
					once.Do(func() { err = e })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	return err
}

// header is the parsed header and metadata of an encoded snapshot.
type header struct {
	kind       byte
	id         string
	classID    string
	actorID    string
	base       string
	taken      time.Time
	calls      uint64
	nanotime   int64
	memSize    uint64
	framePages uint32
	baseMem    uint64
	globals    map[uint32]uint64
}

// Decode reads one encoded snapshot from r and rebuilds its State. For an
// incremental snapshot it calls base with the ID of the snapshot it was
// taken against; base may be nil when only full snapshots are expected.
//
// The input is untrusted: Decode reads it whole (at most about 4 GiB),
// verifies its SHA-256 trailer before using any of it, and checks every
// length against the input left and against MaxMemory. It fails with
// ErrFormat for input that is not a snapshot or of another format version,
// with ErrCorrupt for a truncated, altered or inconsistent one (including a
// base that does not match what the snapshot records), with ErrNotFound
// wrapped in context when base is nil for an incremental snapshot, with
// base's error, or with r's.
//
// A decoded State's Taken is in the local time zone and carries no
// monotonic clock reading.
func Decode(r io.Reader, base func(id string) (*State, error)) (*State, error) {
	data, err := readInput(r)
	if err != nil {
		return nil, err
	}
	return decode(data, base)
}

// readInput reads r whole, up to maxInput bytes.
func readInput(r io.Reader) ([]byte, error) {
	hint := int64(bytes.MinRead)
	switch v := r.(type) {
	case interface{ Len() int }:
		hint += int64(v.Len())
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			hint += fi.Size()
		}
	}
	var buf bytes.Buffer
	buf.Grow(int(min(hint, maxInput+bytes.MinRead)))
	if _, err := buf.ReadFrom(io.LimitReader(r, maxInput+1)); err != nil {
		return nil, fmt.Errorf("snapshots: reading snapshot: %w", err)
	}
	if buf.Len() > maxInput {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrCorrupt, int64(maxInput))
	}
	return buf.Bytes(), nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// checkPrefix checks the magic and version that open data.
func checkPrefix(data []byte) error {
	n := min(len(data), len(Magic))
	if string(data[:n]) != Magic[:n] {
		return fmt.Errorf("%w: no %q magic", ErrFormat, Magic)
	}
	if len(data) < len(Magic)+2 {
		return corrupt("truncated at %d bytes", len(data))
	}
	if v := le.Uint16(data[len(Magic):]); v != 1 && v != FormatVersion {
		return fmt.Errorf("%w: version %d, want 1 to %d", ErrFormat, v, FormatVersion)
	}
	return nil
}

// decode decodes a whole encoded snapshot.
func decode(data []byte, baseFn func(id string) (*State, error)) (*State, error) {
	if err := checkPrefix(data); err != nil {
		return nil, err
	}
	if len(data) < headerSize+trailerSize {
		return nil, corrupt("truncated at %d bytes", len(data))
	}
	body, sum := data[:len(data)-trailerSize], data[len(data)-trailerSize:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, corrupt("checksum mismatch")
	}
	h, rest, err := parseHeader(body)
	if err != nil {
		return nil, err
	}

	// The page list and the frames.
	r := reader{b: rest}
	total := numPages(h.memSize)
	n := int(r.u32())
	if n > total || (h.kind == kindFull && n != total) {
		return nil, corrupt("%d pages stored for %d pages of memory", n, total)
	}
	var pages []uint32
	if h.kind == kindIncremental {
		if uint64(n)*4 > uint64(len(r.b)) {
			return nil, corrupt("page list truncated")
		}
		pages = make([]uint32, n)
		for i := range pages {
			pages[i] = r.u32()
			if int(pages[i]) >= total || (i > 0 && pages[i] <= pages[i-1]) {
				return nil, corrupt("page list out of order or past memory")
			}
		}
		// Every page that the base does not hold in full must be stored.
		whole := min(int(h.baseMem/PageSize), total)
		if i, _ := slices.BinarySearch(pages, uint32(whole)); n-i != total-whole {
			return nil, corrupt("pages %d to %d are neither stored nor in the base", whole, total-1)
		}
	}
	fp := int(h.framePages)
	frames := make([][]byte, (n+fp-1)/fp)
	if uint64(len(frames))*4 > uint64(len(r.b)) {
		return nil, corrupt("frames truncated")
	}
	for k := range frames {
		frames[k] = r.take(uint64(r.u32()))
		if r.bad {
			return nil, corrupt("frame %d truncated", k)
		}
		first, last := k*fp, min(k*fp+fp, n)-1
		if uint64(spanLen(h.memSize, pages, first, last)) > uint64(len(frames[k]))*maxRatio {
			return nil, corrupt("frame %d too small for its pages", k)
		}
	}
	if r.bad || len(r.b) != 0 {
		return nil, corrupt("%d bytes after the last frame", len(r.b))
	}

	// The base, then memory.
	var base *State
	if h.kind == kindIncremental {
		if baseFn == nil {
			return nil, fmt.Errorf("snapshots: %s is incremental and no base was given: %w", h.id, ErrNotFound)
		}
		base, err = baseFn(h.base)
		if err != nil {
			return nil, fmt.Errorf("snapshots: base %s of %s: %w", h.base, h.id, err)
		}
		switch {
		case base == nil:
			return nil, fmt.Errorf("snapshots: base %s of %s: %w", h.base, h.id, ErrNotFound)
		case base.ID != h.base || base.ClassID != h.classID || base.ActorID != h.actorID || uint64(base.Memory.Len()) != h.baseMem:
			return nil, corrupt("base %s (actor %s class %s, %d bytes) does not match %s's (%s: actor %s class %s, %d bytes)",
				base.ID, base.ActorID, base.ClassID, base.Memory.Len(), h.id, h.base, h.actorID, h.classID, h.baseMem)
		}
	}
	c, err := codec()
	if err != nil {
		return nil, err
	}
	mem := make([]byte, h.memSize)
	if base != nil {
		base.Memory.CopyTo(mem)
	}
	err = parallel(len(frames), func(k int) error {
		first, last := k*fp, min(k*fp+fp, n)-1
		if dst := frameSpan(mem, pages, first, last); dst != nil {
			out, err := c.dec.DecodeAll(frames[k], dst[:0:len(dst)])
			if err != nil || len(out) != len(dst) {
				return corrupt("frame %d does not decode to its %d bytes: %v", k, len(dst), err)
			}
			if len(out) > 0 && &out[0] != &dst[0] {
				copy(dst, out)
			}
			return nil
		}
		bp := bufPool.Get().(*[]byte)
		defer bufPool.Put(bp)
		want := spanLen(h.memSize, pages, first, last)
		if cap(*bp) < want {
			*bp = make([]byte, 0, want)
		}
		out, err := c.dec.DecodeAll(frames[k], (*bp)[:0:want])
		if err != nil || len(out) != want {
			return corrupt("frame %d does not decode to its %d bytes: %v", k, want, err)
		}
		for i := first; i <= last; i++ {
			out = out[copy(page(mem, int(pages[i])*PageSize), out):]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &State{
		ID: h.id, ClassID: h.classID, ActorID: h.actorID,
		Memory: wrap(mem), Globals: h.globals, Taken: h.taken, Calls: h.calls, Nanotime: h.nanotime,
	}, nil
}

// spanLen is the number of bytes of stored pages first to last.
func spanLen(memSize uint64, pages []uint32, first, last int) int {
	size := 0
	for i := first; i <= last; i++ {
		p := uint64(i)
		if pages != nil {
			p = uint64(pages[i])
		}
		size += int(min(PageSize, memSize-p*PageSize))
	}
	return size
}

// parseHeader parses the header and metadata that open b, after
// checkPrefix, and returns what follows them.
func parseHeader(b []byte) (header, []byte, error) {
	var h header
	if err := checkPrefix(b); err != nil {
		return h, nil, err
	}
	if len(b) < headerSize {
		return h, nil, corrupt("header truncated")
	}
	h.kind = b[10]
	if h.kind > kindIncremental || b[11] != 0 {
		return h, nil, corrupt("unknown kind %d or flags %d", b[10], b[11])
	}
	m := le.Uint32(b[12:])
	if m > maxMetaSize || uint64(m) > uint64(len(b)-headerSize) {
		return h, nil, corrupt("metadata of %d bytes does not fit", m)
	}
	r := reader{b: b[headerSize : headerSize+m]}
	h.id, h.classID, h.actorID, h.base = r.str(), r.str(), r.str(), r.str()
	sec, nsec := int64(r.u64()), r.u32()
	h.taken = time.Unix(sec, int64(nsec))
	h.calls = r.u64()
	if le.Uint16(b[len(Magic):]) >= 2 {
		h.nanotime = int64(r.u64())
	}
	h.memSize = r.u64()
	pageSize := r.u32()
	h.framePages = r.u32()
	h.baseMem = r.u64()
	g := r.u32()
	switch {
	case r.bad:
		return h, nil, corrupt("metadata truncated")
	case nsec >= 1e9:
		return h, nil, corrupt("time has %d nanoseconds", nsec)
	case pageSize != PageSize:
		return h, nil, corrupt("page size %d", pageSize)
	case h.memSize > MaxMemory || h.baseMem > MaxMemory:
		return h, nil, corrupt("memory of %d bytes (base %d)", h.memSize, h.baseMem)
	case h.framePages < 1 || h.framePages > maxFramePages:
		return h, nil, corrupt("%d pages per frame", h.framePages)
	case (h.kind == kindFull) != (h.base == ""), h.kind == kindFull && h.baseMem != 0:
		return h, nil, corrupt("base %q for a snapshot of kind %d", h.base, h.kind)
	case uint64(g)*12 != uint64(len(r.b)):
		return h, nil, corrupt("%d globals in %d bytes", g, len(r.b))
	}
	h.globals = make(map[uint32]uint64, g)
	var prev uint32
	for i := range g {
		idx, v := r.u32(), r.u64()
		if i > 0 && idx <= prev {
			return h, nil, corrupt("global %d out of order", idx)
		}
		h.globals[idx], prev = v, idx
	}
	return h, b[headerSize+m:], nil
}

// reader reads little-endian fields; past the end of b it sets bad and
// returns zeros.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u16() uint16 {
	if p := r.take(2); p != nil {
		return le.Uint16(p)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if p := r.take(4); p != nil {
		return le.Uint32(p)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if p := r.take(8); p != nil {
		return le.Uint64(p)
	}
	return 0
}

func (r *reader) str() string {
	n := r.u16()
	if n > maxString {
		r.bad = true
		return ""
	}
	return string(r.take(uint64(n)))
}
