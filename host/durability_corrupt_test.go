package host

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/internal/fsys"
)

// treeOf maps every file under dir to a hash of its content.
// The names of the files in an actor's directory (package journal).
const (
	journalName  = journal.JournalName
	metaFile     = journal.MetaFile
	spawningFile = journal.SpawningFile
)

func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// journalRecords splits a journal file into its records.
func journalRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n := 8 + int(binary.LittleEndian.Uint32(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// rewrite replaces a file's content with what fn makes of it.
func rewrite(t *testing.T, path string, fn func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDurable_Corruption damages each kind of file a durable actor has on
// disk, then restarts the host: nothing is deleted or truncated silently
// (the DataDir is byte for byte what it was), the actor is listed as
// damaged with a reason and refuses calls, an ERROR naming it is logged,
// and another actor (of another class) serves. A torn journal tail is not
// damage: it is cut, with a copy kept aside and a warning. Then the
// operator's decision: repair (from the checkpoint, plus the journal
// records that follow it) or discard (the files kept aside).
func TestDurable_Corruption(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	// The bystander's class: the same code with a custom section, so
	// another class ID (another class file).
	other := append(append([]byte(nil), wasm...), 0, 5, 3, 'b', 'y', 's', 1)
	const calls = 7 // journaled increments of the victim after its spawn checkpoint

	type env struct {
		*durEnv
		id, class string
	}
	actorFile := func(e env, name string) string { return filepath.Join(e.dir, "actors", e.id, name) }
	snapFiles := func(t *testing.T, e env) []string {
		files, _ := filepath.Glob(filepath.Join(e.dir, "snapshots", e.id, "*.snap"))
		if len(files) == 0 {
			t.Fatal("no snapshot file")
		}
		return files
	}
	tests := []struct {
		name    string
		corrupt func(t *testing.T, e env)
		reason  string // in Damage.Reason; "" when the actor is not damaged
		// decide is the operator's decision, and the counter it leaves (-1:
		// the actor is gone).
		decide func(t *testing.T, e env) int64
	}{
		{
			name: "journal record flipped",
			corrupt: func(t *testing.T, e env) {
				rewrite(t, actorFile(e, journalName), func(b []byte) []byte { b[12] ^= 0x40; return b })
			},
			reason: "journal is corrupt",
			decide: func(t *testing.T, e env) int64 {
				if _, err := e.h.RepairActor(ctx, e.id, ""); err != nil {
					t.Fatal(err)
				}
				return 0 // the spawn checkpoint: the first record does not decode, so none follows it
			},
		},
		{
			name: "journal gap",
			corrupt: func(t *testing.T, e env) {
				rewrite(t, actorFile(e, journalName), func(b []byte) []byte {
					recs := journalRecords(t, b)
					return bytes.Join(append(recs[:2:2], recs[3:]...), nil)
				})
			},
			reason: "does not follow",
			decide: func(t *testing.T, e env) int64 {
				if _, err := e.h.RepairActor(ctx, e.id, ""); err != nil {
					t.Fatal(err)
				}
				return 2 // the records before the gap are replayed
			},
		},
		{
			name: "journal torn tail",
			corrupt: func(t *testing.T, e env) {
				rewrite(t, actorFile(e, journalName), func(b []byte) []byte {
					first := journalRecords(t, b)[0]
					return append(b, first[:len(first)/2]...)
				})
			},
		},
		{
			name: "snapshot files missing",
			corrupt: func(t *testing.T, e env) {
				for _, f := range snapFiles(t, e) {
					if err := os.Remove(f); err != nil {
						t.Fatal(err)
					}
				}
			},
			reason: "snapshot files are missing",
			decide: func(t *testing.T, e env) int64 {
				if _, err := e.h.RepairActor(ctx, e.id, ""); !errors.Is(err, ErrCheckpointNotFound) {
					t.Fatalf("repair without a snapshot: %v", err)
				}
				if err := e.h.DiscardActor(ctx, e.id); err != nil {
					t.Fatal(err)
				}
				return -1
			},
		},
		{
			name: "snapshot directory missing",
			corrupt: func(t *testing.T, e env) {
				if err := os.RemoveAll(filepath.Join(e.dir, "snapshots", e.id)); err != nil {
					t.Fatal(err)
				}
			},
			reason: "snapshot files are missing",
		},
		{
			name: "snapshot corrupt",
			corrupt: func(t *testing.T, e env) {
				rewrite(t, snapFiles(t, e)[0], func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
			},
			reason: "snapshot does not decode",
			decide: func(t *testing.T, e env) int64 {
				if err := e.h.DiscardActor(ctx, e.id); err != nil {
					t.Fatal(err)
				}
				return -1
			},
		},
		{
			name: "metadata corrupt",
			corrupt: func(t *testing.T, e env) {
				rewrite(t, actorFile(e, metaFile), func(b []byte) []byte { return b[:len(b)/2] })
			},
			reason: "metadata is unreadable",
			decide: func(t *testing.T, e env) int64 {
				if _, err := e.h.RepairActor(ctx, e.id, ""); !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("repair with unreadable metadata: %v", err)
				}
				if err := e.h.DiscardActor(ctx, e.id); err != nil {
					t.Fatal(err)
				}
				return -1
			},
		},
		{
			name: "class file corrupt",
			corrupt: func(t *testing.T, e env) {
				rewrite(t, filepath.Join(e.dir, "classes", e.class+".wasm"), func(b []byte) []byte { b[len(b)-3] ^= 0xff; return b })
			},
			reason: "class",
			decide: func(t *testing.T, e env) int64 {
				if _, err := e.h.RepairActor(ctx, e.id, ""); !errors.Is(err, ErrClassNotFound) {
					t.Fatalf("repair without its class: %v", err)
				}
				// The operator uploads the class again (the corrupt file is
				// kept aside), then repairs: nothing was lost.
				if _, err := e.h.LoadClass(ctx, wasm); err != nil {
					t.Fatal(err)
				}
				if _, err := e.h.RepairActor(ctx, e.id, ""); err != nil {
					t.Fatal(err)
				}
				return calls
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env{durEnv: newDurEnv(t, DurabilityWrite)}
			e.open()
			victim := e.spawn(wasm, 0)
			for range calls {
				invoke[int64](t, victim, "incr", 1)
			}
			e.id, e.class = victim.ID(), victim.Class()
			bystander := e.spawn(other, 100)
			invoke[int64](t, bystander, "incr", 1)
			if err := e.h.Close(ctx); err != nil {
				t.Fatal(err)
			}
			e.h = nil
			tt.corrupt(t, e)
			before := treeOf(t, e.dir)
			e.open()

			if got := e.get(bystander.ID()); got != 101 {
				t.Fatalf("bystander: %d, want 101", got)
			}
			info, err := e.h.Info(ctx, e.id)
			if tt.reason == "" { // a torn tail: cut, kept aside, and the actor serves
				if err != nil || info.State != StateAlive {
					t.Fatalf("after a torn tail: %+v, %v\n%s", info, err, e.logs)
				}
				if got := e.get(e.id); got != calls {
					t.Fatalf("after a torn tail: %d, want %d", got, calls)
				}
				kept, _ := filepath.Glob(filepath.Join(e.dir, "damaged", e.id, "*", "journal-torn-tail"))
				if len(kept) != 1 || !strings.Contains(e.logs.String(), "level=WARN") || !strings.Contains(e.logs.String(), "torn record") {
					t.Fatalf("the torn tail was cut without a copy or a warning: %v\n%s", kept, e.logs)
				}
				return
			}
			if err != nil || info.State != StateDamaged || info.Damage == nil || !strings.Contains(info.Damage.Reason, tt.reason) {
				t.Fatalf("info: %+v (%v), want damaged because %q\n%s", info, err, tt.reason, e.logs)
			}
			if _, err := e.h.Actor(ctx, e.id); !errors.Is(err, ErrDamaged) {
				t.Fatalf("Actor: %v, want ErrDamaged", err)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, e.id) {
				t.Fatalf("no ERROR naming the actor:\n%s", logs)
			}
			// Apart from the bystander's (whose calls are journaled), the
			// files are what they were.
			after := treeOf(t, e.dir)
			for f, h := range before {
				if after[f] != h && !strings.Contains(f, bystander.ID()) {
					t.Errorf("%s was changed or removed by the restart", f)
				}
			}
			for f := range after {
				if _, ok := before[f]; !ok {
					t.Errorf("%s appeared with the restart", f)
				}
			}
			if tt.decide == nil {
				return
			}
			want := tt.decide(t, e)
			if want < 0 {
				if info, _ := e.h.Info(ctx, e.id); info.State != StateDead || info.Death != DeathDiscarded {
					t.Fatalf("after discard: %+v", info)
				}
				if kept, _ := filepath.Glob(filepath.Join(e.dir, "damaged", e.id, "*")); len(kept) != 1 {
					t.Fatalf("discarded files not kept aside: %v", kept)
				}
				e.open()
				if _, err := e.h.Info(ctx, e.id); !errors.Is(err, ErrActorNotFound) {
					t.Fatalf("a discarded actor came back: %v", err)
				}
				return
			}
			if got := e.get(e.id); got != want {
				t.Fatalf("after repair: %d, want %d", got, want)
			}
			a, _ := e.h.Actor(ctx, e.id)
			invoke[int64](t, a, "incr", 1)
			e.open()
			if got := e.get(e.id); got != want+1 {
				t.Fatalf("after repair and restart: %d, want %d\n%s", got, want+1, e.logs)
			}
			if info, _ := e.h.Info(ctx, e.id); info.State != StateAlive {
				t.Fatalf("after repair and restart: %+v", info)
			}
		})
	}
}

// TestDurable_UnfinishedSpawn: an actor with metadata and the spawn marker
// but no snapshot, or an empty actor directory, is a spawn the host stopped
// during (never acknowledged): its files are removed, with a warning, and
// it is not listed.
func TestDurable_UnfinishedSpawn(t *testing.T) {
	t.Run("empty directory", func(t *testing.T) {
		e := newDurEnv(t, DurabilityWrite)
		id := "0123456789abcdef0123456789abcdef"
		if err := os.MkdirAll(filepath.Join(e.dir, "actors", id), 0o700); err != nil {
			t.Fatal(err)
		}
		e.open()
		if _, err := e.h.Info(context.Background(), id); !errors.Is(err, ErrActorNotFound) {
			t.Fatalf("an empty actor directory is listed: %v", err)
		}
		if _, err := os.Stat(filepath.Join(e.dir, "actors", id)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("it is left: %v", err)
		}
		if out := e.logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, id) {
			t.Fatalf("removed without a warning:\n%s", out)
		}
	})
	ctx := context.Background()
	e := newDurEnv(t, DurabilityWrite)
	e.open()
	a := e.spawn(readWasm(t, cCounterPath), 0)
	id := a.ID()
	if err := e.h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e.h = nil
	if err := os.RemoveAll(filepath.Join(e.dir, "snapshots", id)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "actors", id, spawningFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.open()
	if _, err := e.h.Info(ctx, id); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("an unfinished spawn is listed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "actors", id)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("its files are left: %v", err)
	}
	if out := e.logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, id) {
		t.Fatalf("removed without a warning:\n%s", out)
	}
}

// TestDurable_RepairFault: a repair whose checkpoint cannot be written, or
// whose journal cannot be moved aside, fails with ErrPersist and leaves
// what the next repair needs: once the disk works, a second repair brings
// the actor back with the same journal records replayed.
func TestDurable_RepairFault(t *testing.T) {
	for _, f := range []fsys.Fault{
		{Op: fsys.OpWrite, Path: "snapshots", Kind: fsys.NoSpace},
		{Op: fsys.OpRename, Path: journalName, Kind: fsys.IOError},
	} {
		t.Run(string(f.Op), func(t *testing.T) { testRepairFault(t, f) })
	}
}

func testRepairFault(t *testing.T, f fsys.Fault) {
	ctx := context.Background()
	e := newDurEnv(t, DurabilityWrite)
	e.open()
	victim := e.spawn(readWasm(t, cCounterPath), 0)
	for range 5 {
		invoke[int64](t, victim, "incr", 1)
	}
	id := victim.ID()
	if err := e.h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e.h = nil
	// A gap after the second record: a repair replays two calls.
	rewrite(t, filepath.Join(e.dir, "actors", id, journalName), func(b []byte) []byte {
		recs := journalRecords(t, b)
		return bytes.Join(append(recs[:2:2], recs[3:]...), nil)
	})
	e.open()
	if info, err := e.h.Info(ctx, id); err != nil || info.State != StateDamaged {
		t.Fatalf("info: %+v, %v", info, err)
	}
	e.fs.Set(f)
	_, err := e.h.RepairActor(ctx, id, "")
	if e.fs.Injected() == 0 {
		t.Fatal("the fault was not injected")
	}
	e.fs.Clear()
	if !errors.Is(err, ErrPersist) {
		t.Fatalf("repair with a failing disk: %v, want ErrPersist", err)
	}
	if _, err := e.h.RepairActor(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	if got := e.get(id); got != 2 {
		t.Fatalf("after the second repair: %d, want 2 (the records before the gap)", got)
	}
	if kept, _ := filepath.Glob(filepath.Join(e.dir, "damaged", id, "*", journalName)); len(kept) != 1 {
		t.Fatalf("the journal was not kept aside: %v", kept)
	}
	e.open()
	if got := e.get(id); got != 2 {
		t.Fatalf("after repair and restart: %d, want 2\n%s", got, e.logs)
	}
}
