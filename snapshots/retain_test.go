package snapshots

import (
	"fmt"
	"testing"
)

// TestRetain: the newest keep states are kept in order, the older ones
// returned, oldest first; at least one is always kept.
func TestRetain(t *testing.T) {
	mk := func(n int) []*State {
		out := make([]*State, n)
		for i := range out {
			out[i] = &State{ID: fmt.Sprint(i)}
		}
		return out
	}
	ids := func(l []*State) string {
		s := ""
		for _, st := range l {
			s += st.ID
		}
		return s
	}
	for _, tt := range []struct {
		n, keep       int
		kept, dropped string
	}{
		{0, 3, "", ""},
		{2, 3, "01", ""},
		{3, 3, "012", ""},
		{4, 3, "123", "0"},
		{6, 2, "45", "0123"},
		{2, 0, "1", "0"},
	} {
		list := mk(tt.n)
		all := list[:len(list):len(list)]
		kept, dropped := Retain(list, tt.keep)
		if ids(kept) != tt.kept || ids(dropped) != tt.dropped {
			t.Errorf("Retain(%d states, %d) = %q, %q; want %q, %q", tt.n, tt.keep, ids(kept), ids(dropped), tt.kept, tt.dropped)
		}
		for i := len(kept); i < len(all); i++ {
			if all[i] != nil {
				t.Errorf("Retain(%d states, %d): slot %d of the backing array still holds a state", tt.n, tt.keep, i)
			}
		}
	}
}
