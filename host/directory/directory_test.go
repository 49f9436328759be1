package directory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wactor/wactor/api"
)

// rec is a test entry.
type rec struct {
	key      Key
	children Owner[*rec]
	ready    chan struct{}
	startErr error
	damaged  error
}

func newRec(ns, name, class string) *rec {
	return &rec{key: Key{ID: NewID(), Namespace: ns, Name: name, Class: class}, ready: make(chan struct{})}
}

func (r *rec) Key() Key               { return r.key }
func (r *rec) Children() *Owner[*rec] { return &r.children }
func (r *rec) Ready() <-chan struct{} { return r.ready }
func (r *rec) Damaged() error         { return r.damaged }
func (r *rec) start(err error)        { r.startErr = err; close(r.ready) }
func (r *rec) Started() bool {
	select {
	case <-r.ready:
		return r.startErr == nil
	default:
		return false
	}
}

func TestRegisterNamesAndLookups(t *testing.T) {
	ctx := context.Background()
	d := New(Hooks[*rec]{})
	a := newRec("ns", "a", "c1")
	if _, err := d.Register(ctx, a, nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lookup(ctx, "ns", "a"); !errors.Is(err, api.ErrActorNotFound) {
		t.Fatalf("lookup of a pending entry: %v", err)
	}
	if _, err := d.Actor(ctx, a.key.ID); !errors.Is(err, api.ErrActorNotFound) {
		t.Fatalf("actor of a pending entry: %v", err)
	}
	if got, err := d.Find(a.key.ID); err != nil || got != a {
		t.Fatalf("find of a pending entry: %v %v", got, err)
	}
	a.start(nil)
	if got, err := d.Lookup(ctx, "ns", "a"); err != nil || got != a {
		t.Fatalf("lookup: %v %v", got, err)
	}
	if _, err := d.Lookup(ctx, "other", "a"); !errors.Is(err, api.ErrActorNotFound) {
		t.Fatalf("lookup in another namespace: %v", err)
	}
	if _, err := d.Lookup(ctx, "ns", "bad/name"); !errors.Is(err, api.ErrInvalidName) {
		t.Fatalf("lookup of an invalid name: %v", err)
	}
	if _, err := d.Register(ctx, newRec("ns", "a", "c1"), nil, false); !errors.Is(err, api.ErrNameTaken) {
		t.Fatalf("second a: %v", err)
	}
	if _, err := d.Register(ctx, newRec("ns", "a", "c2"), nil, true); !errors.Is(err, api.ErrNameTaken) {
		t.Fatalf("get-if-exists of another class: %v", err)
	}
	if got, err := d.Register(ctx, newRec("ns", "a", "c1"), nil, true); err != nil || got != a {
		t.Fatalf("get-if-exists: %v %v", got, err)
	}
	a.damaged = errors.New("damaged")
	if _, err := d.Lookup(ctx, "ns", "a"); err != a.damaged {
		t.Fatalf("lookup of a damaged entry: %v", err)
	}
	if _, err := d.Register(ctx, newRec("ns", "a", "c1"), nil, true); err != a.damaged {
		t.Fatalf("get-if-exists of a damaged entry: %v", err)
	}
	d.Forget(a)
	if _, err := d.Find(a.key.ID); !errors.Is(err, api.ErrActorNotFound) {
		t.Fatalf("find after forget: %v", err)
	}
	if _, err := d.Register(ctx, newRec("ns", "a", "c1"), nil, false); err != nil {
		t.Fatalf("name after forget: %v", err)
	}
	if len(d.List()) != 1 {
		t.Fatalf("list: %d entries", len(d.List()))
	}
	list, ok := d.Close()
	if !ok || len(list) != 1 {
		t.Fatalf("close: %v %d", ok, len(list))
	}
	if _, ok := d.Close(); ok {
		t.Fatal("closed twice")
	}
	if _, err := d.Register(ctx, newRec("ns", "b", "c1"), nil, false); !errors.Is(err, api.ErrClosed) {
		t.Fatalf("register after close: %v", err)
	}
}

func TestOwners(t *testing.T) {
	ctx := context.Background()
	admitted := 0
	d := New(Hooks[*rec]{
		Admit: func(r *rec) error {
			if r.key.Name == "refused" {
				return api.ErrQuota
			}
			admitted++
			return nil
		},
		Release: func(*rec) { admitted-- },
	})
	parent := newRec("ns", "", "c")
	parent.children.Limit = 2
	if _, err := d.Register(ctx, parent, nil, false); err != nil {
		t.Fatal(err)
	}
	k1, k2 := newRec("ns", "", "c"), newRec("ns", "", "c")
	for _, k := range []*rec{k1, k2} {
		if _, err := d.Register(ctx, k, &parent.children, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Register(ctx, newRec("ns", "", "c"), &parent.children, false); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("past the limit: %v", err)
	}
	if _, err := d.Register(ctx, newRec("ns", "refused", "c"), nil, false); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("admit: %v", err)
	}
	d.Forget(k1)
	if kids := d.Forget(parent); len(kids) != 1 || kids[0] != k2 {
		t.Fatalf("children: %v", kids)
	}
	if _, err := d.Register(ctx, newRec("ns", "", "c"), &parent.children, false); !errors.Is(err, api.ErrActorDied) {
		t.Fatalf("owner gone: %v", err)
	}
	var session Owner[*rec]
	s1 := newRec("ns", "s1", "c")
	if _, err := d.Register(ctx, s1, &session, false); err != nil {
		t.Fatal(err)
	}
	if owned, ok := d.CloseOwner(&session); !ok || len(owned) != 1 || owned[0] != s1 {
		t.Fatalf("close owner: %v %v", owned, ok)
	}
	if _, ok := d.CloseOwner(&session); ok {
		t.Fatal("owner closed twice")
	}
	for _, r := range []*rec{k2, s1} {
		d.Forget(r)
		d.Forget(r) // twice: no effect
	}
	if admitted != 0 || len(d.List()) != 0 {
		t.Fatalf("admitted %d, listed %d after forgetting all", admitted, len(d.List()))
	}
}

// TestHammer registers, looks up and forgets the same few names from many
// goroutines (run it with -race): get-or-create makes exactly one entry per
// name at a time, and every entry found is the one holding the name.
func TestHammer(t *testing.T) {
	ctx := context.Background()
	var live atomic.Int64
	d := New(Hooks[*rec]{Admit: func(*rec) error { live.Add(1); return nil }, Release: func(*rec) { live.Add(-1) }})
	names := []string{"a", "b", "c"}
	const workers, rounds = 16, 300
	var created [3]atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				n := (w + i) % len(names)
				r := newRec("ns", names[n], "c")
				got, err := d.Register(ctx, r, nil, true)
				if err != nil {
					t.Error(err)
					return
				}
				if got == nil { // ours: start it (sometimes failing), use it, forget it
					created[n].Add(1)
					if i%7 == 0 {
						created[n].Add(-1)
						d.Forget(r) // as the host: forgotten, then ready
						r.start(errors.New("constructor failed"))
						continue
					}
					r.start(nil)
					if l, err := d.Lookup(ctx, "ns", names[n]); err != nil || l != r {
						t.Errorf("lookup of a held name: %v %v", l, err)
					}
					if c := created[n].Load(); c != 1 {
						t.Errorf("%d entries named %s", c, names[n])
					}
					created[n].Add(-1)
					d.Forget(r)
					continue
				}
				if got.key.Name != names[n] || !got.Started() {
					t.Errorf("get-if-exists returned %v", got.key)
				}
				if _, err := d.Actor(ctx, got.key.ID); err != nil && !errors.Is(err, api.ErrActorNotFound) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := live.Load(); n != 0 || len(d.List()) != 0 {
		t.Fatalf("%d admitted, %d listed after all were forgotten", n, len(d.List()))
	}
}

func ExampleNewID() {
	fmt.Println(len(NewID()))
	// Output: 32
}

// TestGetOrCreateMakesOne: of concurrent get-or-creates of one name, exactly
// one registers its entry, and all the others get that entry once started.
func TestGetOrCreateMakesOne(t *testing.T) {
	d := New(Hooks[*rec]{})
	const n = 32
	got := make([]*rec, n)
	var wg sync.WaitGroup
	var mine atomic.Int64
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := newRec("ns", "one", "c")
			existing, err := d.Register(context.Background(), r, nil, true)
			if err != nil {
				t.Error(err)
				return
			}
			if existing == nil {
				mine.Add(1)
				r.start(nil)
				existing = r
			}
			got[i] = existing
		}()
	}
	wg.Wait()
	if mine.Load() != 1 {
		t.Fatalf("%d entries created", mine.Load())
	}
	for _, g := range got {
		if g != got[0] {
			t.Fatal("get-or-create returned different entries")
		}
	}
	if len(d.List()) != 1 {
		t.Fatalf("%d entries listed", len(d.List()))
	}
}

// TestGetOrCreateWaits: get-or-create waits for the holder of the name to
// start (or for ctx), and takes the name when the holder fails to start.
func TestGetOrCreateWaits(t *testing.T) {
	d := New(Hooks[*rec]{})
	p := newRec("ns", "p", "c")
	if _, err := d.Register(context.Background(), p, nil, true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Register(ctx, newRec("ns", "p", "c"), nil, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	q := newRec("ns", "p", "c")
	done := make(chan error, 1)
	go func() {
		existing, err := d.Register(context.Background(), q, nil, true)
		if err == nil && existing != nil {
			err = fmt.Errorf("got %v, want to take the name", existing.key)
		}
		done <- err
	}()
	d.Forget(p) // as the host does when a constructor fails
	p.start(errors.New("constructor failed"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, err := d.Find(q.key.ID); err != nil || got != q {
		t.Fatalf("the waiter does not hold the name: %v %v", got, err)
	}
}
