package snapshots

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wactor/wactor/internal/fsys"
)

// testStore is a store under test and how to reach its encoded files.
type testStore struct {
	Store
	setFullEvery func(int)
	// corrupt flips a byte in the middle of a stored snapshot.
	corrupt func(t *testing.T, actorID string, m Meta)
	// files counts an actor's stored files.
	files func(t *testing.T, actorID string) int
}

// storeKinds makes each kind of store, keeping keep snapshots per actor.
var storeKinds = []struct {
	name string
	make func(t *testing.T, keep int) testStore
}{
	{"dir", func(t *testing.T, keep int) testStore {
		dir := t.TempDir()
		s, err := NewDirStore(dir, keep)
		if err != nil {
			t.Fatal(err)
		}
		return testStore{Store: s, setFullEvery: s.SetFullEvery,
			corrupt: func(t *testing.T, actorID string, m Meta) {
				path := findFile(t, filepath.Join(dir, escapeName(actorID)), m.ID)
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				b[len(b)/2] ^= 0x55
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			files: func(t *testing.T, actorID string) int {
				des, err := os.ReadDir(filepath.Join(dir, escapeName(actorID)))
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
				return len(des)
			},
		}
	}},
	{"mem", func(t *testing.T, keep int) testStore {
		s := NewMemStore(keep)
		return testStore{Store: s, setFullEvery: s.SetFullEvery,
			corrupt: func(t *testing.T, actorID string, m Meta) {
				s.b.mu.Lock()
				defer s.b.mu.Unlock()
				for name, b := range s.b.files[actorID] {
					if _, id, _ := parseFileName(name); id == m.ID {
						b = slices.Clone(b)
						b[len(b)/2] ^= 0x55
						s.b.files[actorID][name] = b
						return
					}
				}
				t.Fatalf("no file for %s", m.ID)
			},
			files: func(t *testing.T, actorID string) int {
				s.b.mu.Lock()
				defer s.b.mu.Unlock()
				return len(s.b.files[actorID])
			},
		}
	}},
}

// findFile returns the path of a snapshot's file in an actor directory.
func findFile(t *testing.T, dir, id string) string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if _, got, ok := parseFileName(de.Name()); ok && got == id {
			return filepath.Join(dir, de.Name())
		}
	}
	t.Fatalf("no file for %s in %s", id, dir)
	return ""
}

// history returns n successive states of an actor: memory of pages pages
// in which each call dirties two pages (and grows memory now and then).
func history(actorID string, n, pages int) []*State {
	mem := sparseMemory(pages*PageSize, uint64(len(actorID)))
	out := make([]*State, n)
	for i := range out {
		if i > 0 {
			mem = dirtied(mem, spread(2, len(mem)/PageSize, uint64(i)), uint64(i))
			if i%5 == 0 {
				mem = append(mem, sparseMemory(PageSize, uint64(i))...)
			}
		}
		out[i] = newState(actorID, mem, uint64(i+1))
	}
	return out
}

func ids(ms []Meta) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.make(t, 100)
			states := history("actor-1", 18, 40)
			var metas []Meta
			for i, st := range states {
				m, err := s.Put(ctx, st)
				if err != nil {
					t.Fatalf("Put %d: %v", i, err)
				}
				// A full snapshot every 8 Puts; the others against the latest full.
				wantBase := ""
				if i%DefaultFullEvery != 0 {
					wantBase = states[i/DefaultFullEvery*DefaultFullEvery].ID
				}
				if m.Base != wantBase {
					t.Errorf("Put %d: base %q, want %q", i, m.Base, wantBase)
				}
				if m.ID != st.ID || m.ActorID != st.ActorID || m.ClassID != st.ClassID || m.Calls != st.Calls || !m.Taken.Equal(st.Taken) || m.Size <= 0 {
					t.Errorf("Put %d: Meta %+v does not describe the State", i, m)
				}
				if m.Base != "" && m.Size > int64(st.Memory.Len())/3 {
					t.Errorf("Put %d: incremental snapshot of %d bytes for %d bytes of memory", i, m.Size, st.Memory.Len())
				}
				metas = append(metas, m)
			}
			list, err := s.List(ctx, "actor-1")
			if err != nil {
				t.Fatal(err)
			}
			slices.Reverse(metas)
			if !slices.EqualFunc(list, metas, func(a, b Meta) bool { return a.ID == b.ID && a.Base == b.Base && a.Size == b.Size }) {
				t.Fatalf("List = %v, want %v", ids(list), ids(metas))
			}
			for i, st := range states {
				got, err := s.Get(ctx, "actor-1", st.ID)
				if err != nil {
					t.Fatalf("Get %d: %v", i, err)
				}
				if err := sameState(got, st); err != nil {
					t.Fatalf("Get %d: %v", i, err)
				}
			}
			got, errs, err := s.Latest(ctx, "actor-1")
			if err != nil || len(errs) != 0 {
				t.Fatalf("Latest: %v %v", err, errs)
			}
			if err := sameState(got, states[len(states)-1]); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStorePolicy(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.make(t, 10)
			mem := heapMemory(8*PageSize, 1)
			put := func(st *State) Meta {
				t.Helper()
				m, err := s.Put(ctx, st)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			first := newState("a", mem, 1)
			put(first)
			if m := put(first); m.Base != "" || m.ID != first.ID {
				t.Errorf("Put again: %+v", m)
			}
			if l, _ := s.List(ctx, "a"); len(l) != 1 {
				t.Errorf("Put of the same ID twice stored %d snapshots", len(l))
			}
			if m := put(newState("a", dirtied(mem, []int{1}, 1), 2)); m.Base != first.ID {
				t.Errorf("small change: base %q, want %q", m.Base, first.ID)
			}
			if m := put(newState("a", dirtied(mem, []int{0, 1, 2, 3, 4}, 2), 3)); m.Base != "" {
				t.Errorf("most pages changed: base %q, want a full snapshot", m.Base)
			}
			other := newState("a", mem, 4)
			other.ClassID = "class-2"
			if m := put(other); m.Base != "" {
				t.Errorf("class changed: base %q, want a full snapshot", m.Base)
			}
			s.setFullEvery(1)
			if m := put(newState("a", mem, 5)); m.Base != "" {
				t.Errorf("full every Put: base %q", m.Base)
			}
			for _, bad := range []*State{nil, {ActorID: "a"}, {ID: "x"}, {ID: strings.Repeat("/", 100), ActorID: "a"}} {
				if _, err := s.Put(ctx, bad); !errors.Is(err, ErrInvalid) {
					t.Errorf("Put(%+v) = %v, want ErrInvalid", bad, err)
				}
			}
		})
	}
}

func TestStoreRetention(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storeKinds {
		for _, keep := range []int{1, 2, 3, 5} {
			t.Run(fmt.Sprintf("%s/keep=%d", kind.name, keep), func(t *testing.T) {
				s := kind.make(t, keep)
				s.setFullEvery(4)
				states := history("actor-r", 15, 16)
				var bases []string // base of each Put, "" for a full one
				for i, st := range states {
					m, err := s.Put(ctx, st)
					if err != nil {
						t.Fatal(err)
					}
					bases = append(bases, m.Base)
					// Want the newest keep, then the older bases they need.
					var want []string
					need := map[string]bool{}
					for j := i; j >= 0 && j > i-keep; j-- {
						want = append(want, states[j].ID)
						need[bases[j]] = true
					}
					for j := i - keep; j >= 0; j-- {
						if need[states[j].ID] {
							want = append(want, states[j].ID)
						}
					}
					list, err := s.List(ctx, "actor-r")
					if err != nil {
						t.Fatal(err)
					}
					if got := ids(list); !slices.Equal(got, want) {
						t.Fatalf("after Put %d: kept %v, want %v", i, got, want)
					}
					if n := s.files(t, "actor-r"); n != len(want) {
						t.Fatalf("after Put %d: %d files, want %d", i, n, len(want))
					}
					for _, m := range list {
						if _, err := s.Get(ctx, "actor-r", m.ID); err != nil {
							t.Fatalf("after Put %d: Get %s: %v", i, m.ID, err)
						}
					}
				}
				if !slices.Contains(bases[1:], "") || !slices.ContainsFunc(bases, func(b string) bool { return b != "" }) {
					t.Errorf("bases %q: want both full and incremental snapshots", bases)
				}
				if keep == DefaultKeep {
					// With a full snapshot every 4 Puts, the newest 3 sometimes
					// need an older base: then 4 are kept.
					if l, _ := s.List(ctx, "actor-r"); len(l) > keep+1 {
						t.Fatalf("%d kept", len(l))
					}
				}
			})
		}
	}
}

func TestStoreLatestSkipsCorrupt(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.make(t, 3)
			states := history("actor-c", 3, 8)
			var metas []Meta
			for _, st := range states {
				m, err := s.Put(ctx, st)
				if err != nil {
					t.Fatal(err)
				}
				metas = append(metas, m)
			}
			s.corrupt(t, "actor-c", metas[2])
			got, errs, err := s.Latest(ctx, "actor-c")
			if err != nil {
				t.Fatal(err)
			}
			if err := sameState(got, states[1]); err != nil {
				t.Fatalf("Latest: %v", err)
			}
			if len(errs) != 1 || !errors.Is(errs[0], ErrCorrupt) || !strings.Contains(errs[0].Error(), metas[2].ID) {
				t.Fatalf("Latest reported %v, want the corrupt %s", errs, metas[2].ID)
			}
			if _, err := s.Get(ctx, "actor-c", metas[2].ID); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get of the corrupt snapshot: %v", err)
			}
			s.corrupt(t, "actor-c", metas[1])
			s.corrupt(t, "actor-c", metas[0])
			got, errs, err = s.Latest(ctx, "actor-c")
			if !errors.Is(err, ErrNotFound) || got != nil || len(errs) != 3 {
				t.Fatalf("Latest with all corrupt = %v, %v, %v", got, errs, err)
			}
			if _, _, err := s.Latest(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Latest of an unknown actor: %v", err)
			}
		})
	}
}

// TestDirStoreCorruptBase checks that, once reopened (so that no base is in
// memory), incremental snapshots whose base is corrupt are skipped too.
func TestDirStoreCorruptBase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewDirStore(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	states := history("a", 3, 32)
	for _, st := range states {
		if _, err := s.Put(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	path := findFile(t, filepath.Join(dir, "a"), states[0].ID)
	b, _ := os.ReadFile(path)
	b[100] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = NewDirStore(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	_, errs, err := s.Latest(ctx, "a")
	if !errors.Is(err, ErrNotFound) || len(errs) != 3 {
		t.Fatalf("Latest = %v, %v", errs, err)
	}
	for _, e := range errs {
		if !errors.Is(e, ErrCorrupt) {
			t.Errorf("reported %v, want ErrCorrupt", e)
		}
	}
}

func TestStoreConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.make(t, 3)
			const actors, puts = 6, 12
			var wg sync.WaitGroup
			histories := make([][]*State, actors)
			for a := range actors {
				histories[a] = history(fmt.Sprintf("actor-%d", a), puts, 4+a)
			}
			for a := range actors {
				wg.Go(func() {
					for i, st := range histories[a] {
						if _, err := s.Put(ctx, st); err != nil {
							t.Errorf("actor %d Put %d: %v", a, i, err)
							return
						}
					}
				})
				wg.Go(func() { // readers alongside
					for range puts {
						id := fmt.Sprintf("actor-%d", a)
						if _, _, err := s.Latest(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
							t.Errorf("Latest: %v", err)
						}
						if _, err := s.List(ctx, id); err != nil {
							t.Errorf("List: %v", err)
						}
						if _, err := s.Actors(ctx); err != nil {
							t.Errorf("Actors: %v", err)
						}
					}
				})
			}
			wg.Wait()
			got, err := s.Actors(ctx)
			if err != nil || len(got) != actors {
				t.Fatalf("Actors = %v, %v", got, err)
			}
			for a := range actors {
				id := fmt.Sprintf("actor-%d", a)
				st, errs, err := s.Latest(ctx, id)
				if err != nil || len(errs) > 0 {
					t.Fatalf("Latest(%s): %v %v", id, err, errs)
				}
				if err := sameState(st, histories[a][puts-1]); err != nil {
					t.Fatalf("Latest(%s): %v", id, err)
				}
				if l, _ := s.List(ctx, id); len(l) < 3 || len(l) > 4 {
					t.Fatalf("List(%s) has %d", id, len(l))
				}
			}
		})
	}
}

func TestStoreDelete(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.make(t, 3)
			for _, actor := range []string{"a", "b"} {
				for _, st := range history(actor, 4, 3) {
					if _, err := s.Put(ctx, st); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := s.Delete(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if l, err := s.List(ctx, "a"); err != nil || len(l) != 0 {
				t.Fatalf("List after Delete = %v, %v", l, err)
			}
			if n := s.files(t, "a"); n != 0 {
				t.Fatalf("%d files left", n)
			}
			if _, err := s.Get(ctx, "a", "x"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after Delete: %v", err)
			}
			if got, _ := s.Actors(ctx); !slices.Equal(got, []string{"b"}) {
				t.Fatalf("Actors = %v", got)
			}
			if err := s.Delete(ctx, "nobody"); err != nil {
				t.Fatal(err)
			}
			// The actor can start over.
			st := history("a", 1, 2)[0]
			if m, err := s.Put(ctx, st); err != nil || m.Base != "" {
				t.Fatalf("Put after Delete = %+v, %v", m, err)
			}
			if got, _ := s.Actors(ctx); !slices.Equal(got, []string{"a", "b"}) {
				t.Fatalf("Actors = %v", got)
			}
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := s.Put(cancelled, history("a", 2, 2)[1]); !errors.Is(err, context.Canceled) {
				t.Fatalf("Put with a cancelled context: %v", err)
			}
		})
	}
}

func TestDirStoreReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewDirStore(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	actor := "actor/with:odd..chars é"
	states := history(actor, 12, 64)
	for _, st := range states[:6] {
		if _, err := s.Put(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := s.List(ctx, actor)

	s, err = NewDirStore(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := s.List(ctx, actor)
	if !slices.EqualFunc(before, after, func(a, b Meta) bool {
		return a.ID == b.ID && a.Base == b.Base && a.Size == b.Size && a.Calls == b.Calls && a.Taken.Equal(b.Taken) && a.ClassID == b.ClassID && a.ActorID == b.ActorID
	}) {
		t.Fatalf("List after reopening = %+v, want %+v", after, before)
	}
	if got, _ := s.Actors(ctx); !slices.Equal(got, []string{actor}) {
		t.Fatalf("Actors = %q", got)
	}
	// Latest decodes the latest full snapshot, which the next Put diffs against.
	st, errs, err := s.Latest(ctx, actor)
	if err != nil || len(errs) > 0 || sameState(st, states[5]) != nil {
		t.Fatalf("Latest after reopening: %v %v", err, errs)
	}
	m, err := s.Put(ctx, states[6])
	if err != nil {
		t.Fatal(err)
	}
	if m.Base != states[0].ID {
		t.Errorf("first Put after reopening: base %q, want %q", m.Base, states[0].ID)
	}
	if l, _ := s.List(ctx, actor); l[0].ID != states[6].ID {
		t.Errorf("newest is %s, want %s", l[0].ID, states[6].ID)
	}
	// Without a base in memory, a Put is full.
	s, err = NewDirStore(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.Put(ctx, states[7]); err != nil || m.Base != "" {
		t.Errorf("Put after reopening = %+v, %v; want a full snapshot", m, err)
	}
}

func TestDirStoreTempFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewDirStore(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	states := history("a", 3, 3)
	for _, st := range states[:2] {
		if _, err := s.Put(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	adir := filepath.Join(dir, "a")
	// A crash mid-write leaves a temporary file, whole or not.
	whole := encoded(t, states[2], nil)
	for name, data := range map[string][]byte{
		".tmp-123":     whole,
		".tmp-456":     whole[:len(whole)/2],
		"README":       []byte("not a snapshot"),
		"x.snap":       whole, // not a snapshot file name
		"0001-ab.snap": whole,
	} {
		if err := os.WriteFile(filepath.Join(adir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ".tmp-top"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A write that fails part-way leaves nothing.
	_, err = dirBlobs{dir: dir, fs: fsys.OS}.write(ctx, "a", fileName(99, "never"), func(w io.Writer) error {
		w.Write(whole[:100])
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("failed write succeeded")
	}
	if tmps, _ := filepath.Glob(filepath.Join(adir, tempPrefix+"*")); len(tmps) != 2 {
		t.Fatalf("temporary files after a failed write: %v", tmps)
	}
	// Before reopening, temporary files are not listed.
	if l, _ := s.List(ctx, "a"); len(l) != 2 {
		t.Fatalf("List = %v", ids(l))
	}

	s, err = NewDirStore(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.List(ctx, "a")
	if err != nil || !slices.Equal(ids(l), []string{states[1].ID, states[0].ID}) {
		t.Fatalf("List = %v, %v", ids(l), err)
	}
	st, errs, err := s.Latest(ctx, "a")
	if err != nil || len(errs) > 0 || sameState(st, states[1]) != nil {
		t.Fatalf("Latest = %v %v", err, errs)
	}
	des, _ := os.ReadDir(adir)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	for _, n := range names {
		if strings.HasPrefix(n, tempPrefix) {
			t.Errorf("temporary file %s left after reopening", n)
		}
	}
	if !slices.Contains(names, "README") {
		t.Errorf("unrelated file removed: %v", names)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-top")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("top-level temporary file left: %v", err)
	}
}

// TestDirStoreBadHeader checks that a snapshot file whose header does not
// parse is listed, reported by Latest and removed by retention.
func TestDirStoreBadHeader(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewDirStore(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	states := history("a", 4, 2)
	s.SetFullEvery(1)
	for _, st := range states[:2] {
		if _, err := s.Put(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	path := findFile(t, filepath.Join(dir, "a"), states[1].ID)
	if err := os.WriteFile(path, []byte("WACTSNAP"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = NewDirStore(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := s.List(ctx, "a"); len(l) != 2 || l[0].ID != states[1].ID {
		t.Fatalf("List = %v", ids(l))
	}
	st, errs, err := s.Latest(ctx, "a")
	if err != nil || len(errs) != 1 || !errors.Is(errs[0], ErrCorrupt) || sameState(st, states[0]) != nil {
		t.Fatalf("Latest = %v, %v", errs, err)
	}
	for _, st := range states[2:] {
		if _, err := s.Put(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if l, _ := s.List(ctx, "a"); !slices.Equal(ids(l), []string{states[3].ID, states[2].ID}) {
		t.Fatalf("List = %v", ids(l))
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("bad file not removed: %v", err)
	}
}

func TestEscapeName(t *testing.T) {
	for _, s := range []string{"a", "ck-0123456789abcdef", "a/b", "..", ".", "é", "%41", "a b", "A_Z-9"} {
		e := escapeName(s)
		if strings.ContainsAny(e, "/.\\ ") || strings.HasPrefix(e, ".") {
			t.Errorf("escapeName(%q) = %q", s, e)
		}
		if got, ok := unescapeName(e); !ok || got != s {
			t.Errorf("unescapeName(%q) = %q, %v; want %q", e, got, ok, s)
		}
		if seq, id, ok := parseFileName(fileName(42, s)); !ok || seq != 42 || id != s {
			t.Errorf("parseFileName(fileName(42, %q)) = %d, %q, %v", s, seq, id, ok)
		}
	}
	for _, bad := range []string{"", "%4", "%zz", "%41x", "%2f", "a.b"} {
		if _, ok := unescapeName(bad); ok {
			t.Errorf("unescapeName(%q) accepted", bad)
		}
	}
	for _, bad := range []string{".tmp-1", "1-a.snap", "000000000000000x-a.snap", "0000000000000001-.snap", "0000000000000001_a.snap"} {
		if _, _, ok := parseFileName(bad); ok {
			t.Errorf("parseFileName(%q) accepted", bad)
		}
	}
}
