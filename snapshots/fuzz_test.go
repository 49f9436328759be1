package snapshots

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzSeeds adds encoded snapshots to a fuzz corpus and returns the base
// they need.
func fuzzSeeds(f *testing.F) *State {
	full, incr, base, _ := smallSnapshots(f)
	f.Add(full)
	f.Add(incr)
	var buf bytes.Buffer
	if err := Encode(&buf, &State{ID: "e", ActorID: "a"}, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(Magic))
	return base
}

// checkDecoded checks what Decode made of fuzzed input: an error from this
// package, or a State that survives another round trip.
func checkDecoded(t *testing.T, st *State, err error) {
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrNotFound) {
			t.Fatalf("unexpected error: %v", err)
		}
		if st != nil {
			t.Fatal("a State and an error")
		}
		return
	}
	if st.Memory.Len() > MaxMemory {
		t.Fatalf("memory of %d bytes", st.Memory.Len())
	}
	var buf bytes.Buffer
	if err := Encode(&buf, st, nil); err != nil {
		t.Fatalf("re-encoding: %v", err)
	}
	again, err := Decode(&buf, nil)
	if err != nil {
		t.Fatalf("decoding the re-encoded State: %v", err)
	}
	if err := sameState(again, st); err != nil {
		t.Fatal(err)
	}
}

// FuzzDecode decodes arbitrary input: it must never panic, and must fail
// with ErrCorrupt or ErrFormat unless the input is a valid snapshot.
func FuzzDecode(f *testing.F) {
	base := fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Decode(bytes.NewReader(data), baseOf(base))
		checkDecoded(t, st, err)
	})
}

// FuzzDecodeRehashed is FuzzDecode with the trailer replaced by the right
// checksum, so that the fuzzer explores the parser behind it.
func FuzzDecodeRehashed(f *testing.F) {
	base := fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Decode(bytes.NewReader(rehash(bytes.Clone(data))), baseOf(base))
		checkDecoded(t, st, err)
	})
}
