package logring

import (
	"fmt"
	"testing"
	"time"
)

func has[V any](m *Morgue[V], id string) bool {
	_, _, ok := m.Get(id)
	return ok
}

// TestMorgue_Fairness: a group (a namespace) that kills many actors pushes
// its own dead out of the morgue, not another group's; entries evicted out
// of order do not pile up.
func TestMorgue_Fairness(t *testing.T) {
	var acct Budget
	m := NewMorgue[string](3, time.Hour)
	now := time.Unix(0, 0)
	var released int
	add := func(ns, id string) {
		l := New(10, 1<<20, &acct)
		l.Add(1, id)
		for _, g := range m.Add(id, ns, id, l, now) {
			g.Release()
			released++
		}
		now = now.Add(time.Second)
	}
	add("b", "b0")
	for i := range 1000 {
		add("a", fmt.Sprint("a", i))
	}
	if !has(m, "b0") || m.Len() != 3 || released != 998 {
		t.Fatalf("kept %d, b0 kept: %v, released %d", m.Len(), has(m, "b0"), released)
	}
	if got := m.Values(); len(got) != 3 || got[0] != "b0" || got[1] != "a998" || got[2] != "a999" {
		t.Fatalf("infos %+v", got)
	}
	if n := len(m.all); n > 2*m.Len()+64 {
		t.Fatalf("%d entries in the death order for %d kept", n, m.Len())
	}
	if c := cap(m.all); c > 4*(2*m.Len()+64) { // the queue's backing array is not kept at its peak
		t.Fatalf("death order's capacity %d for %d kept", c, m.Len())
	}
	if want := int64(2 + 4 + 4 + 3*LineOverhead); acct.held.Load() != want { // b0, a998, a999
		t.Fatalf("accounted %d, want %d", acct.held.Load(), want)
	}
	// The TTL takes the oldest first, across groups.
	gone := m.Prune(time.Unix(0, 0).Add(time.Hour)) // b0's age reaches the TTL
	if len(gone) != 1 || has(m, "b0") || m.Len() != 2 {
		t.Fatalf("prune took %d, kept %d", len(gone), m.Len())
	}
}
