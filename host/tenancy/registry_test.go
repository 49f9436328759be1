package tenancy

import (
	"cmp"
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/sandbox"
)

// testEngine is the engine the tests compile with: $WACTOR_TEST_ENGINE,
// or the build's (wasmtime with the tag wasmtime, see make test-wasmtime).
func testEngine(t *testing.T) *sandbox.Engine {
	t.Helper()
	name := cmp.Or(os.Getenv("WACTOR_TEST_ENGINE"), buildTestEngine)
	e, err := sandbox.NewEngine(context.Background(), name, "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

func minimal(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/minimal.wasm")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// variant is wasm with a custom section appended: another class ID, the
// same code.
func variant(wasm []byte, i int) []byte {
	sec := []byte{1, byte('a' + i), 'x'}
	return append(append(append([]byte(nil), wasm...), 0, byte(len(sec))), sec...)
}

// users is an InUse: the live actors, by class.
type users struct {
	mu sync.Mutex
	by map[*Class]map[string]string // actor ID -> namespace
}

func (u *users) inUse(c *Class, namespace string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	for id, ns := range u.by[c] {
		if namespace == "" || ns == namespace {
			return id
		}
	}
	return ""
}

func (u *users) set(c *Class, id, ns string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.by == nil {
		u.by = map[*Class]map[string]string{}
	}
	if u.by[c] == nil {
		u.by[c] = map[string]string{}
	}
	if ns == "" {
		delete(u.by[c], id)
	} else {
		u.by[c][id] = ns
	}
}

type forbidden struct{ namespace, op, target string }

func newRegistry(t *testing.T, q api.Quota, budget int64) (*Registry, *users, *[]forbidden) {
	u := &users{}
	var refused []forbidden
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	r := NewRegistry(RegistryConfig{
		Engine: testEngine(t), Namespaces: NewNamespaces(q.WithDefaults(BuiltinQuota), nil, -1),
		MaxClassBytes: 1 << 20, MemoryBudget: budget, MemoryPages: 16, Templates: true, Stop: stop,
		InUse: u.inUse,
		Forbidden: func(e ForbiddenEvent) {
			if !errors.Is(e.Err, api.ErrForbidden) || e.ActorID != "" {
				t.Errorf("Forbidden reported %+v", e)
			}
			refused = append(refused, forbidden{e.Namespace, e.Op, e.Target})
		},
	})
	t.Cleanup(func() { r.Close()() })
	return r, u, &refused
}

// TestRegistry_Walls: a tenant's class is visible to it alone; a trusted
// one to every namespace, which cannot release it; releasing the last claim
// unloads the class, unless an actor uses it.
func TestRegistry_Walls(t *testing.T) {
	ctx := context.Background()
	r, u, refused := newRegistry(t, api.Quota{}, 1<<30)
	wasm := minimal(t)
	mine, err := r.LoadIn(ctx, "a", wasm)
	if err != nil {
		t.Fatal(err)
	}
	if mine.ID != ClassID(wasm) {
		t.Fatalf("ID %s, want %s", mine.ID, ClassID(wasm))
	}
	if _, err := r.GetIn("b", mine.ID); !errors.Is(err, api.ErrClassNotFound) {
		t.Fatalf("b sees a's class: %v", err)
	}
	if got := r.ListIn("b"); len(got) != 0 {
		t.Fatalf("ListIn(b) = %v", got)
	}
	if n, b := r.Usage("a"); n != 1 || b != int64(len(wasm)) {
		t.Fatalf("Usage(a) = %d, %d", n, b)
	}
	if _, err := r.LoadIn(ctx, "no\x00good", wasm); !errors.Is(err, api.ErrInvalidName) {
		t.Fatalf("LoadIn with a bad namespace: %v", err)
	}

	shared, err := r.Load(ctx, variant(wasm, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetIn("b", shared.ID); err != nil {
		t.Fatalf("b does not see a trusted class: %v", err)
	}
	if err := r.Release(ctx, "b", shared.ID); !errors.Is(err, api.ErrForbidden) {
		t.Fatalf("b released a trusted class: %v", err)
	}
	if len(*refused) != 1 || (*refused)[0] != (forbidden{"b", "delete_class", shared.ID}) {
		t.Fatalf("forbidden events %v", *refused)
	}
	if err := r.Release(ctx, "b", mine.ID); !errors.Is(err, api.ErrClassNotFound) {
		t.Fatalf("b released a's class: %v", err)
	}

	c, err := r.Get(mine.ID)
	if err != nil {
		t.Fatal(err)
	}
	u.set(c, "actor-1", "a")
	if err := r.Release(ctx, "a", mine.ID); !errors.Is(err, api.ErrClassInUse) {
		t.Fatalf("Release of a class in use: %v", err)
	}
	if err := r.Unload(ctx, mine.ID); !errors.Is(err, api.ErrClassInUse) {
		t.Fatalf("Unload of a class in use: %v", err)
	}
	u.set(c, "actor-1", "")
	if err := r.Release(ctx, "a", mine.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(mine.ID); !errors.Is(err, api.ErrClassNotFound) {
		t.Fatalf("the released class is still loaded: %v", err)
	}
	if n, _ := r.Usage("a"); n != 0 || r.Len() != 1 {
		t.Fatalf("after release: a holds %d, %d loaded", n, r.Len())
	}
	if err := r.Unload(ctx, shared.ID); err != nil {
		t.Fatal(err)
	}
	if m, tm, _ := r.Budget(); m != 0 || tm != 0 {
		t.Fatalf("budget holds %d module and %d template bytes with no class", m, tm)
	}
}

// TestRegistry_Quota: a class past the namespace's class quota is refused
// and not left loaded; the same bytes again are free.
func TestRegistry_Quota(t *testing.T) {
	ctx := context.Background()
	r, _, _ := newRegistry(t, api.Quota{Classes: 1}, 1<<30)
	wasm := minimal(t)
	if _, err := r.LoadIn(ctx, "a", wasm); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LoadIn(ctx, "a", wasm); err != nil {
		t.Fatalf("loading the same bytes again: %v", err)
	}
	if _, err := r.LoadIn(ctx, "a", variant(wasm, 1)); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("second class: %v, want ErrQuota", err)
	}
	// Once b loaded it, the class is not free for a: a's claim counts.
	if _, err := r.LoadIn(ctx, "b", variant(wasm, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LoadIn(ctx, "a", variant(wasm, 1)); !errors.Is(err, api.ErrQuota) {
		t.Fatalf("b's class for a: %v, want ErrQuota", err)
	}
	if r.Len() != 2 {
		t.Fatalf("%d classes loaded, want 2", r.Len())
	}
}

// TestRegistry_LoadOnce: concurrent loads of the same bytes compile once;
// the budget and Close bound loads.
func TestRegistry_LoadOnce(t *testing.T) {
	ctx := context.Background()
	r, _, _ := newRegistry(t, api.Quota{}, 1<<30)
	wasm := minimal(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Load(ctx, wasm)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r.Len() != 1 {
		t.Fatalf("%d classes, want 1", r.Len())
	}
	if m, _, limit := r.Budget(); m != int64(len(wasm)) || limit != 1<<30 {
		t.Fatalf("budget: %d module bytes (want %d), limit %d", m, len(wasm), limit)
	}
	if got := r.List(); len(got) != 1 || got[0].ID != ClassID(wasm) {
		t.Fatalf("List %v", got)
	}

	small, _, _ := newRegistry(t, api.Quota{}, int64(len(wasm)-1))
	if _, err := small.Load(ctx, wasm); !errors.Is(err, api.ErrTooLarge) {
		t.Fatalf("load past the class memory budget: %v, want ErrTooLarge", err)
	}
	r.Close()()
	if _, err := r.Load(ctx, variant(wasm, 2)); !errors.Is(err, api.ErrClosed) {
		t.Fatalf("load after Close: %v", err)
	}
	if _, err := r.Get(ClassID(wasm)); !errors.Is(err, api.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
}
