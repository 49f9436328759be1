package snapshots

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wactor/wactor/internal/fsys"
)

// TestDirStoreFaults injects ENOSPC, EIO and short writes at every
// write-side operation of a Put (a full one and an incremental one): the
// Put fails and the store is as before it (in memory and, reopened, on
// disk: no file of it is left, the previous snapshots decode), or it
// succeeds and the snapshot is there.
func TestDirStoreFaults(t *testing.T) {
	ctx := context.Background()
	const actor = "a1"
	states := history(actor, 3, 16)
	ops := []fsys.Op{fsys.OpOpen, fsys.OpWrite, fsys.OpSync, fsys.OpRename, fsys.OpMkdir}
	for _, first := range []bool{true, false} {
		// setup stores the snapshots before the faulty Put of states[n].
		n := 0
		if !first {
			n = 2
		}
		setup := func(t *testing.T, f *fsys.Faulty) (*DirStore, string) {
			dir := t.TempDir()
			s, err := NewDirStoreFS(f, dir, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range states[:n] {
				if _, err := s.Put(ctx, st); err != nil {
					t.Fatal(err)
				}
			}
			return s, dir
		}
		dry := fsys.NewFaulty(nil)
		s, _ := setup(t, dry)
		dry.Record(true)
		if _, err := s.Put(ctx, states[n]); err != nil {
			t.Fatal(err)
		}
		seen := map[fsys.Op]int{}
		type site struct {
			op    fsys.Op
			after int
		}
		var sites []site
		for _, ev := range dry.Events() {
			if slices.Contains(ops, ev.Op) {
				sites = append(sites, site{ev.Op, seen[ev.Op]})
				seen[ev.Op]++
			}
		}
		if len(sites) < 4 {
			t.Fatalf("only %d write-side operations in a Put", len(sites))
		}
		for _, st := range sites {
			for _, kind := range []fsys.Kind{fsys.NoSpace, fsys.IOError, fsys.Short} {
				t.Run(fmt.Sprintf("first=%v/%s#%d/%s", first, st.op, st.after, kind), func(t *testing.T) {
					f := fsys.NewFaulty(nil)
					s, dir := setup(t, f)
					f.Set(fsys.Fault{Op: st.op, After: st.after, Times: 1, Kind: kind})
					_, err := s.Put(ctx, states[n])
					if f.Injected() != 1 {
						t.Fatalf("not injected: %d", f.Injected())
					}
					f.Clear()
					want := n
					if err == nil {
						want = n + 1
					}
					for _, store := range []*DirStore{s, reopen(t, dir)} {
						l, _ := store.List(ctx, actor)
						if len(l) != want {
							t.Fatalf("%d snapshots listed, want %d (Put: %v)", len(l), want, err)
						}
						if want > 0 {
							if got, errs, err := store.Latest(ctx, actor); err != nil || len(errs) > 0 || got.ID != states[want-1].ID {
								t.Fatalf("Latest: %v %v", err, errs)
							}
						}
					}
					files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
					if len(files) != want {
						t.Fatalf("files %v, want %d", files, want)
					}
				})
			}
		}
	}
}

func reopen(t *testing.T, dir string) *DirStore {
	t.Helper()
	s, err := NewDirStore(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDirStoreMoveAside: snapshots moved aside leave the store (in memory
// and on disk) whole in the directory given; moving all of an actor's
// removes its directory. Files are 0600, directories 0700.
func TestDirStoreMoveAside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewDirStore(filepath.Join(dir, "store"), 4)
	if err != nil {
		t.Fatal(err)
	}
	s.SetFullEvery(1)
	const actor = "a1"
	states := history(actor, 3, 16)
	for _, st := range states {
		if _, err := s.Put(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(dir, "aside")
	if err := s.MoveAside(ctx, actor, []string{states[2].ID}, aside); err != nil {
		t.Fatal(err)
	}
	for _, store := range []*DirStore{s, reopen(t, filepath.Join(dir, "store"))} {
		if l, _ := store.List(ctx, actor); len(l) != 2 || l[0].ID != states[1].ID {
			t.Fatalf("after moving the newest aside: %+v", l)
		}
	}
	moved, _ := filepath.Glob(filepath.Join(aside, "*"+fileExt))
	if len(moved) != 1 || !strings.Contains(moved[0], escapeName(states[2].ID)) {
		t.Fatalf("moved: %v", moved)
	}
	b, err := os.ReadFile(moved[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(bytes.NewReader(b), nil); err != nil {
		t.Fatalf("the moved snapshot does not decode: %v", err)
	}
	if err := s.MoveAside(ctx, actor, nil, aside); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Actors(ctx); len(got) != 0 {
		t.Fatalf("actors left: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "store", actor)); !os.IsNotExist(err) {
		t.Fatalf("the actor's directory is left: %v", err)
	}
	if moved, _ := filepath.Glob(filepath.Join(aside, "*"+fileExt)); len(moved) != 3 {
		t.Fatalf("moved: %v", moved)
	}
}
