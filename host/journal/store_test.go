package journal

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/fsys"
	"github.com/wactor/wactor/snapshots"
)

func openStore(t *testing.T, fsy fsys.FS, mode api.Durability) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(Config{Dir: dir, Mode: mode, FS: fsy})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// TestStore_WriteFailsWithoutEffect: a class or owners file whose write or
// directory sync fails is as before: absent when new, its old bytes when
// replaced.
func TestStore_WriteFailsWithoutEffect(t *testing.T) {
	for name, fault := range map[string]fsys.Fault{
		"create":   {Op: fsys.OpOpen, Kind: fsys.IOError},
		"write":    {Op: fsys.OpWrite, Kind: fsys.Short},
		"sync":     {Op: fsys.OpSync, Kind: fsys.IOError},
		"rename":   {Op: fsys.OpRename, Kind: fsys.NoSpace},
		"dir sync": {Op: fsys.OpSync, After: 1, Times: 1, Kind: fsys.IOError}, // the file's sync passes
	} {
		t.Run(name, func(t *testing.T) {
			f := fsys.NewFaulty(nil)
			s, dir := openStore(t, f, "")
			if err := s.SaveOwners("c1", Owners{Namespaces: []string{"b", "a"}}); err != nil {
				t.Fatal(err)
			}
			f.Set(fault)
			if err := s.SaveOwners("c1", Owners{Global: true}); err == nil {
				t.Fatal("replacing the owners file did not fail")
			}
			f.Set(fault)
			if err := s.SaveClass("c2", []byte("wasm")); err == nil {
				t.Fatal("saving a class did not fail")
			}
			f.Clear()
			o, ok, err := s.LoadOwners("c1")
			if err != nil || !ok || o.Global || strings.Join(o.Namespaces, ",") != "a,b" {
				t.Fatalf("owners after a failed replace: %+v, %v, %v", o, ok, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "classes", "c2.wasm")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a class whose save failed exists: %v", err)
			}
			ents, _ := os.ReadDir(filepath.Join(dir, "classes"))
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".tmp-") {
					t.Fatalf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

// TestStore_Actors: metadata round-trips; a spawn that never finished is
// told from damage; a removal begun is finished by the next listing.
func TestStore_Actors(t *testing.T) {
	s, dir := openStore(t, nil, "")
	m := ActorMeta{ID: "a1", Class: "c", Options: api.Options{Namespace: "ns"}, InitArgs: []byte{0x80}, Created: time.Unix(1, 0).UTC()}
	if err := s.SaveActor(m); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "actors", "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "actors", removingPrefix+"gone"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "actors", "nometa"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "actors", "nometa", JournalName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	found, err := s.Actors()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Found{}
	for _, f := range found {
		got[f.ID] = f
	}
	if a := got["a1"]; a.Err != nil || !a.Spawning || a.Unfinished() || a.Meta.Options.Namespace != "ns" || !a.Meta.Created.Equal(m.Created) {
		t.Fatalf("a1: %+v", a)
	}
	if e := got["empty"]; !e.Empty || !e.Unfinished() {
		t.Fatalf("empty: %+v", e)
	}
	if n := got["nometa"]; n.Err == nil || n.Unfinished() {
		t.Fatalf("a directory without metadata but with a journal: %+v", n)
	}
	if _, ok := got["gone"]; ok || len(got) != 3 {
		t.Fatalf("found %d actors: %v", len(got), got)
	}
	if _, err := os.Stat(filepath.Join(dir, "actors", removingPrefix+"gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an interrupted removal was not finished: %v", err)
	}
	if err := s.Spawned("a1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveActor(context.Background(), "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "actors", "a1")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("removed actor's directory: %v", err)
	}
}

// TestStore_Load: what recovery finds of an actor: an unfinished spawn, a
// missing snapshot (damage), the records that follow the snapshot, a gap
// (damage), a torn tail kept aside.
func TestStore_Load(t *testing.T) {
	ctx := context.Background()
	s, dir := openStore(t, nil, api.DurabilitySync)
	if _, err := s.Load(ctx, "a1", true); !errors.Is(err, ErrUnfinished) {
		t.Fatalf("spawning without a snapshot: %v", err)
	}
	var de *DamageError
	if _, err := s.Load(ctx, "a1", false); !errors.As(err, &de) || !strings.Contains(de.Reason, "snapshot files are missing") {
		t.Fatalf("no snapshot: %v", err)
	}
	if err := s.SaveActor(ActorMeta{ID: "a1"}); err != nil {
		t.Fatal(err)
	}
	st := &snapshots.State{ID: "s1", ActorID: "a1", Calls: 2, Taken: time.Now(), ClassID: "c", Memory: snapshots.ImageOf(make([]byte, snapshots.PageSize))}
	if _, err := s.Snapshots().Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	if list, err := s.Checkpoints(ctx, "a1", 3); err != nil || len(list) != 1 || list[0].ID != "s1" || list[0].Calls != 2 {
		t.Fatalf("Checkpoints: %+v, %v", list, err)
	}
	if good := s.GoodCheckpoints(ctx, "a1"); len(good) != 1 || good[0].ID != "s1" {
		t.Fatalf("GoodCheckpoints: %+v", good)
	}
	j, err := s.OpenJournal("a1", 0)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 4; seq++ { // 1 and 2 are older than the snapshot
		if err := j.Append(&Entry{Method: "incr", Index: 0}, seq); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	rec, err := s.Load(ctx, "a1", false)
	if err != nil || rec.Latest.ID != "s1" || len(rec.Calls) != 2 || rec.Served != 4 {
		t.Fatalf("Load: %+v, %v", rec, err)
	}
	// A torn tail is kept aside and cut by the reopened journal.
	jpath := filepath.Join(dir, "actors", "a1", JournalName)
	whole, _ := os.ReadFile(jpath)
	if err := os.WriteFile(jpath, append(whole, 9, 0, 0, 0, 1), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, err = s.Load(ctx, "a1", false)
	if err != nil || rec.Valid != int64(len(whole)) || len(rec.Calls) != 2 {
		t.Fatalf("torn tail: %+v, %v", rec, err)
	}
	if kept, _ := filepath.Glob(filepath.Join(dir, "damaged", "a1", "*", "journal-torn-tail")); len(kept) != 1 {
		t.Fatalf("torn tail kept %d times", len(kept))
	}
	j, err = s.OpenJournal("a1", rec.Valid)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	// A gap: call 4 is followed by call 6.
	j, _ = s.OpenJournal("a1", rec.Valid)
	if err := j.Append(&Entry{Method: "incr", Index: 0}, 6); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, err := s.Load(ctx, "a1", false); !errors.As(err, &de) || !strings.Contains(de.Reason, "does not follow") {
		t.Fatalf("a gap: %v", err)
	}
	// A repair from s1 keeps the records before the gap.
	rp, newer, err := s.RepairPoint(ctx, "a1", "")
	if err != nil || rp.Latest.ID != "s1" || len(rp.Calls) != 2 || rp.Served != 4 || len(newer) != 0 {
		t.Fatalf("RepairPoint: %+v, %v, %v", rp, newer, err)
	}
	if _, _, err := s.RepairPoint(ctx, "a1", "nope"); !errors.Is(err, api.ErrCheckpointNotFound) {
		t.Fatalf("RepairPoint of a missing checkpoint: %v", err)
	}
	// In checkpoint mode there is no journal file.
	c, _ := openStore(t, nil, api.DurabilityCheckpoint)
	if j, err := c.OpenJournal("a1", 0); j != nil || err != nil {
		t.Fatalf("checkpoint mode opened a journal: %v, %v", j, err)
	}
}

// TestDiskError_NoPaths: a disk error's message names the operation and
// the failure, not the file, and unwraps to the original error.
func TestDiskError_NoPaths(t *testing.T) {
	_, err := os.ReadFile(filepath.Join(t.TempDir(), "secret", "path"))
	de := DiskError{err}
	if strings.Contains(de.Error(), "secret") || !errors.Is(de, fs.ErrNotExist) {
		t.Fatalf("%q", de.Error())
	}
}

// TestStore_PutCheckpoint: a stored checkpoint empties the journal, whose
// calls it holds; a checkpoint that cannot be stored fails with
// api.ErrPersist and leaves the journal as it was.
func TestStore_PutCheckpoint(t *testing.T) {
	ctx := context.Background()
	f := fsys.NewFaulty(nil)
	s, dir := openStore(t, f, api.DurabilityWrite)
	if err := s.SaveActor(ActorMeta{ID: "a1"}); err != nil {
		t.Fatal(err)
	}
	j, err := s.OpenJournal("a1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append(&Entry{Method: "incr"}, 1); err != nil {
		t.Fatal(err)
	}
	st := &snapshots.State{ID: "s1", ActorID: "a1", ClassID: "c", Calls: 1, Taken: time.Now(), Memory: snapshots.ImageOf(make([]byte, snapshots.PageSize))}
	jpath := filepath.Join(dir, "actors", "a1", JournalName)
	f.Set(fsys.Fault{Op: fsys.OpWrite, Path: "snapshots", Kind: fsys.NoSpace})
	if err := s.PutCheckpoint(ctx, st, j); !errors.Is(err, api.ErrPersist) {
		t.Fatalf("a checkpoint on a full disk: %v", err)
	}
	if fi, err := os.Stat(jpath); err != nil || fi.Size() == 0 {
		t.Fatalf("the journal was emptied by a checkpoint that failed: %v", err)
	}
	f.Clear()
	if err := s.PutCheckpoint(ctx, st, j); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(jpath); err != nil || fi.Size() != 0 {
		t.Fatalf("the journal was not emptied: %v", err)
	}
}

// TestStore_MetaJSON: actor.json holds the options in the API's JSON form
// (durations in milliseconds, explicit zeros kept), and a file written
// before that form (durations in nanoseconds, under call_timeout and
// checkpoint_interval) still reads back the same options.
func TestStore_MetaJSON(t *testing.T) {
	s, dir := openStore(t, nil, api.DurabilityWrite)
	want := api.Options{Namespace: "ns", MaxRestarts: api.Ptr(0), CallTimeout: api.Ptr(1500 * time.Millisecond),
		CheckpointInterval: api.Ptr(2 * time.Second), MemoryPages: 64}
	if err := s.SaveActor(ActorMeta{ID: "a1", Class: "sha256:c", Options: want}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "actors", "a1", MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{`"call_timeout_ms":1500`, `"checkpoint_interval_ms":2000`, `"max_restarts":0`} {
		if !strings.Contains(string(b), part) {
			t.Errorf("actor.json %s lacks %s", b, part)
		}
	}
	legacy := `{"id":"a2","class":"sha256:c","options":{"namespace":"ns","memory_pages":64,"call_timeout":1500000000,"checkpoint_interval":2000000000},"init_args":null,"created":"2026-01-02T03:04:05Z"}`
	if err := os.MkdirAll(filepath.Join(dir, "actors", "a2"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "actors", "a2", MetaFile), []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2"} {
		m, err := s.ReadMeta(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		o := m.Options
		if o.CallTimeout == nil || *o.CallTimeout != 1500*time.Millisecond || o.CheckpointInterval == nil || *o.CheckpointInterval != 2*time.Second ||
			o.Namespace != "ns" || o.MemoryPages != 64 {
			t.Errorf("%s: options %+v", id, o)
		}
	}
}
