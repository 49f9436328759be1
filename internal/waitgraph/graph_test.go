package waitgraph

import (
	"slices"
	"testing"
)

// TestGraph: a wait that closes a cycle is refused with the cycle; others
// are recorded until removed.
func TestGraph(t *testing.T) {
	var g Graph[string]
	for _, w := range [][2]string{{"a", "b"}, {"b", "c"}, {"x", ""}} {
		if cycle := g.Add(w[0], w[1]); cycle != nil {
			t.Fatalf("%s -> %s: cycle %v", w[0], w[1], cycle)
		}
	}
	if cycle := g.Add("c", "a"); !slices.Equal(cycle, []string{"c", "a", "b", "c"}) {
		t.Fatalf("cycle %v", cycle)
	}
	if g.WaitsFor("c") != "" {
		t.Fatal("a refused wait was recorded")
	}
	if cycle := g.Add("c", "c"); !slices.Equal(cycle, []string{"c", "c"}) {
		t.Fatalf("self-wait: %v", cycle)
	}
	g.RemoveIf("b", "x") // not b's wait
	if g.WaitsFor("b") != "c" {
		t.Fatal("RemoveIf removed another wait")
	}
	g.RemoveIf("b", "c")
	if cycle := g.Add("c", "a"); cycle != nil {
		t.Fatalf("after RemoveIf: cycle %v", cycle)
	}
	g.Remove("c")
	if g.WaitsFor("c") != "" {
		t.Fatal("Remove")
	}
}
