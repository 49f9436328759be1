package host

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wactor/wactor/snapshots"
)

func TestActor_CheckpointRestore(t *testing.T) {
	for _, g := range []struct {
		name, path string
		init       []any
	}{
		{"c", cCounterPath, []any{0}},
		{"go", goCounterPath, nil},
	} {
		t.Run(g.name, func(t *testing.T) {
			h := newTestHost(t, Config{})
			ctx := context.Background()
			a := spawn(t, h, readWasm(t, g.path), Options{}, g.init...)
			invoke[int64](t, a, "incr", 5)
			ck, err := a.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Size == 0 || ck.Calls != 1 || ck.ID == "" {
				t.Fatalf("checkpoint info %+v", ck)
			}
			invoke[int64](t, a, "incr", 3)
			if err := a.Restore(ctx, ck.ID); err != nil {
				t.Fatal(err)
			}
			if got := invoke[int64](t, a, "get"); got != 5 {
				t.Fatalf("get after restore = %d, want 5", got)
			}
			// The restored sandbox keeps working and diverges normally.
			if got := invoke[int64](t, a, "incr", 1); got != 6 {
				t.Fatalf("incr after restore = %d", got)
			}

			fork, err := h.Fork(ctx, a, "", Options{})
			if err != nil {
				t.Fatal(err)
			}
			invoke[int64](t, fork, "incr", 100)
			if got := invoke[int64](t, a, "get"); got != 6 {
				t.Fatalf("source changed by its fork: %d", got)
			}
			if got := invoke[int64](t, fork, "get"); got != 106 {
				t.Fatalf("fork = %d, want 106", got)
			}
			if fork.ID() == a.ID() {
				t.Fatal("fork shares the source's ID")
			}
		})
	}
}

// TestActor_RestartFromCheckpoint: after a trap, a Go guest that grew its
// memory and ran its GC comes back from its checkpoint, not from scratch.
func TestActor_RestartFromCheckpoint(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, readWasm(t, misbehavePath), Options{MaxRestarts: ptr(1)})
	if got := invoke[int64](t, a, "bomb", 8); got != 8 {
		t.Fatalf("bomb(8) = %d", got)
	}
	before := a.Info().MemoryBytes
	if _, err := a.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := a.Invoke(ctx, "crash")
	var te *TrapError
	if !errors.As(err, &te) {
		t.Fatalf("crash: %v", err)
	}
	if got := invoke[int64](t, a, "bomb", 0); got != 8 {
		t.Fatalf("after restart from checkpoint the guest holds %d MiB, want 8", got)
	}
	if after := a.Info().MemoryBytes; after != before {
		t.Fatalf("memory %d after restore, %d before", after, before)
	}
	if got := invoke[string](t, a, "whoami"); got != a.ID() {
		t.Fatalf("whoami = %q", got)
	}
}

func TestActor_Checkpoints(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, readWasm(t, cCounterPath), Options{}, 0)
	var ids []string
	for i := 0; i < 5; i++ {
		invoke[int64](t, a, "incr", 1)
		ck, err := a.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ck.ID)
	}
	list := checkpointsOf(t, a)
	if len(list) != snapshots.DefaultKeep {
		t.Fatalf("%d checkpoints kept, want %d", len(list), snapshots.DefaultKeep)
	}
	for i, ck := range list {
		if want := ids[len(ids)-1-i]; ck.ID != want {
			t.Fatalf("checkpoint %d = %s, want %s (newest first)", i, ck.ID, want)
		}
	}
	if err := a.Restore(ctx, ids[0]); !errors.Is(err, ErrCheckpointNotFound) {
		t.Fatalf("restore of a dropped checkpoint: %v", err)
	}
	if err := a.Restore(ctx, list[2].ID); err != nil {
		t.Fatal(err)
	}
	if got := invoke[int64](t, a, "get"); got != 3 {
		t.Fatalf("get after restoring the oldest kept checkpoint = %d, want 3", got)
	}
}

// TestActor_RayCheckpointHooks: wactor_checkpoint_expired hears of every
// checkpoint retention drops, and wactor_load_checkpoint chooses which
// checkpoint a restart restores (this guest picks the oldest).
func TestActor_RayCheckpointHooks(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{KeepCheckpoints: 2})
	a := spawn(t, h, fixture(t, "ckpolicy"), Options{MaxRestarts: ptr(1)}, 0)
	values := map[string]int64{}
	for i := range 4 {
		v := invoke[int64](t, a, "incr", 1)
		info, err := a.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		values[info.ID] = v
		_ = i
	}
	// Four taken, two kept: two expired, and the calls to the hook were
	// journaled like calls (a restart replays them).
	if got := invoke[int64](t, a, "expired"); got != 2 {
		t.Fatalf("expired = %d, want 2", got)
	}
	kept := checkpointsOf(t, a)
	oldest := kept[len(kept)-1]
	invoke[int64](t, a, "incr", 100)
	if _, err := a.Call(ctx, "trap"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "restart", func() bool { return a.Info().Restarts == 1 })
	if got := invoke[int64](t, a, "get"); got != values[oldest.ID] {
		t.Fatalf("after the restart get = %d, want %d (the oldest kept checkpoint, which the guest chose)", got, values[oldest.ID])
	}
	if !hasLine(logLines(a), "the guest chose checkpoint "+oldest.ID) {
		t.Fatalf("no log line about the guest's choice: %v", logLines(a))
	}
}

func logLines(a *Actor) []LogLine {
	lines, _ := a.Logs(0)
	return lines
}

// TestActor_ShouldCheckpoint: a guest's wactor_should_checkpoint, asked
// after each call, takes checkpoints (this one every 5 calls); so do
// CheckpointEvery and CheckpointInterval.
func TestActor_ShouldCheckpoint(t *testing.T) {
	for _, tt := range []struct {
		name  string
		wasm  func(t *testing.T) []byte
		opts  Options
		calls int
		want  []uint64 // calls served at each checkpoint, newest first
	}{
		{"guest export", func(t *testing.T) []byte { return fixture(t, "ckpolicy") }, Options{}, 12, []uint64{10, 5}},
		{"every 4 calls", func(t *testing.T) []byte { return readWasm(t, cCounterPath) }, Options{CheckpointEvery: ptr(4)}, 9, []uint64{8, 4}},
		{"interval", func(t *testing.T) []byte { return readWasm(t, cCounterPath) }, Options{CheckpointInterval: ptr(time.Nanosecond)}, 2, []uint64{2, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHost(t, Config{})
			a := spawn(t, h, tt.wasm(t), tt.opts, 0)
			for range tt.calls {
				invoke[int64](t, a, "incr", 1)
			}
			var got []uint64
			for _, c := range checkpointsOf(t, a) {
				got = append(got, c.Calls)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("checkpoints at calls %v, want %v", got, tt.want)
			}
		})
	}
}

// checkpointsOf is a.Checkpoints, failing the test on an error.
func checkpointsOf(t testing.TB, a *Actor) []CheckpointInfo {
	t.Helper()
	list, err := a.Checkpoints(context.Background())
	if err != nil {
		t.Fatalf("Checkpoints: %v", err)
	}
	return list
}
