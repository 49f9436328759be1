package host

import (
	"context"
	"errors"
	"testing"

	"github.com/wactor/wactor/internal/fsys"
)

// TestHostile_DiskFullRollbacks: a tenant's durable actor is called in a
// loop while the disk is full, so every call fails and is rolled back (its
// sandbox discarded and rebuilt). The rollbacks leak nothing (the host's
// sandbox and memory accounting is back at its baseline), a bystander in
// another namespace answers throughout, and once space is back the actor
// holds exactly its acknowledged calls, also after a restart.
func TestHostile_DiskFullRollbacks(t *testing.T) {
	ctx := context.Background()
	e := newDurEnv(t, DurabilitySync)
	h := e.open()
	victim := spawn(t, h, readWasm(t, cCounterPath), Options{Namespace: "tenant", Durable: true, CheckpointEvery: ptr(5)}, 0)
	acked := int64(0)
	for range 7 {
		acked = invoke[int64](t, victim, "incr", 1)
	}
	b := startBystander(t, h)
	base := takeBaseline(h)
	e.fs.Set(fsys.Fault{Op: fsys.OpWrite, Path: e.dir, Kind: fsys.NoSpace})
	for i := range 200 {
		_, err := victim.Invoke(ctx, "incr", 1)
		if !errors.Is(err, ErrPersist) {
			t.Fatalf("call %d on a full disk: %v, want ErrPersist", i, err)
		}
		if i%50 == 0 {
			b.progress(t, 1)
		}
	}
	e.fs.Clear()
	b.progress(t, 5)
	base.settled(t, h, 1<<20)
	if got := invoke[int64](t, victim, "incr", 1); got != acked+1 {
		t.Fatalf("after the disk-full episode: incr = %d, want %d", got, acked+1)
	}
	b.finish(t)
	id := victim.ID()
	e.open()
	if got := e.get(id); got != acked+1 {
		t.Fatalf("after restart: %d, want %d", got, acked+1)
	}
}
