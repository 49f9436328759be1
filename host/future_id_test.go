package host

import (
	"context"
	"regexp"
	"testing"
)

// TestFutureIDs_UniqueAcrossRestarts: a recovered durable actor starts its
// call sequence again, but not its future IDs: the IDs of the calls made
// after a host restart (and after a second one) are all new, so a future ID
// kept from before a restart can never name a later call's result (the
// server's GET /v1/futures/{id} looks futures up by this ID).
func TestFutureIDs_UniqueAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	cfg := Config{DataDir: t.TempDir(), Durability: DurabilitySync}
	h := newTestHost(t, cfg)
	a := spawn(t, h, readWasm(t, cCounterPath), Options{Durable: true}, 0)
	id := a.ID()
	format := regexp.MustCompile(`^` + regexp.QuoteMeta(id) + `/[0-9a-f]{12}-[0-9]+(\.[0-9]+)?$`)
	seen := map[string]int{}
	for round := range 3 {
		if round > 0 {
			h = reopen(t, h, cfg)
			var err error
			if a, err = h.Actor(ctx, id); err != nil {
				t.Fatalf("round %d: durable actor not back: %v", round, err)
			}
		}
		for range 5 {
			f, err := a.Call(ctx, "incr", 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Get(ctx); err != nil {
				t.Fatal(err)
			}
			if !format.MatchString(f.ID()) {
				t.Fatalf("future ID %q does not match %s", f.ID(), format)
			}
			if r, dup := seen[f.ID()]; dup {
				t.Fatalf("round %d: future ID %s was already given in round %d", round, f.ID(), r)
			}
			seen[f.ID()] = round
		}
	}
	if len(seen) != 15 {
		t.Fatalf("%d distinct future IDs, want 15", len(seen))
	}
}
