package host

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
)

// forbiddenRecorder records refused accesses (ForbiddenObserver).
type forbiddenRecorder struct {
	nopObserver
	mu     sync.Mutex
	events []ForbiddenEvent
}

func (r *forbiddenRecorder) Forbidden(e ForbiddenEvent) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *forbiddenRecorder) ops() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, e := range r.events {
		out[e.Op]++
	}
	return out
}

func mustEncode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := codec.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeArgs(t testing.TB, args ...any) []byte {
	t.Helper()
	b, err := codec.EncodeArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHostile_TenancyMatrix: a class uploaded by namespace "b"
// (testdata/hostile_tenant.wat) aims every actor-call import at namespace
// "a" with bytes of its choosing: A's actor by name, by its handle, by a
// handle built from the bare ID; kill; spawn into "a" and into a namespace
// nobody uses; spawn of a class only "a" loaded. Every reach out of "b" is
// refused with wactor.forbidden (or not found, for a class "a" alone
// loaded) and reported to the observer; the same imports aimed at "b"
// itself work, so the refusals are not an accident of the fixture. A's
// counter keeps its value, its actors live, nothing appears in another
// namespace, and a bystander in a third namespace answers throughout.
func TestHostile_TenancyMatrix(t *testing.T) {
	ctx := context.Background()
	rec := &forbiddenRecorder{}
	h := newTestHost(t, Config{Observer: rec})
	by := startBystander(t, h)
	base := takeBaseline(h)

	counter, err := h.LoadClassIn(ctx, "a", readWasm(t, cCounterPath))
	if err != nil {
		t.Fatal(err)
	}
	private, err := h.LoadClassIn(ctx, "a", fixture(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	victim, err := h.Spawn(ctx, counter.ID, Options{Namespace: "a", Name: "victim"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := h.LoadClassIn(ctx, "b", fixture(t, "hostile_tenant"))
	if err != nil {
		t.Fatal(err)
	}
	attacker, err := h.Spawn(ctx, tenant.ID, Options{Namespace: "b", Name: "attacker"})
	if err != nil {
		t.Fatal(err)
	}
	// b's own counter (the class is visible to "b": the bystander loaded
	// it for every namespace), the target of the control rows.
	own, err := h.Spawn(ctx, counter.ID, Options{Namespace: "b", Name: "own"}, 7)
	if err != nil {
		t.Fatal(err)
	}

	handle := func(a *Actor) []byte { return mustEncode(t, a.Ref()) }
	bare := func(a *Actor) []byte { return mustEncode(t, abi.Handle{ID: a.ID()}) }
	forged := func(a *Actor) []byte { return mustEncode(t, abi.Handle{ID: a.ID(), Class: tenant.ID}) }
	incr := encodeArgs(t, 1000)
	none := encodeArgs(t)
	opts := func(m map[string]any) []byte { return mustEncode(t, m) }

	const ok = ""
	for _, tt := range []struct {
		name   string
		method string
		args   []any
		want   string // error code, or ok
	}{
		{"get_actor a's name in a", "get_actor", []any{[]byte("a"), []byte("victim")}, abi.CodeForbidden},
		{"get_actor a's name in a, no name", "get_actor", []any{[]byte("a"), []byte("")}, abi.CodeForbidden},
		{"get_actor a's name in b", "get_actor", []any{[]byte(""), []byte("victim")}, abi.CodeActorNotFound},
		{"get_actor a name in a namespace nobody uses", "get_actor", []any{[]byte("nobody"), []byte("victim")}, abi.CodeForbidden},
		{"get_actor own name (control)", "get_actor", []any{[]byte("b"), []byte("own")}, ok},
		{"call a's actor by handle", "call", []any{handle(victim), []byte("incr"), incr}, abi.CodeForbidden},
		{"call a's actor by bare ID", "call", []any{bare(victim), []byte("incr"), incr}, abi.CodeForbidden},
		{"call a's actor by forged class", "call", []any{forged(victim), []byte("incr"), incr}, abi.CodeForbidden},
		{"call a's actor by the ID as text", "call", []any{mustEncode(t, victim.ID()), []byte("incr"), incr}, abi.CodeBadHandle},
		{"call own actor (control)", "call", []any{handle(own), []byte("get"), none}, ok},
		{"send a's actor by handle", "send", []any{handle(victim), []byte("incr"), incr}, abi.CodeForbidden},
		{"send a's actor by bare ID", "send", []any{bare(victim), []byte("incr"), incr}, abi.CodeForbidden},
		{"send own actor (control)", "send", []any{bare(own), []byte("get"), none}, ok},
		{"await a future this sandbox never sent", "await_stray", nil, abi.CodeBadArgs},
		{"kill a's actor by handle", "kill", []any{handle(victim)}, abi.CodeForbidden},
		{"kill a's actor by bare ID", "kill", []any{bare(victim)}, abi.CodeForbidden},
		{"spawn own class into a", "spawn", []any{[]byte(""), none, opts(map[string]any{"namespace": "a", "name": "planted"})}, abi.CodeForbidden},
		{"spawn own class into a namespace nobody uses", "spawn", []any{[]byte(""), none, opts(map[string]any{"namespace": "nobody"})}, abi.CodeForbidden},
		{"spawn a's class", "spawn", []any{[]byte(private.ID), none, []byte{}}, abi.CodeBadArgs},
		{"spawn a's class into a", "spawn", []any{[]byte(private.ID), none, opts(map[string]any{"namespace": "a"})}, abi.CodeForbidden},
		{"spawn a class nobody loaded", "spawn", []any{[]byte("sha256:00"), none, []byte{}}, abi.CodeBadArgs},
		{"spawn own class (control)", "spawn", []any{[]byte(""), none, opts(map[string]any{"name": "kid", "detached": true})}, ok},
		{"spawn a shared class into b (control)", "spawn", []any{[]byte(counter.ID), encodeArgs(t, 1), opts(map[string]any{"namespace": "b"})}, ok},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := attacker.Invoke(ctx, tt.method, tt.args...)
			if tt.want == ok {
				if err != nil {
					t.Fatalf("%s: %v, want success", tt.method, err)
				}
				return
			}
			var ae *AppError
			if !errors.As(err, &ae) || ae.Code != tt.want {
				t.Fatalf("%s: %v, want application error %s", tt.method, err, tt.want)
			}
		})
	}

	// The control kill last: the import works within the namespace.
	if _, err := attacker.Invoke(ctx, "kill", bare(own)); err != nil {
		t.Fatalf("kill own actor: %v", err)
	}
	eventually(t, "b's own counter to die", func() bool { return own.Info().State == StateDead })

	if got := invoke[int64](t, victim, "get"); got != 100 {
		t.Errorf("a's counter is %d after the attack, want 100", got)
	}
	if st := victim.Info().State; st != StateAlive {
		t.Errorf("a's counter is %s", st)
	}
	for _, info := range h.Actors() {
		switch ns := info.Options.Namespace; {
		case ns == "a" && info.ID != victim.ID():
			t.Errorf("actor %s (%s) appeared in namespace a", info.ID, info.Name)
		case ns != "a" && ns != "b" && ns != bystanderNamespace:
			t.Errorf("actor %s appeared in namespace %q", info.ID, ns)
		}
	}
	if _, err := h.Lookup(ctx, "a", "planted"); !errors.Is(err, ErrActorNotFound) {
		t.Errorf("Lookup(a, planted) = %v, want ErrActorNotFound", err)
	}
	ops := rec.ops()
	for op, want := range map[string]int{"get_actor": 3, "call": 3, "send": 2, "kill": 2, "spawn": 3} {
		if ops[op] != want {
			t.Errorf("%d forbidden events for %s, want %d (all: %v)", ops[op], op, want, ops)
		}
	}
	rec.mu.Lock()
	for _, e := range rec.events {
		if e.Namespace != "b" || e.ActorID != attacker.ID() || !errors.Is(e.Err, ErrForbidden) {
			t.Errorf("event %+v: want namespace b, the attacker, ErrForbidden", e)
		}
	}
	rec.mu.Unlock()

	// A refusal echoes a bounded part of what the guest sent.
	long := make([]byte, 20000)
	for i := range long {
		long[i] = 'n'
	}
	_, err = attacker.Invoke(ctx, "get_actor", long, []byte("victim"))
	var ae *AppError
	if !errors.As(err, &ae) || ae.Code != abi.CodeForbidden {
		t.Errorf("get_actor with a 20,000-byte namespace: %v, want wactor.forbidden", err)
	} else if len(ae.Message) > 1024 {
		t.Errorf("get_actor with a 20,000-byte namespace: the refusal is %d bytes", len(ae.Message))
	}

	by.progress(t, 1)
	by.finish(t)
	for _, a := range []*Actor{victim, attacker} {
		_ = a.Kill(ctx)
	}
	for _, info := range h.Actors() {
		if info.State != StateDead && info.Options.Namespace == "b" {
			if a, err := h.Actor(ctx, info.ID); err == nil {
				_ = a.Kill(ctx)
			}
		}
	}
	base.settled(t, h, 0)
}

// TestClasses_PerNamespace: a class a namespace loads is visible to it
// alone (and to namespaces that load the same bytes), a class LoadClass
// loads to every namespace; Spawn, ClassIn, ClassesIn and ReleaseClass
// follow the same rule.
func TestClasses_PerNamespace(t *testing.T) {
	ctx := context.Background()
	rec := &forbiddenRecorder{}
	h := newTestHost(t, Config{Observer: rec})
	wasm := fixture(t, "minimal")
	c, err := h.LoadClassIn(ctx, "a", wasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.ClassIn(ctx, "b", c.ID); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("ClassIn(b) = %v, want ErrClassNotFound", err)
	}
	if _, err := h.Spawn(ctx, c.ID, Options{Namespace: "b"}); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("Spawn in b = %v, want ErrClassNotFound", err)
	}
	if _, err := h.Spawn(ctx, c.ID, Options{}); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("Spawn in the default namespace = %v, want ErrClassNotFound", err)
	}
	if err := h.ReleaseClass(ctx, "b", c.ID); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("ReleaseClass(b) = %v, want ErrClassNotFound", err)
	}
	if n := len(h.ClassesIn("b")); n != 0 {
		t.Fatalf("b sees %d classes", n)
	}
	a, err := h.Spawn(ctx, c.ID, Options{Namespace: "a"})
	if err != nil {
		t.Fatal(err)
	}
	// b uploads the same bytes: its own claim on the same class.
	if c2, err := h.LoadClassIn(ctx, "b", wasm); err != nil || c2.ID != c.ID {
		t.Fatalf("LoadClassIn(b) = %v, %v", c2.ID, err)
	}
	if err := h.ReleaseClass(ctx, "a", c.ID); !errors.Is(err, ErrClassInUse) {
		t.Fatalf("ReleaseClass(a) with a live actor = %v, want ErrClassInUse", err)
	}
	_ = a.Kill(ctx)
	if err := h.ReleaseClass(ctx, "a", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.ClassIn(ctx, "a", c.ID); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("ClassIn(a) after release = %v", err)
	}
	if _, err := h.ClassIn(ctx, "b", c.ID); err != nil {
		t.Fatalf("b's claim went with a's: %v", err)
	}
	if err := h.ReleaseClass(ctx, "b", c.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(h.Classes()); n != 0 {
		t.Fatalf("%d classes loaded after every namespace released it", n)
	}
	// LoadClass: every namespace sees it, none can delete it.
	g, err := h.LoadClass(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.ClassesIn("z"); len(got) != 1 || got[0].ID != g.ID {
		t.Fatalf("ClassesIn(z) = %v", got)
	}
	if err := h.ReleaseClass(ctx, "z", g.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("ReleaseClass of a shared class = %v, want ErrForbidden", err)
	}
	if ops := rec.ops(); ops["delete_class"] != 1 {
		t.Fatalf("forbidden events %v, want one delete_class", ops)
	}
}

// TestClasses_NamespaceQuota: a namespace's classes are bounded in count
// and bytes; a refused upload leaves nothing loaded, other namespaces and
// classes loaded by LoadClass are not charged.
func TestClasses_NamespaceQuota(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	q := h.namespaces.Quota("a")
	maxN, maxB := q.Classes, q.ClassBytes
	if maxN <= 0 || maxB <= 0 {
		t.Fatalf("class quota %d classes, %d bytes: want bounds by default", maxN, maxB)
	}
	// Distinct modules: minimal.wasm with a custom section of a different
	// name each time.
	base := fixture(t, "minimal")
	variant := func(i int) []byte {
		name := []byte{'q', byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)}
		sec := append(append([]byte{byte(len(name))}, name...), 'x')
		return append(append(append([]byte(nil), base...), 0, byte(len(sec))), sec...)
	}
	for i := 0; i < maxN; i++ {
		if _, err := h.LoadClassIn(ctx, "a", variant(i)); err != nil {
			t.Fatalf("class %d: %v", i, err)
		}
	}
	before := len(h.Classes())
	if _, err := h.LoadClassIn(ctx, "a", variant(maxN)); !errors.Is(err, ErrQuota) {
		t.Fatalf("class %d over the quota: %v, want ErrQuota", maxN, err)
	}
	if n := len(h.Classes()); n != before {
		t.Fatalf("a refused upload left a class loaded: %d classes, want %d", n, before)
	}
	if u := h.NamespaceUsage("a"); u.Classes != maxN || u.ClassBytes != int64(maxN*len(variant(0))) {
		t.Fatalf("NamespaceUsage(a): %d classes, %d bytes; want %d, %d", u.Classes, u.ClassBytes, maxN, maxN*len(variant(0)))
	}
	// Loading again a class the namespace holds is free.
	if _, err := h.LoadClassIn(ctx, "a", variant(0)); err != nil {
		t.Fatalf("reloading a held class: %v", err)
	}
	if _, err := h.LoadClassIn(ctx, "b", variant(maxN)); err != nil {
		t.Fatalf("another namespace: %v", err)
	}
	if _, err := h.LoadClass(ctx, variant(maxN+1)); err != nil {
		t.Fatalf("LoadClass: %v", err)
	}
	// Releasing one makes room.
	c0 := ClassID(variant(0))
	if err := h.ReleaseClass(ctx, "a", c0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LoadClassIn(ctx, "a", variant(maxN)); err != nil {
		t.Fatalf("after a release: %v", err)
	}
}

// TestClasses_NamespacesSurviveRestart: a durable host brings classes back
// with the namespaces that loaded them.
func TestClasses_NamespacesSurviveRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h, err := New(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := h.LoadClassIn(ctx, "a", fixture(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	shared, err := h.LoadClass(ctx, readWasm(t, cCounterPath))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	h = newTestHost(t, Config{DataDir: dir})
	if _, err := h.ClassIn(ctx, "a", mine.ID); err != nil {
		t.Fatalf("a's class after restart: %v", err)
	}
	if _, err := h.ClassIn(ctx, "b", mine.ID); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("a's class visible to b after restart: %v", err)
	}
	if _, err := h.ClassIn(ctx, "b", shared.ID); err != nil {
		t.Fatalf("shared class after restart: %v", err)
	}
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// A damaged namespaces file: the class comes back visible to no
	// namespace (never to more than before), and the file stays as it was
	// for the operator to look at.
	owners := filepath.Join(dir, "classes", mine.ID+".owners")
	if err := os.WriteFile(owners, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	h = newTestHost(t, Config{DataDir: dir})
	if _, err := h.ClassIn(ctx, "a", mine.ID); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("class with a damaged namespaces file: %v, want ErrClassNotFound", err)
	}
	if _, err := h.Class(ctx, mine.ID); err != nil {
		t.Fatalf("the class itself is still loaded: %v", err)
	}
	if b, err := os.ReadFile(owners); err != nil || string(b) != "{garbage" {
		t.Fatalf("damaged namespaces file changed: %q, %v", b, err)
	}
}

// TestClasses_ConcurrentClaims: namespaces loading and releasing the same
// bytes at once leave the class loaded exactly while someone claims it, and
// its file on disk exactly while it is loaded.
func TestClasses_ConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h := newTestHost(t, Config{DataDir: dir})
	wasm := fixture(t, "minimal")
	id := ClassID(wasm)
	var wg sync.WaitGroup
	errs := make(chan error, 4*20)
	for _, ns := range []string{"a", "b", "c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := h.LoadClassIn(ctx, ns, wasm); err != nil {
					errs <- err
					return
				}
				if err := h.ReleaseClass(ctx, ns, id); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(h.Classes()); n != 0 {
		t.Fatalf("%d classes loaded after every claim was released", n)
	}
	saved := filepath.Join(dir, "classes", id+".wasm")
	if _, err := os.Stat(saved); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("class file after the last release: %v", err)
	}
	if _, err := h.LoadClassIn(ctx, "a", wasm); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(saved); err != nil {
		t.Fatalf("class file after a load: %v", err)
	}
}
