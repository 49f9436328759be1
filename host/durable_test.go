package host

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// reopen closes h and starts a host on the same data directory.
func reopen(t *testing.T, h *Host, cfg Config) *Host {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return newTestHost(t, cfg)
}

func TestHost_Durable(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		mode  Durability
		every int
		want  int64 // counter value after a restart: 10 + 7 incr, minus what the mode loses
	}{
		{"c/sync", cCounterPath, DurabilitySync, 0, 17},
		{"c/write", cCounterPath, DurabilityWrite, 3, 17},
		{"c/checkpoint every 3", cCounterPath, DurabilityCheckpoint, 3, 16},
		{"go/write", goCounterPath, DurabilityWrite, 0, 17},
		{"go/checkpoint every 2", goCounterPath, DurabilityCheckpoint, 2, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := Config{DataDir: t.TempDir(), Durability: tt.mode}
			h := newTestHost(t, cfg)
			a := spawn(t, h, readWasm(t, tt.path), Options{Durable: true, Name: "d", CheckpointEvery: ptr(tt.every)}, 10)
			plain := spawn(t, h, readWasm(t, tt.path), Options{}, 1)
			for range 7 {
				invoke[int64](t, a, "incr", 1)
			}
			id := a.ID()

			h = reopen(t, h, cfg)
			b, err := h.Actor(ctx, id)
			if err != nil {
				t.Fatalf("durable actor not back after restart: %v", err)
			}
			if got := invoke[int64](t, b, "get"); got != tt.want {
				t.Fatalf("get after restart = %d, want %d", got, tt.want)
			}
			if n, err := h.Lookup(ctx, DefaultNamespace, "d"); err != nil || n.ID() != id {
				t.Fatalf("name not restored: %v", err)
			}
			if _, err := h.Actor(ctx, plain.ID()); !errors.Is(err, ErrActorNotFound) {
				t.Fatalf("a non-durable actor came back: %v", err)
			}
			// It keeps working and stays durable.
			invoke[int64](t, b, "incr", 100)
			if tt.mode == DurabilityCheckpoint {
				if _, err := b.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
			}
			h = reopen(t, h, cfg)
			if b, err = h.Actor(ctx, id); err != nil {
				t.Fatal(err)
			}
			if got := invoke[int64](t, b, "get"); got != tt.want+100 {
				t.Fatalf("get after second restart = %d, want %d", got, tt.want+100)
			}
			// Killing it removes it for good.
			if err := b.Kill(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(cfg.DataDir, "actors", id)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("killed durable actor's files remain: %v", err)
			}
			h = reopen(t, h, cfg)
			if _, err := h.Actor(ctx, id); !errors.Is(err, ErrActorNotFound) {
				t.Fatalf("killed durable actor came back: %v", err)
			}
		})
	}
}

func TestHost_DurableDetached(t *testing.T) {
	ctx := context.Background()
	cfg := Config{DataDir: t.TempDir()}
	h := newTestHost(t, cfg)
	a := spawn(t, h, readWasm(t, cCounterPath), Options{Detached: true}, 5)
	invoke[int64](t, a, "incr", 2)
	h = reopen(t, h, cfg)
	b, err := h.Actor(ctx, a.ID())
	if err != nil {
		t.Fatalf("detached actor not back: %v", err)
	}
	if got := invoke[int64](t, b, "get"); got != 7 {
		t.Fatalf("get = %d, want 7", got)
	}
	if _, err := h.Spawn(ctx, a.Class(), Options{}, 1); err != nil {
		t.Fatalf("the class was not reloaded from the data directory: %v", err)
	}
}

func TestHost_DurableNeedsDataDir(t *testing.T) {
	h := newTestHost(t, Config{})
	c, err := h.LoadClass(context.Background(), readWasm(t, cCounterPath))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Spawn(context.Background(), c.ID, Options{Durable: true}, 1); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("err = %v, want ErrInvalidOptions", err)
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHost_DurableCorruptSnapshot: a corrupt newest snapshot makes the
// actor damaged (not silently served from an older state), with a logged
// error naming it; an operator's repair brings it back from the one before.
func TestHost_DurableCorruptSnapshot(t *testing.T) {
	ctx := context.Background()
	for _, path := range []string{cCounterPath, goCounterPath} {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			var logs syncBuffer
			cfg := Config{DataDir: t.TempDir(), Durability: DurabilityCheckpoint, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			h := newTestHost(t, cfg)
			a := spawn(t, h, readWasm(t, path), Options{Durable: true}, 1)
			invoke[int64](t, a, "incr", 10)
			if _, err := a.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			invoke[int64](t, a, "incr", 100)
			newest, err := a.Checkpoint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			id := a.ID()
			if err := h.Close(ctx); err != nil {
				t.Fatal(err)
			}
			// Flip a byte in the middle of the newest snapshot's file.
			files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "snapshots", id, "*"+newest.ID+"*"))
			if len(files) != 1 {
				t.Fatalf("snapshot file of %s: %v", newest.ID, files)
			}
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0xff
			if err := os.WriteFile(files[0], b, 0o644); err != nil {
				t.Fatal(err)
			}
			h = newTestHost(t, cfg)
			if _, err := h.Actor(ctx, id); !errors.Is(err, ErrDamaged) {
				t.Fatalf("Actor: %v, want ErrDamaged", err)
			}
			info, err := h.Info(ctx, id)
			if err != nil || info.State != StateDamaged || info.Damage == nil || !strings.Contains(info.Damage.Reason, newest.ID) {
				t.Fatalf("info %+v (%v): want damaged naming %s", info, err, newest.ID)
			}
			if out := logs.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, newest.ID) {
				t.Fatalf("no logged error naming the corrupt snapshot %s:\n%s", newest.ID, out)
			}
			if _, err := h.RepairActor(ctx, id, ""); err != nil {
				t.Fatal(err)
			}
			back, err := h.Actor(ctx, id)
			if err != nil {
				t.Fatalf("actor not back: %v", err)
			}
			if got := invoke[int64](t, back, "get"); got != 11 {
				t.Fatalf("get = %d, want 11 (the state of the previous checkpoint)", got)
			}
			if kept, _ := filepath.Glob(filepath.Join(cfg.DataDir, "damaged", id, "*", "snapshots", "*"+newest.ID+"*")); len(kept) != 1 {
				t.Fatalf("the corrupt snapshot is not kept aside: %v", kept)
			}
		})
	}
}

// TestActor_CheckpointRetention: an actor keeps exactly KeepCheckpoints
// checkpoints, newest first, in memory and on disk.
func TestActor_CheckpointRetention(t *testing.T) {
	ctx := context.Background()
	for _, durable := range []bool{false, true} {
		for _, keep := range []int{1, 2, 4} {
			t.Run(map[bool]string{false: "memory", true: "disk"}[durable]+"/keep="+string(rune('0'+keep)), func(t *testing.T) {
				cfg := Config{KeepCheckpoints: keep}
				if durable {
					cfg.DataDir = t.TempDir()
				}
				h := newTestHost(t, cfg)
				a := spawn(t, h, readWasm(t, cCounterPath), Options{Durable: durable}, 0)
				var taken []string
				value := map[string]int64{}
				for i := range 7 {
					v := invoke[int64](t, a, "incr", int64(i))
					info, err := a.Checkpoint(ctx)
					if err != nil {
						t.Fatal(err)
					}
					taken = append(taken, info.ID)
					value[info.ID] = v
				}
				list := checkpointsOf(t, a)
				var got []string
				for _, c := range list {
					got = append(got, c.ID)
				}
				want := make([]string, 0, keep)
				for i := len(taken) - 1; i >= len(taken)-keep; i-- {
					want = append(want, taken[i])
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("kept %v, want %v", got, want)
				}
				if !sort.SliceIsSorted(list, func(i, j int) bool { return list[i].Calls > list[j].Calls }) {
					t.Fatalf("not newest first: %+v", list)
				}
				// Every kept one restores, oldest first (a restore is itself
				// checkpointed, which drops the oldest).
				for i := len(list) - 1; i >= 0; i-- {
					if err := a.Restore(ctx, list[i].ID); err != nil {
						t.Fatalf("Restore %s: %v", list[i].ID, err)
					}
					if got := invoke[int64](t, a, "get"); got != value[list[i].ID] {
						t.Fatalf("get after Restore %s = %d, want %d", list[i].ID, got, value[list[i].ID])
					}
				}
			})
		}
	}
}

// TestHost_ForkReseeds: forks and spawns from the template get their own
// random sequence (wactor_reseed), while a restore of an actor's own
// checkpoint repeats it.
func TestHost_ForkReseeds(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	src := spawn(t, h, readWasm(t, misbehavePath), Options{})
	twin := spawn(t, h, readWasm(t, misbehavePath), Options{})
	if a, b := invoke[int64](t, src, "random"), invoke[int64](t, twin, "random"); a == b {
		t.Fatalf("two actors spawned from the class template drew the same number %d", a)
	}
	ck, err := src.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := invoke[int64](t, src, "random")
	fork, err := h.Fork(ctx, src, ck.ID, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := invoke[int64](t, fork, "random"); got == next {
		t.Fatalf("the fork repeated its source's next number %d", got)
	}
	if err := src.Restore(ctx, ck.ID); err != nil {
		t.Fatal(err)
	}
	if got := invoke[int64](t, src, "random"); got != next {
		t.Fatalf("after restoring its own checkpoint the actor drew %d, want %d again", got, next)
	}
}

// TestHost_DurableAllSnapshotsCorrupt: when none of an actor's snapshots
// decodes, the host lists it as damaged, says so, and leaves its files; it
// cannot be repaired, and discarding it keeps its files aside.
func TestHost_DurableAllSnapshotsCorrupt(t *testing.T) {
	ctx := context.Background()
	var logs syncBuffer
	cfg := Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	h := newTestHost(t, cfg)
	a := spawn(t, h, readWasm(t, cCounterPath), Options{Durable: true}, 1)
	id := a.ID()
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "snapshots", id, "*.snap"))
	if len(files) == 0 {
		t.Fatal("no snapshot on disk")
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("WACTSNAP garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h = newTestHost(t, cfg)
	if _, err := h.Actor(ctx, id); !errors.Is(err, ErrDamaged) {
		t.Fatalf("an actor with no good snapshot: %v, want ErrDamaged", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "actors", id, "actor.json")); err != nil {
		t.Fatalf("its files were removed: %v", err)
	}
	if out := logs.String(); !strings.Contains(out, "actor damaged") || !strings.Contains(out, id) {
		t.Fatalf("nothing logged:\n%s", out)
	}
	if _, err := h.RepairActor(ctx, id, ""); !errors.Is(err, ErrCheckpointNotFound) {
		t.Fatalf("RepairActor: %v, want ErrCheckpointNotFound", err)
	}
	if err := h.DiscardActor(ctx, id); err != nil {
		t.Fatal(err)
	}
	if info, err := h.Info(ctx, id); err != nil || info.State != StateDead || info.Death != DeathDiscarded {
		t.Fatalf("after discard: %+v, %v", info, err)
	}
	if kept, _ := filepath.Glob(filepath.Join(cfg.DataDir, "damaged", id, "*", "actor", "actor.json")); len(kept) != 1 {
		t.Fatalf("its metadata is not kept aside: %v", kept)
	}
	if kept, _ := filepath.Glob(filepath.Join(cfg.DataDir, "damaged", id, "*", "snapshots", "*.snap")); len(kept) != len(files) {
		t.Fatalf("its snapshots are not kept aside: %v", kept)
	}
}
