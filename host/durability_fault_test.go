package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/internal/fsys"
)

// durEnv is a DataDir on a fault-injecting file system, with the host's
// logs captured, that hosts are opened on one after the other (a "crash":
// the host is closed, which writes nothing, and another opened on the same
// DataDir).
type durEnv struct {
	t    *testing.T
	dir  string
	fs   *fsys.Faulty
	logs *syncBuffer
	mode Durability
	h    *Host
}

func newDurEnv(t *testing.T, mode Durability) *durEnv {
	return &durEnv{t: t, dir: t.TempDir(), fs: fsys.NewFaulty(nil), logs: &syncBuffer{}, mode: mode}
}

// open closes the current host, if any, and opens another on the DataDir.
func (e *durEnv) open() *Host {
	e.t.Helper()
	if e.h != nil {
		if err := e.h.Close(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
	cfg := Config{DataDir: e.dir, Durability: e.mode, Logger: slog.New(slog.NewTextHandler(e.logs, nil))}
	cfg.fs = e.fs
	e.h = newTestHost(e.t, cfg)
	return e.h
}

func (e *durEnv) spawn(wasm []byte, init int64) *Actor {
	e.t.Helper()
	return spawn(e.t, e.h, wasm, Options{Durable: true}, init)
}

// get reads the counter of the actor id on the current host.
func (e *durEnv) get(id string) int64 {
	e.t.Helper()
	a, err := e.h.Actor(context.Background(), id)
	if err != nil {
		e.t.Fatalf("actor %s: %v\nlogs:\n%s", id, err, e.logs)
	}
	return invoke[int64](e.t, a, "get")
}

// site is one file-system operation of an action: the after-th operation
// of its kind under the DataDir since the action began.
type site struct {
	op    fsys.Op
	after int
	path  string // for the test's name only
}

// stablePath matches the parts of a path that differ between runs (actor
// IDs, temporary and snapshot file names), for stable test names.
var stablePath = regexp.MustCompile(`[0-9a-f]{32}|\.tmp-[0-9*]+|[0-9a-f]{16}-ck-[0-9a-f]+\.snap`)

// writeOps are the operations whose failure an action must survive.
var writeOps = []fsys.Op{fsys.OpOpen, fsys.OpWrite, fsys.OpSync, fsys.OpTruncate, fsys.OpRename, fsys.OpMkdir}

// recordSites runs fn with recording on and returns the write-side
// operations it made, in order.
func recordSites(e *durEnv, fn func()) []site {
	e.fs.Record(true)
	fn()
	evs := e.fs.Events()
	e.fs.Record(false)
	seen := map[fsys.Op]int{}
	var out []site
	for _, ev := range evs {
		if !strings.HasPrefix(ev.Path, e.dir) {
			continue
		}
		for _, op := range writeOps {
			if ev.Op == op {
				rel, _ := filepath.Rel(e.dir, ev.Path)
				out = append(out, site{op: op, after: seen[op], path: stablePath.ReplaceAllString(rel, "*")})
				seen[op]++
			}
		}
	}
	return out
}

// kindsFor are the failures injected at an operation: ENOSPC, EIO and short
// writes at writes; fsync failures (EIO, ENOSPC) at syncs; ENOSPC and EIO
// at the others.
func kindsFor(op fsys.Op) []fsys.Kind {
	if op == fsys.OpWrite {
		return []fsys.Kind{fsys.NoSpace, fsys.IOError, fsys.Short}
	}
	return []fsys.Kind{fsys.NoSpace, fsys.IOError}
}

// TestDurable_FaultAtEverySite injects each failure kind at every write,
// sync, open, rename, truncate and mkdir a durable actor's call, checkpoint
// and spawn make (in sync and write durability), one at a time: the
// operation either fails (a call with ErrPersist) and leaves no effect, or
// succeeds; the actor serves on; and after a crash and a restart on the
// same DataDir no acknowledged call is lost and no failed one appears.
func TestDurable_FaultAtEverySite(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	type action struct {
		name string
		mode Durability
		// run performs the action on a (nil for spawn) and returns the
		// actor and the counter's value after it, ok if it was
		// acknowledged.
		run func(e *durEnv, a *Actor) (*Actor, int64, bool, error)
	}
	call := func(e *durEnv, a *Actor) (*Actor, int64, bool, error) {
		f, err := a.Call(ctx, "incr", 1)
		if err != nil {
			return a, 0, false, err
		}
		v, err := Await[int64](ctx, f)
		return a, v, err == nil, err
	}
	actions := []action{
		{"call/sync", DurabilitySync, call},
		{"call/write", DurabilityWrite, call},
		{"checkpoint/sync", DurabilitySync, func(e *durEnv, a *Actor) (*Actor, int64, bool, error) {
			_, err := a.Checkpoint(ctx)
			return a, 0, err == nil, err
		}},
		{"spawn/sync", DurabilitySync, func(e *durEnv, _ *Actor) (*Actor, int64, bool, error) {
			c, err := e.h.LoadClass(ctx, wasm)
			if err != nil {
				return nil, 0, false, err
			}
			a, err := e.h.Spawn(ctx, c.ID, Options{Durable: true}, 100)
			return a, 100, err == nil, err
		}},
	}
	// setup makes the state every case of an action starts from: an actor
	// with a checkpoint and two journaled calls (none for spawn).
	setup := func(e *durEnv, act action) (*Actor, int64) {
		e.open()
		if strings.HasPrefix(act.name, "spawn") {
			if _, err := e.h.LoadClass(ctx, wasm); err != nil {
				t.Fatal(err)
			}
			return nil, 0
		}
		a := e.spawn(wasm, 10)
		invoke[int64](t, a, "incr", 1)
		if _, err := a.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		invoke[int64](t, a, "incr", 1)
		return a, invoke[int64](t, a, "incr", 1)
	}
	injected := 0
	for _, act := range actions {
		dry := newDurEnv(t, act.mode)
		a, _ := setup(dry, act)
		sites := recordSites(dry, func() {
			if _, _, ok, err := act.run(dry, a); !ok {
				t.Fatalf("%s without faults: %v", act.name, err)
			}
		})
		if len(sites) == 0 {
			t.Fatalf("%s: no write-side operation recorded", act.name)
		}
		for _, s := range sites {
			for _, kind := range kindsFor(s.op) {
				name := fmt.Sprintf("%s/%s#%d(%s)/%s", act.name, s.op, s.after, s.path, kind)
				t.Run(name, func(t *testing.T) {
					e := newDurEnv(t, act.mode)
					a, before := setup(e, act)
					e.fs.Set(fsys.Fault{Op: s.op, Path: e.dir, After: s.after, Times: 1, Kind: kind})
					got, v, ok, err := act.run(e, a)
					if e.fs.Injected() != 1 {
						t.Fatalf("the fault was not injected (%d)", e.fs.Injected())
					}
					injected++
					e.fs.Clear()
					want := before
					switch {
					case strings.HasPrefix(act.name, "spawn"):
						if !ok {
							if got != nil {
								t.Fatal("a failed spawn returned an actor")
							}
							// Nothing of it is left, now or after a restart.
							e.open()
							if l := e.h.Actors(); len(l) != 0 {
								t.Fatalf("a failed spawn left actors: %+v", l)
							}
							if ents, _ := os.ReadDir(filepath.Join(e.dir, "actors")); len(ents) != 0 {
								t.Fatalf("a failed spawn left files: %v", ents)
							}
							return
						}
						want = v
					case act.name == "checkpoint/sync":
						// A checkpoint changes no state, failed or not.
					case ok:
						if v != before+1 {
							t.Fatalf("incr = %d, want %d", v, before+1)
						}
						want = v
					default:
						if !errors.Is(err, ErrPersist) {
							t.Fatalf("failed call: %v, want ErrPersist", err)
						}
						if strings.Contains(err.Error(), e.dir) {
							t.Fatalf("the error shows a server path: %v", err)
						}
					}
					id := got.ID()
					// The failed operation left no effect: the next call
					// builds on the acknowledged state.
					if v := invoke[int64](t, got, "incr", 1); v != want+1 {
						t.Fatalf("incr after the fault = %d, want %d (logs:\n%s)", v, want+1, e.logs)
					}
					want++
					e.open()
					if v := e.get(id); v != want {
						t.Fatalf("after restart: %d, want %d (logs:\n%s)", v, want, e.logs)
					}
					if strings.Contains(e.logs.String(), "actor damaged") {
						t.Fatalf("a failed write damaged the actor:\n%s", e.logs)
					}
				})
			}
		}
	}
	t.Logf("%d faults injected", injected)
}

// TestDurable_DiskFull: the disk fills up (every write under DataDir fails
// with ENOSPC, some of them short) in the middle of a stream of increments
// on a sync-durable actor that checkpoints every 4 calls, then space comes
// back. Calls during the episode fail with ErrPersist and leave no effect;
// after a crash and a restart the counter equals the number of
// acknowledged increments: none is lost, none failed appears.
func TestDurable_DiskFull(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []fsys.Kind{fsys.NoSpace, fsys.Short} {
		t.Run(string(kind), func(t *testing.T) {
			e := newDurEnv(t, DurabilitySync)
			e.open()
			a := spawn(t, e.h, readWasm(t, cCounterPath), Options{Durable: true, CheckpointEvery: ptr(4)}, 0)
			acked, failed := int64(0), 0
			for i := range 40 {
				switch i {
				case 13:
					e.fs.Set(fsys.Fault{Op: fsys.OpWrite, Path: e.dir, Kind: kind})
				case 27:
					e.fs.Clear()
				}
				f, err := a.Call(ctx, "incr", 1)
				if err != nil {
					t.Fatal(err)
				}
				v, err := Await[int64](ctx, f)
				switch {
				case err == nil:
					acked++
					if v != acked {
						t.Fatalf("call %d: incr = %d, want %d (a failed call left its effect)", i, v, acked)
					}
				case errors.Is(err, ErrPersist):
					failed++
					if i < 13 || i >= 27 {
						t.Fatalf("call %d failed with space available: %v", i, err)
					}
				default:
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if failed != 14 {
				t.Fatalf("%d calls failed during the episode, want 14", failed)
			}
			id := a.ID()
			e.open()
			if got := e.get(id); got != acked {
				t.Fatalf("after restart the counter is %d, want %d acknowledged increments", got, acked)
			}
			if out := e.logs.String(); !strings.Contains(out, "journal write failed") {
				t.Fatalf("the failed journal writes were not logged:\n%s", out)
			}
		})
	}
}

// TestDurable_JournalUncuttable: when a failed write's torn record cannot
// be cut off (truncate fails too), the journal refuses appends (calls fail)
// rather than appending after garbage, and a checkpoint mends it once the
// disk works again. The journal on disk never holds garbage before a good
// record.
func TestDurable_JournalUncuttable(t *testing.T) {
	ctx := context.Background()
	e := newDurEnv(t, DurabilityWrite)
	e.open()
	a := e.spawn(readWasm(t, cCounterPath), 0)
	invoke[int64](t, a, "incr", 1)
	e.fs.Set(
		fsys.Fault{Op: fsys.OpWrite, Path: "journal", Times: 1, Kind: fsys.Short},
		fsys.Fault{Op: fsys.OpTruncate, Path: "journal", Kind: fsys.IOError},
	)
	for i := range 3 {
		if _, err := a.Invoke(ctx, "incr", 1); !errors.Is(err, ErrPersist) {
			t.Fatalf("call %d with a journal that cannot be cut: %v, want ErrPersist", i, err)
		}
	}
	if !a.a.jf.Broken() {
		t.Fatal("the journal does not refuse appends")
	}
	e.fs.Clear()
	// The next failed call's rollback checkpoints, which mends the journal.
	_, _ = a.Invoke(ctx, "incr", 1)
	if a.a.jf.Broken() {
		t.Fatal("the journal was not mended by a checkpoint")
	}
	want := invoke[int64](t, a, "get")
	if got := invoke[int64](t, a, "incr", 1); got != want+1 {
		t.Fatalf("incr = %d, want %d", got, want+1)
	}
	js, err := journal.Read(nil, filepath.Join(e.dir, "actors", a.ID(), journalName))
	if err != nil || js.Bad != nil || js.Torn {
		t.Fatalf("journal: bad %v, torn %v, %v", js.Bad, js.Torn, err)
	}
	e.open()
	if got := e.get(a.ID()); got != want+1 {
		t.Fatalf("after restart: %d, want %d", got, want+1)
	}
}

// TestDurable_FilePermissions: what holds call data (journals, snapshots,
// metadata, classes) is 0600, its directories 0700.
func TestDurable_FilePermissions(t *testing.T) {
	e := newDurEnv(t, DurabilityWrite)
	e.open()
	a := e.spawn(readWasm(t, cCounterPath), 0)
	invoke[int64](t, a, "incr", 1)
	if _, err := e.h.LoadClassIn(context.Background(), "a", readWasm(t, cCounterPath)); err != nil {
		t.Fatal(err)
	}
	n := 0
	seen := map[string]bool{}
	err := filepath.Walk(e.dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == e.dir {
			return nil
		}
		seen[filepath.Ext(p)] = true
		seen[filepath.Base(p)] = true
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: %v, want %v", p, fi.Mode().Perm(), want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 7 {
		t.Fatalf("only %d files and directories", n)
	}
	for _, f := range []string{".wasm", ".owners", ".snap", metaFile, journalName} {
		if !seen[f] {
			t.Errorf("no %s file was checked", f)
		}
	}
}

// TestDurable_ClassStoreFaults injects each failure kind at every
// write-side operation of saving a class: the load fails with ErrPersist
// and leaves no class file (a temporary one is removed), or succeeds; a
// host restarted on the directory loads what was saved, and nothing is
// reported damaged.
func TestDurable_ClassStoreFaults(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	dry := newDurEnv(t, DurabilityWrite)
	dry.open()
	sites := recordSites(dry, func() {
		if _, err := dry.h.LoadClass(ctx, wasm); err != nil {
			t.Fatal(err)
		}
	})
	if len(sites) == 0 {
		t.Fatal("no write-side operation recorded")
	}
	for _, s := range sites {
		for _, kind := range kindsFor(s.op) {
			t.Run(fmt.Sprintf("%s#%d(%s)/%s", s.op, s.after, s.path, kind), func(t *testing.T) {
				e := newDurEnv(t, DurabilityWrite)
				e.open()
				e.fs.Set(fsys.Fault{Op: s.op, Path: e.dir, After: s.after, Times: 1, Kind: kind})
				_, err := e.h.LoadClass(ctx, wasm)
				if e.fs.Injected() != 1 {
					t.Fatalf("the fault was not injected (%d)", e.fs.Injected())
				}
				e.fs.Clear()
				if e.fs.Injected() != 0 {
					t.Fatal("Clear did not reset the count")
				}
				files, _ := os.ReadDir(filepath.Join(e.dir, "classes"))
				switch {
				case err == nil:
					if len(files) != 1 {
						t.Fatalf("loaded, but %d class files", len(files))
					}
				case errors.Is(err, ErrPersist):
					if len(files) != 0 {
						t.Fatalf("a failed save left %v", files)
					}
				default:
					t.Fatalf("LoadClass: %v", err)
				}
				e.open()
				if err == nil && len(e.h.Classes()) != 1 {
					t.Fatal("the saved class did not come back")
				}
				if strings.Contains(e.logs.String(), "level=ERROR") {
					t.Fatalf("errors at restart:\n%s", e.logs)
				}
			})
		}
	}
}

// TestDurable_OwnersOverwriteFault: a second namespace's claim on a saved
// class rewrites its .owners file; when that write (or its directory's
// sync, after the rename) fails, the claim fails with ErrPersist and the
// file keeps the first namespace's claim. A missing .owners file would
// bring the class back visible to every namespace after a restart.
func TestDurable_OwnersOverwriteFault(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	for _, f := range []fsys.Fault{
		{Op: fsys.OpSync, Path: "classes", After: 1, Times: 1, Kind: fsys.IOError}, // the directory, after the rename
		{Op: fsys.OpRename, Path: ".owners", Times: 1, Kind: fsys.IOError},
		{Op: fsys.OpWrite, Path: "classes", Times: 1, Kind: fsys.Short},
	} {
		t.Run(fmt.Sprintf("%s/%s", f.Op, f.Kind), func(t *testing.T) {
			e := newDurEnv(t, DurabilityWrite)
			e.open()
			c, err := e.h.LoadClassIn(ctx, "a", wasm)
			if err != nil {
				t.Fatal(err)
			}
			e.fs.Set(f)
			_, err = e.h.LoadClassIn(ctx, "b", wasm)
			if e.fs.Injected() != 1 {
				t.Fatalf("the fault was not injected (%d)", e.fs.Injected())
			}
			e.fs.Clear()
			if !errors.Is(err, ErrPersist) {
				t.Fatalf("claim with a failed write: %v, want ErrPersist", err)
			}
			if _, err := e.h.ClassIn(ctx, "b", c.ID); !errors.Is(err, ErrClassNotFound) {
				t.Fatalf("failed claim is visible: %v", err)
			}
			e.open()
			if _, err := e.h.ClassIn(ctx, "a", c.ID); err != nil {
				t.Fatalf("after restart, the first claim: %v (logs:\n%s)", err, e.logs)
			}
			if _, err := e.h.ClassIn(ctx, "c", c.ID); !errors.Is(err, ErrClassNotFound) {
				t.Fatalf("after restart, the class is visible to a namespace that never loaded it: %v", err)
			}
		})
	}
}

// TestDurable_ReleaseClassFaults: a release whose .owners write fails
// fails with ErrPersist and keeps the claim, in memory as on disk; a
// release that unloads a class whose file cannot be removed keeps its
// claims file, so the class never comes back visible to every namespace.
func TestDurable_ReleaseClassFaults(t *testing.T) {
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	t.Run("owners write", func(t *testing.T) {
		e := newDurEnv(t, DurabilityWrite)
		e.open()
		c, err := e.h.LoadClassIn(ctx, "a", wasm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.h.LoadClassIn(ctx, "b", wasm); err != nil {
			t.Fatal(err)
		}
		e.fs.Set(fsys.Fault{Op: fsys.OpRename, Path: ".owners", Times: 1, Kind: fsys.IOError})
		err = e.h.ReleaseClass(ctx, "b", c.ID)
		if e.fs.Injected() != 1 {
			t.Fatalf("the fault was not injected (%d)", e.fs.Injected())
		}
		e.fs.Clear()
		if !errors.Is(err, ErrPersist) {
			t.Fatalf("release with a failed write: %v, want ErrPersist", err)
		}
		for _, ns := range []string{"a", "b"} {
			if _, err := e.h.ClassIn(ctx, ns, c.ID); err != nil {
				t.Fatalf("after the failed release, %s: %v", ns, err)
			}
		}
		if u := e.h.NamespaceUsage("b"); u.Classes != 1 {
			t.Fatalf("after the failed release, b counts %d classes, want 1", u.Classes)
		}
		// The claim is still counted: releasing it again succeeds.
		if err := e.h.ReleaseClass(ctx, "b", c.ID); err != nil {
			t.Fatal(err)
		}
		e.open()
		if _, err := e.h.ClassIn(ctx, "b", c.ID); !errors.Is(err, ErrClassNotFound) {
			t.Fatalf("after restart, the released claim: %v", err)
		}
	})
	t.Run("class remove", func(t *testing.T) {
		e := newDurEnv(t, DurabilityWrite)
		e.open()
		c, err := e.h.LoadClassIn(ctx, "a", wasm)
		if err != nil {
			t.Fatal(err)
		}
		e.fs.Set(fsys.Fault{Op: fsys.OpRemove, Path: ".wasm", Kind: fsys.IOError})
		if err := e.h.ReleaseClass(ctx, "a", c.ID); err != nil {
			t.Fatal(err)
		}
		if e.fs.Injected() != 1 {
			t.Fatalf("the fault was not injected (%d)", e.fs.Injected())
		}
		e.fs.Clear()
		if !strings.Contains(e.logs.String(), "removing saved class") {
			t.Fatalf("the failed removal was not logged:\n%s", e.logs)
		}
		e.open()
		if _, err := e.h.ClassIn(ctx, "c", c.ID); !errors.Is(err, ErrClassNotFound) {
			t.Fatalf("after restart, the class is visible to a namespace that never loaded it: %v", err)
		}
	})
}

// BenchmarkRollback measures a call whose journal write fails: the call
// runs, fails with ErrPersist, and the sandbox is rebuilt from the latest
// checkpoint plus a journal of n calls.
func BenchmarkRollback(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("journal=%d", n), func(b *testing.B) {
			f := fsys.NewFaulty(nil)
			cfg := Config{DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)}
			cfg.fs = f
			h := newTestHost(b, cfg)
			a := spawn(b, h, readWasm(b, cCounterPath), Options{Durable: true}, 0)
			for range n {
				invoke[int64](b, a, "incr", 1)
			}
			f.Set(fsys.Fault{Op: fsys.OpWrite, Path: "journal", Kind: fsys.NoSpace})
			b.ResetTimer()
			for range b.N {
				if _, err := a.Invoke(ctx, "incr", 1); !errors.Is(err, ErrPersist) {
					b.Fatal(err)
				}
			}
		})
	}
}
