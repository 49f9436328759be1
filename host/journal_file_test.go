package host

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadJournal_tornAndCorrupt: a journal read back stops at the first
// record that is torn (a crash during its write) or fails its checksum,
// and reports the length of the good prefix, which openJournal keeps.
func TestReadJournal_tornAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal")
	j, err := openJournal(path, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e := &entry{method: "incr", midx: 1, args: []byte{0x81, byte(i)}, clocks: []int64{int64(i)}, rnd: []byte{1, 2}, ext: [][]byte{{9}}}
		if err := j.append(e, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	j.close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, _, full, err := readJournal(path)
	if err != nil || full != int64(len(whole)) {
		t.Fatalf("whole journal: valid %d of %d, %v", full, len(whole), err)
	}
	tests := []struct {
		name string
		data []byte
		want int // records read (the three records are the same size)
	}{
		{"whole", whole, 3},
		{"torn last record", whole[:len(whole)-3], 2},
		{"torn header of the second record", whole[:full/3+4], 1},
		{"flipped byte in the second record", flip(whole, int(full)/2), 1},
		{"empty", nil, 0},
		{"garbage", []byte("not a journal at all"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			entries, seqs, valid, err := readJournal(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != tt.want {
				t.Fatalf("%d records, want %d", len(entries), tt.want)
			}
			for i, s := range seqs {
				if s != uint64(i+1) || entries[i].method != "incr" || entries[i].args[1] != byte(i) {
					t.Fatalf("record %d: seq %d %+v", i, s, entries[i])
				}
			}
			if valid > int64(len(tt.data)) {
				t.Fatalf("valid prefix %d longer than the file (%d)", valid, len(tt.data))
			}
			// New records go after the good prefix.
			j, err := openJournal(p, false, valid)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.append(&entry{method: "get", midx: 0}, 99); err != nil {
				t.Fatal(err)
			}
			j.close()
			again, _, _, _ := readJournal(p)
			if len(again) != len(entries)+1 || again[len(again)-1].method != "get" {
				t.Fatalf("after append: %d records, want %d ending with get", len(again), len(entries)+1)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0xff
	return c
}

func FuzzReadJournal(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed")
	if j, err := openJournal(path, false, 0); err == nil {
		_ = j.append(&entry{method: "incr", midx: 1, args: []byte{0x81, 1}}, 1)
		j.close()
		if b, err := os.ReadFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "j")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		entries, seqs, valid, err := readJournal(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(seqs) || valid < 0 || valid > int64(len(data)) {
			t.Fatalf("%d entries, %d seqs, valid %d of %d", len(entries), len(seqs), valid, len(data))
		}
	})
}
