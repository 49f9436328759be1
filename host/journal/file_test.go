package journal

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRead_tornAndCorrupt: a journal read back stops at the first
// record that is torn (a crash during its write) or fails its checksum,
// reports the length of the good prefix, which openFile keeps, and
// tells a torn tail (a call never acknowledged) from corruption.
func TestRead_tornAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal")
	j, err := openFile(nil, path, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e := &Entry{Method: "incr", Index: 1, Args: []byte{0x81, byte(i)}, Clocks: []int64{int64(i)}, Rand: []byte{1, 2}, Ext: [][]byte{{9}}}
		if err := j.Append(e, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	js, err := Read(nil, path)
	full := js.Valid
	if err != nil || full != int64(len(whole)) || js.Torn || js.Bad != nil {
		t.Fatalf("whole journal: valid %d of %d, torn %v, bad %v, %v", full, len(whole), js.Torn, js.Bad, err)
	}
	tests := []struct {
		name string
		data []byte
		want int // records read (the three records are the same size)
		torn bool
		bad  bool
	}{
		{"whole", whole, 3, false, false},
		{"torn last record", whole[:len(whole)-3], 2, true, false},
		{"torn header of the second record", whole[:full/3+4], 1, true, false},
		{"zeros after the records", append(append([]byte(nil), whole...), make([]byte, 4096)...), 3, true, false},
		{"flipped byte in the second record", flip(whole, int(full)/2), 1, false, true},
		{"flipped byte in the first record", flip(whole, 10), 0, false, true},
		{"length of the first record too large", flip(whole, 1), 0, false, true},
		{"empty", nil, 0, false, false},
		{"garbage", []byte("not a journal at all"), 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			js, err := Read(nil, p)
			if err != nil {
				t.Fatal(err)
			}
			entries, seqs, valid := js.Entries, js.Seqs, js.Valid
			if len(entries) != tt.want {
				t.Fatalf("%d records, want %d", len(entries), tt.want)
			}
			if js.Torn != tt.torn || (js.Bad != nil) != tt.bad {
				t.Fatalf("torn %v, bad %v; want torn %v, bad %v", js.Torn, js.Bad, tt.torn, tt.bad)
			}
			for i, s := range seqs {
				if s != uint64(i+1) || entries[i].Method != "incr" || entries[i].Args[1] != byte(i) {
					t.Fatalf("record %d: seq %d %+v", i, s, entries[i])
				}
			}
			if valid > int64(len(tt.data)) {
				t.Fatalf("valid prefix %d longer than the file (%d)", valid, len(tt.data))
			}
			// New records go after the good prefix.
			j, err := openFile(nil, p, false, valid)
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Append(&Entry{Method: "get", Index: 0}, 99); err != nil {
				t.Fatal(err)
			}
			j.Close()
			again, _ := Read(nil, p)
			if n := len(again.Entries); n != len(entries)+1 || again.Entries[n-1].Method != "get" || again.Bad != nil || again.Torn {
				t.Fatalf("after append: %d records, want %d ending with get", n, len(entries)+1)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0xff
	return c
}

func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed")
	if j, err := openFile(nil, path, false, 0); err == nil {
		_ = j.Append(&Entry{Method: "incr", Index: 1, Args: []byte{0x81, 1}}, 1)
		j.Close()
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
		js, err := Read(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(js.Entries) != len(js.Seqs) || js.Valid < 0 || js.Valid > int64(len(data)) || js.Size != int64(len(data)) {
			t.Fatalf("%d entries, %d seqs, valid %d of %d", len(js.Entries), len(js.Seqs), js.Valid, len(data))
		}
		if js.Torn && js.Bad != nil || (js.Valid < js.Size) != (js.Torn || js.Bad != nil) {
			t.Fatalf("valid %d of %d: torn %v, bad %v", js.Valid, js.Size, js.Torn, js.Bad)
		}
	})
}
