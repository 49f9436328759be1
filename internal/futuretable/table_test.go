package futuretable

import (
	"slices"
	"testing"
)

type fut struct{ size int }

func sizeOf(f *fut) int { return f.size }

// TestTable: futures are numbered from 1, taken once, and counted
// unresolved until resolved.
func TestTable(t *testing.T) {
	var tb Table[*fut]
	a, b := &fut{1}, &fut{2}
	if id := tb.Add(a); id != 1 {
		t.Fatalf("first id %d", id)
	}
	if id := tb.Add(b); id != 2 {
		t.Fatalf("second id %d", id)
	}
	if n := tb.Unresolved(); n != 2 {
		t.Fatalf("unresolved %d", n)
	}
	tb.Resolved(1, a, sizeOf)
	if kept, unresolved := tb.Counts(); kept != 1 || unresolved != 1 {
		t.Fatalf("kept %d, unresolved %d", kept, unresolved)
	}
	if f, ok, dropped := tb.Take(2); !ok || dropped || f != b {
		t.Fatalf("take 2: %v %v %v", f, ok, dropped)
	}
	tb.Resolved(2, b, sizeOf) // awaited already: not kept
	if kept, unresolved := tb.Counts(); kept != 1 || unresolved != 0 {
		t.Fatalf("kept %d, unresolved %d", kept, unresolved)
	}
	if f, ok, _ := tb.Take(1); !ok || f != a {
		t.Fatal("take 1")
	}
	if _, ok, dropped := tb.Take(1); ok || dropped {
		t.Fatal("a future taken twice")
	}
}

// TestTableDrops: past the bounds the oldest kept results are dropped, and
// an await of one is told so.
func TestTableDrops(t *testing.T) {
	var tb Table[*fut]
	for range MaxKept + 5 {
		f := &fut{1}
		tb.Resolved(tb.Add(f), f, sizeOf)
	}
	if kept, _ := tb.Counts(); kept != MaxKept {
		t.Fatalf("kept %d, want %d", kept, MaxKept)
	}
	for id := int64(1); id <= 5; id++ {
		if _, ok, dropped := tb.Take(id); ok || !dropped {
			t.Fatalf("future %d: ok %v, dropped %v", id, ok, dropped)
		}
	}
	if _, ok, _ := tb.Take(6); !ok {
		t.Fatal("future 6 was dropped")
	}
	big := &fut{MaxKeptBytes + 1}
	tb.Resolved(tb.Add(big), big, sizeOf)
	if kept, _ := tb.Counts(); kept != 0 {
		t.Fatalf("kept %d past the byte bound", kept)
	}
	// 6 was awaited, and the big result is dropped too: two runs.
	if want := []idSpan{{1, 5}, {7, MaxKept + 6}}; !slices.Equal(tb.dropped, want) {
		t.Fatalf("dropped spans %v, want %v", tb.dropped, want)
	}
}
