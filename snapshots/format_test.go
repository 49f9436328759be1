package snapshots

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"
)

// encoded encodes st against base, failing the test on error.
func encoded(t testing.TB, st, base *State) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, st, base); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

// baseOf returns a Decode base function that knows only b.
func baseOf(b *State) func(string) (*State, error) {
	return func(id string) (*State, error) {
		if b == nil || id != b.ID {
			return nil, fmt.Errorf("%w: base %s", ErrNotFound, id)
		}
		return b, nil
	}
}

// sameState reports how got differs from want.
func sameState(got, want *State) error {
	switch {
	case got == nil:
		return errors.New("nil State")
	case got.ID != want.ID || got.ClassID != want.ClassID || got.ActorID != want.ActorID:
		return fmt.Errorf("IDs %s/%s/%s, want %s/%s/%s", got.ID, got.ClassID, got.ActorID, want.ID, want.ClassID, want.ActorID)
	case !got.Taken.Equal(want.Taken) || got.Calls != want.Calls:
		return fmt.Errorf("taken %v after %d calls, want %v after %d", got.Taken, got.Calls, want.Taken, want.Calls)
	case !maps.Equal(got.Globals, want.Globals):
		return fmt.Errorf("globals %v, want %v", got.Globals, want.Globals)
	case got.Nanotime != want.Nanotime:
		return fmt.Errorf("guest clock %d, want %d", got.Nanotime, want.Nanotime)
	case got.Memory.Len() != want.Memory.Len():
		return fmt.Errorf("memory of %d bytes, want %d", got.Memory.Len(), want.Memory.Len())
	case !bytes.Equal(got.Memory.Bytes(), want.Memory.Bytes()):
		return fmt.Errorf("memory differs in pages %v", DiffPages(got.Memory, want.Memory))
	}
	return nil
}

func TestRoundTrip(t *testing.T) {
	mem64 := heapMemory(64*PageSize, 1)
	mem4 := heapMemory(4*PageSize, 2)
	odd := heapMemory(3*PageSize+1234, 3)
	grown := append(slices.Clone(mem4), heapMemory(6*PageSize, 4)...)
	zero := make([]byte, 40*PageSize)

	tests := []struct {
		name      string
		base, mem []byte // base nil: full snapshot
		maxPages  int    // for incremental: most pages' worth of bytes expected
	}{
		{name: "full/empty", mem: nil},
		{name: "full/one page", mem: mem4[:PageSize]},
		{name: "full/partial last page", mem: odd},
		{name: "full/several frames", mem: mem64},
		{name: "full/zero", mem: zero},
		{name: "incremental/unchanged", base: mem64, mem: mem64, maxPages: 0},
		{name: "incremental/one byte", base: mem64, mem: dirtied(mem64, []int{17}, 1), maxPages: 1},
		{name: "incremental/20 scattered pages", base: mem64, mem: dirtied(mem64, spread(20, 64, 1), 2), maxPages: 20},
		{name: "incremental/3 pages", base: mem64, mem: dirtied(mem64, []int{0, 1, 63}, 3), maxPages: 3},
		{name: "incremental/contiguous run", base: mem64, mem: dirtied(mem64, []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}, 4), maxPages: 18},
		{name: "incremental/grown memory", base: mem4, mem: dirtied(grown, []int{1}, 5), maxPages: 7},
		{name: "incremental/grown partial page", base: odd, mem: append(slices.Clone(odd), 1, 2, 3), maxPages: 1},
		{name: "incremental/shrunk memory", base: mem64, mem: mem64[:10*PageSize], maxPages: 0},
		{name: "incremental/from empty", base: nil, mem: mem4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newState("actor-1", tt.mem, 7)
			var base *State
			if tt.base != nil || tt.name == "incremental/from empty" {
				base = newState("actor-1", tt.base, 3)
			}
			enc := encoded(t, st, base)
			got, err := Decode(bytes.NewReader(enc), baseOf(base))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := sameState(got, st); err != nil {
				t.Fatal(err)
			}
			if base != nil && tt.base != nil {
				if max := (tt.maxPages+1)*PageSize + 4096; len(enc) > max {
					t.Errorf("incremental snapshot of %d bytes, want at most %d", len(enc), max)
				}
			}
			// Decode from a reader without a length or size, and from a file.
			got, err = Decode(iotest.HalfReader(bytes.NewReader(enc)), baseOf(base))
			if err != nil || sameState(got, st) != nil {
				t.Fatalf("Decode from a plain reader: %v", err)
			}
			path := filepath.Join(t.TempDir(), "s")
			if err := os.WriteFile(path, enc, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got, err = Decode(f, baseOf(base)); err != nil || sameState(got, st) != nil {
				t.Fatalf("Decode from a file: %v", err)
			}
		})
	}
}

func TestEncodeDeterministic(t *testing.T) {
	st := newState("a", heapMemory(40*PageSize, 9), 1)
	if a, b := encoded(t, st, nil), encoded(t, st, nil); !bytes.Equal(a, b) {
		t.Fatal("two encodings of one State differ")
	}
}

func TestDiffPages(t *testing.T) {
	mem := heapMemory(8*PageSize, 5)
	oneByte := slices.Clone(mem)
	oneByte[3*PageSize+100]++
	lastByte := slices.Clone(mem)
	lastByte[len(lastByte)-1]++
	tests := []struct {
		name string
		a, b []byte
		want []uint32
	}{
		{"both empty", nil, nil, nil},
		{"equal", mem, slices.Clone(mem), nil},
		{"one byte changed", mem, oneByte, []uint32{3}},
		{"last byte changed", mem, lastByte, []uint32{7}},
		{"first byte changed", mem, append([]byte{mem[0] + 1}, mem[1:]...), []uint32{0}},
		{"grown memory", mem[:5*PageSize], mem, []uint32{5, 6, 7}},
		{"shrunk memory", mem, mem[:6*PageSize], []uint32{6, 7}},
		{"grown within a page", mem[:2*PageSize+10], mem[:2*PageSize+20], []uint32{2}},
		{"from empty", nil, mem[:2*PageSize], []uint32{0, 1}},
		{"grown with zeros", mem[:PageSize], append(slices.Clone(mem[:PageSize]), make([]byte, PageSize)...), []uint32{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DiffPages(ImageOf(tt.a), ImageOf(tt.b)); !slices.Equal(got, tt.want) {
				t.Errorf("DiffPages = %v, want %v", got, tt.want)
			}
			if got := DiffPages(ImageOf(tt.b), ImageOf(tt.a)); !slices.Equal(got, tt.want) {
				t.Errorf("DiffPages reversed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEncodeInvalid(t *testing.T) {
	st := newState("a", heapMemory(PageSize, 1), 2)
	other := func(f func(*State)) *State {
		b := newState("a", heapMemory(PageSize, 2), 1)
		f(b)
		return b
	}
	long := string(make([]byte, maxString+1))
	tests := []struct {
		name     string
		st, base *State
	}{
		{"nil state", nil, nil},
		{"long ID", &State{ID: long}, nil},
		{"base of another actor", st, other(func(b *State) { b.ActorID = "b" })},
		{"base of another class", st, other(func(b *State) { b.ClassID = "c" })},
		{"base without ID", st, other(func(b *State) { b.ID = "" })},
		{"base with the same ID", st, other(func(b *State) { b.ID = st.ID })},
		{"too many globals", &State{Globals: func() map[uint32]uint64 {
			g := map[uint32]uint64{}
			for i := range uint32(maxMetaSize / 12) {
				g[i] = 1
			}
			return g
		}()}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tt.st, tt.base); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Encode = %v, want ErrInvalid", err)
			}
		})
	}
}

// smallSnapshots returns a full snapshot of a few pages and an incremental
// one against it, and the states they encode.
func smallSnapshots(t testing.TB) (full, incr []byte, base, st *State) {
	mem := make([]byte, 3*PageSize+100) // mostly zero, so that it encodes small
	for i := range 40 {
		copy(mem[i*4999:], fmt.Sprintf("object %d at %#x", i, i*4999))
	}
	base = newState("actor-x", mem, 1)
	st = newState("actor-x", dirtied(append(mem, make([]byte, PageSize)...), []int{1}, 1), 2)
	return encoded(t, base, nil), encoded(t, st, base), base, st
}

func TestDecodeCorruption(t *testing.T) {
	full, incr, base, st := smallSnapshots(t)
	for _, tt := range []struct {
		name string
		enc  []byte
		want *State
	}{{"full", full, base}, {"incremental", incr, st}} {
		t.Run(tt.name+"/flip every byte", func(t *testing.T) {
			for i := range tt.enc {
				bad := slices.Clone(tt.enc)
				bad[i] ^= 0xff
				got, err := Decode(bytes.NewReader(bad), baseOf(base))
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormat) {
					t.Fatalf("byte %d flipped: err = %v, want ErrCorrupt or ErrFormat", i, err)
				}
				if got != nil {
					t.Fatalf("byte %d flipped: got a State", i)
				}
			}
		})
		t.Run(tt.name+"/flip one bit", func(t *testing.T) {
			for i := range tt.enc {
				bad := slices.Clone(tt.enc)
				bad[i] ^= 1 << (i % 8)
				if _, err := Decode(bytes.NewReader(bad), baseOf(base)); !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormat) {
					t.Fatalf("bit flipped in byte %d: err = %v", i, err)
				}
			}
		})
		t.Run(tt.name+"/truncate at every length", func(t *testing.T) {
			for n := range len(tt.enc) {
				got, err := Decode(bytes.NewReader(tt.enc[:n]), baseOf(base))
				if !errors.Is(err, ErrCorrupt) || got != nil {
					t.Fatalf("truncated to %d bytes: %v, want ErrCorrupt", n, err)
				}
			}
		})
		t.Run(tt.name+"/trailing bytes", func(t *testing.T) {
			if _, err := Decode(bytes.NewReader(append(slices.Clone(tt.enc), 0)), baseOf(base)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
		t.Run(tt.name+"/intact", func(t *testing.T) {
			got, err := Decode(bytes.NewReader(tt.enc), baseOf(base))
			if err != nil {
				t.Fatal(err)
			}
			if err := sameState(got, tt.want); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDecodeFormat(t *testing.T) {
	full, _, _, _ := smallSnapshots(t)
	version := slices.Clone(full)
	version[8] = 3
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"magic prefix", []byte("WACT"), ErrCorrupt},
		{"other file", []byte("\x7fELF and more bytes than a header and a trailer hold, to be sure"), ErrFormat},
		{"wrong magic", append([]byte("WACTSNAQ"), full[8:]...), ErrFormat},
		{"version 3", version, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(bytes.NewReader(tt.in), nil); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestDecode_version1 decodes the first format, which had no guest clock:
// Nanotime reads 0 and the rest decodes as written.
func TestDecode_version1(t *testing.T) {
	st := newState("actor-v1", heapMemory(2*PageSize, 5), 3)
	st.Nanotime = 0
	v2 := encoded(t, st, nil)
	// The clock is the 8 bytes after Calls in the metadata: drop them.
	off := headerSize
	for range 4 {
		off += 2 + int(le.Uint16(v2[off:]))
	}
	off += 8 + 4 + 8
	if le.Uint64(v2[off:]) != 0 {
		t.Fatalf("clock field not found at %d", off)
	}
	v1 := append(slices.Clone(v2[:off]), v2[off+8:]...)
	le.PutUint16(v1[8:], 1)
	le.PutUint32(v1[12:], le.Uint32(v1[12:])-8)
	got, err := Decode(bytes.NewReader(rehash(v1)), nil)
	if err != nil {
		t.Fatalf("Decode(version 1): %v", err)
	}
	if err := sameState(got, st); err != nil {
		t.Fatal(err)
	}

	st.Nanotime = 123456789
	got, err = Decode(bytes.NewReader(encoded(t, st, nil)), nil)
	if err != nil || got.Nanotime != st.Nanotime {
		t.Fatalf("Decode(version 2): Nanotime = %d, %v; want %d", got.Nanotime, err, st.Nanotime)
	}
}

// rehash replaces an encoding's trailer with the checksum of the rest, so
// that it reaches the parser.
func rehash(b []byte) []byte {
	if len(b) < trailerSize {
		return b
	}
	sum := sha256.Sum256(b[:len(b)-trailerSize])
	copy(b[len(b)-trailerSize:], sum[:])
	return b
}

// TestDecodeInconsistent alters every byte before the trailer and fixes the
// checksum: Decode must not panic, and may only succeed when the byte was
// one of the metadata's free values.
func TestDecodeInconsistent(t *testing.T) {
	full, incr, base, _ := smallSnapshots(t)
	for name, enc := range map[string][]byte{"full": full, "incremental": incr} {
		t.Run(name, func(t *testing.T) {
			for i := range len(enc) - trailerSize {
				for _, x := range []byte{0x01, 0x80, 0xff} {
					bad := slices.Clone(enc)
					bad[i] ^= x
					_, err := Decode(bytes.NewReader(rehash(bad)), baseOf(base))
					if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrNotFound) {
						t.Fatalf("byte %d ^ %#x: unexpected error %v", i, x, err)
					}
				}
			}
		})
	}
}

// TestDecodeHugeClaims checks that lengths a small input claims are
// refused before anything of that size is allocated.
func TestDecodeHugeClaims(t *testing.T) {
	build := func(kind byte, memSize uint64, fp uint32, body []byte) []byte {
		b := make([]byte, headerSize)
		copy(b, Magic)
		le.PutUint16(b[8:], FormatVersion)
		b[10] = kind
		base := ""
		baseMem := uint64(0)
		if kind == kindIncremental {
			base, baseMem = "b", PageSize
		}
		for _, s := range []string{"id", "class-1", "actor-x", base} {
			b = appendString(b, s)
		}
		b = le.AppendUint64(b, 1)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint64(b, 1)
		b = le.AppendUint64(b, memSize)
		b = le.AppendUint32(b, PageSize)
		b = le.AppendUint32(b, fp)
		b = le.AppendUint64(b, baseMem)
		b = le.AppendUint32(b, 0)
		le.PutUint32(b[12:], uint32(len(b)-headerSize))
		b = append(b, body...)
		return rehash(append(b, make([]byte, trailerSize)...))
	}
	u32s := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = le.AppendUint32(b, v)
		}
		return b
	}
	manyEmptyFrames := u32s(maxPages)
	manyEmptyFrames = append(manyEmptyFrames, make([]byte, 4*maxPages/64)...)
	tests := []struct {
		name string
		in   []byte
	}{
		{"4 GiB in empty frames", build(kindFull, MaxMemory, 64, manyEmptyFrames)},
		{"over 4 GiB", build(kindFull, MaxMemory+1, 64, u32s(maxPages+1))},
		{"page count past memory", build(kindFull, PageSize, 16, u32s(2))},
		{"page list longer than input", build(kindIncremental, MaxMemory, 16, u32s(maxPages))},
		{"frame longer than input", build(kindFull, PageSize, 16, u32s(1, 1<<30))},
		{"unlisted grown pages", build(kindIncremental, 4*PageSize, 16, u32s(1, 3, 0))},
		{"pages out of order", build(kindIncremental, 4*PageSize, 16, u32s(3, 3, 2, 1, 0))},
		{"bad frame size", build(kindFull, PageSize, 0, u32s(1, 0))},
	}
	base := &State{ID: "b", ClassID: "class-1", ActorID: "actor-x", Memory: ImageOf(make([]byte, PageSize))}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(bytes.NewReader(tt.in), baseOf(base)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestDecodeBase(t *testing.T) {
	_, incr, base, _ := smallSnapshots(t)
	wrongSize := *base
	wrongSize.Memory = ImageOf(base.Memory.Bytes()[:PageSize])
	wrongActor := *base
	wrongActor.ActorID = "someone-else"
	boom := errors.New("boom")
	tests := []struct {
		name string
		fn   func(string) (*State, error)
		want error
	}{
		{"no base function", nil, ErrNotFound},
		{"base not found", baseOf(nil), ErrNotFound},
		{"base error", func(string) (*State, error) { return nil, boom }, boom},
		{"nil base", func(string) (*State, error) { return nil, nil }, ErrNotFound},
		{"base of another size", func(string) (*State, error) { return &wrongSize, nil }, ErrCorrupt},
		{"base of another actor", func(string) (*State, error) { return &wrongActor, nil }, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(bytes.NewReader(incr), tt.fn); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSmallSnapshotsAreSmall(t *testing.T) {
	full, incr, _, _ := smallSnapshots(t)
	t.Logf("full %d bytes, incremental %d bytes", len(full), len(incr))
	if len(full) > 4096 || len(incr) > 4096 {
		t.Fatalf("full %d bytes, incremental %d bytes: too big for byte-by-byte tests", len(full), len(incr))
	}
}

// failingWriter fails once it has written n bytes.
type failingWriter struct{ n int }

var errWrite = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errWrite
	}
	f.n -= len(p)
	return len(p), nil
}

func TestEncodeWriterError(t *testing.T) {
	st := newState("a", heapMemory(64*PageSize, 3), 1)
	size := len(encoded(t, st, nil))
	for _, n := range []int{0, 10, 500, size / 3, size / 2, size - 40, size - 1} {
		if err := Encode(&failingWriter{n: n}, st, nil); !errors.Is(err, errWrite) {
			t.Errorf("writer failing after %d of %d bytes: Encode = %v", n, size, err)
		}
	}
}
