package host

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/wactor/wactor/abi"
)

func TestActor_HandleAsValue(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	a := spawn(t, h, wasm, Options{}, 1)
	b := spawn(t, h, wasm, Options{}, 2)

	// A handle passed as an argument comes back as a handle value.
	ref := invoke[abi.Handle](t, a, "echo", b)
	if ref != b.Ref() {
		t.Fatalf("echo(handle) = %+v, want %+v", ref, b.Ref())
	}
	again, err := h.Actor(ctx, ref.ID)
	if err != nil || again.ID() != b.ID() {
		t.Fatalf("Resolve: %v", err)
	}
	if got := invoke[int64](t, again, "get"); got != 2 {
		t.Fatalf("call through a resolved handle = %d", got)
	}
	// Inside containers too.
	refs := invoke[[]abi.Handle](t, a, "echo", []any{a, b})
	if len(refs) != 2 || refs[0] != a.Ref() || refs[1] != b.Ref() {
		t.Fatalf("echo([a, b]) = %+v", refs)
	}
	_ = b.Kill(ctx)
	if _, err := h.Actor(ctx, ref.ID); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("Resolve(dead): %v", err)
	}
}

func TestHost_Namespaces(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	wasm := fixture(t, "minimal")
	a := spawn(t, h, wasm, Options{Name: "svc", Namespace: "team-a"})
	b := spawn(t, h, wasm, Options{Name: "svc", Namespace: "team-b"})
	if a.ID() == b.ID() {
		t.Fatal("same actor")
	}
	for ns, want := range map[string]string{"team-a": a.ID(), "team-b": b.ID()} {
		got, err := h.Lookup(ctx, ns, "svc")
		if err != nil || got.ID() != want {
			t.Fatalf("Lookup(%s): %v", ns, err)
		}
	}
	if _, err := h.Lookup(ctx, DefaultNamespace, "svc"); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("default namespace sees another namespace's name: %v", err)
	}
	if _, err := h.Spawn(ctx, a.Class(), Options{Name: "svc", Namespace: "team-a"}); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("duplicate in namespace: %v", err)
	}
}

// TestHost_GetIfExists: 100 concurrent get-or-create calls make one actor.
func TestHost_GetIfExists(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	c, err := h.LoadClass(ctx, readWasm(t, cCounterPath))
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a, err := h.Spawn(ctx, c.ID, Options{Name: "singleton", GetIfExists: true}, 0)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = a.ID()
			if _, err := a.Invoke(ctx, "incr", 1); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("get-or-create made more than one actor: %s and %s", ids[0], id)
		}
	}
	if got := len(h.Actors()); got != 1 {
		t.Fatalf("%d actors", got)
	}
	a, _ := h.Lookup(ctx, DefaultNamespace, "singleton")
	if got := invoke[int64](t, a, "get"); got != n {
		t.Fatalf("counter = %d, want %d (every caller reached the same actor)", got, n)
	}
	// Another class under the same name is refused.
	other, err := h.LoadClass(ctx, fixture(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Spawn(ctx, other.ID, Options{Name: "singleton", GetIfExists: true}); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("get-or-create with another class: %v", err)
	}
	if _, err := h.Spawn(ctx, other.ID, Options{GetIfExists: true}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("get_if_exists without a name: %v", err)
	}
}

func TestSession_Close(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	c, err := h.LoadClass(ctx, fixture(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	s := h.NewSession()
	owned, err := s.Spawn(ctx, c.ID, Options{Name: "owned"})
	if err != nil {
		t.Fatal(err)
	}
	detached, err := s.Spawn(ctx, c.ID, Options{Name: "detached", Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	hostOwned := spawn(t, h, fixture(t, "minimal"), Options{})
	pending, _ := owned.Call(ctx, "get")
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if info := owned.Info(); info.State != StateDead || info.Death != DeathOwnerGone {
		t.Fatalf("owned actor after session close: %s %s", info.State, info.Death)
	}
	if _, err := pending.Get(ctx); err != nil && !errors.Is(err, ErrActorDied) {
		t.Fatalf("pending call: %v", err)
	}
	if _, err := owned.Call(ctx, "get"); !errors.Is(err, ErrActorDied) {
		t.Fatalf("call after owner gone: %v", err)
	}
	for _, a := range []*Actor{detached, hostOwned} {
		if st := a.Info().State; st != StateAlive {
			t.Fatalf("%s is %s after the session closed", a.ID(), st)
		}
	}
	if _, err := s.Spawn(ctx, c.ID, Options{}); !errors.Is(err, ErrActorDied) {
		t.Fatalf("spawn on a closed session: %v", err)
	}
	// The name of the dead owned actor can be reused.
	if _, err := h.Spawn(ctx, c.ID, Options{Name: "owned"}); err != nil {
		t.Fatalf("name reuse: %v", err)
	}
}
