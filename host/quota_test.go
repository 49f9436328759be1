package host

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/host/tenancy"
)

// TestQuota: each per-namespace quota refuses what passes it with ErrQuota
// naming the quota, and the host's accounting (NamespaceUsage) says what
// the namespace holds. Other namespaces are not affected.
func TestQuota(t *testing.T) {
	const ns = "tenant"
	ctx := context.Background()
	wantQuota := func(t *testing.T, err error, name string) {
		t.Helper()
		if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), "quota "+name) {
			t.Fatalf("got %v, want ErrQuota naming quota %s", err, name)
		}
	}
	for _, tt := range []struct {
		name  string
		quota Quota
		run   func(t *testing.T, h *Host)
	}{
		{"actors", Quota{Actors: 3}, func(t *testing.T, h *Host) {
			class := loadFixture(t, h, "minimal")
			var first *Actor
			for i := range 3 {
				a, err := h.Spawn(ctx, class, Options{Namespace: ns})
				if err != nil {
					t.Fatalf("spawn %d: %v", i, err)
				}
				first = a
			}
			_, err := h.Spawn(ctx, class, Options{Namespace: ns})
			wantQuota(t, err, "actors")
			if u := h.NamespaceUsage(ns); u.Actors != 3 || u.Quota.Actors != 3 {
				t.Fatalf("usage %+v, want 3 actors of a quota of 3", u)
			}
			if _, err := h.Spawn(ctx, class, Options{Namespace: "other"}); err != nil {
				t.Fatalf("another namespace: %v", err)
			}
			if err := first.Kill(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := h.Spawn(ctx, class, Options{Namespace: ns}); err != nil {
				t.Fatalf("spawn after a kill: %v", err)
			}
		}},
		{"memory at spawn", Quota{Memory: 3 * 65536}, func(t *testing.T, h *Host) {
			class := loadFixture(t, h, "minimal") // one page each
			for i := range 3 {
				if _, err := h.Spawn(ctx, class, Options{Namespace: ns}); err != nil {
					t.Fatalf("spawn %d: %v", i, err)
				}
			}
			_, err := h.Spawn(ctx, class, Options{Namespace: ns})
			wantQuota(t, err, "memory")
			if u := h.NamespaceUsage(ns); u.MemoryBytes != 3*65536 || u.Actors != 3 {
				t.Fatalf("usage %+v, want 3 actors holding 3 pages", u)
			}
		}},
		{"memory grow", Quota{Memory: 1 << 20}, func(t *testing.T, h *Host) {
			a, err := h.Spawn(ctx, loadFixture(t, h, "hostile_grow"), Options{Namespace: ns})
			if err != nil {
				t.Fatal(err)
			}
			// 64 KiB + 1 MiB passes the quota: memory.grow is refused
			// (on wasmtime through the store's limit, set before the call).
			for range 2 {
				if grew := invoke[bool](t, a, "grow16"); grew {
					t.Fatal("grow16 grew past the namespace's memory quota")
				}
			}
			if u := h.NamespaceUsage(ns); u.MemoryBytes != 65536 {
				t.Fatalf("the namespace holds %d bytes, want its one page", u.MemoryBytes)
			}
			// With the quota raised to 2 MiB, the same growth passes.
			if err := h.SetQuota(ns, Quota{Actors: 100, Memory: 2 << 20}); err != nil {
				t.Fatal(err)
			}
			if grew := invoke[bool](t, a, "grow16"); !grew {
				t.Fatal("grow16 refused within the namespace's raised quota")
			}
			eventually(t, "the namespace's memory to count the growth", func() bool {
				u := h.NamespaceUsage(ns)
				return u.MemoryBytes == 17*65536
			})
		}},
		{"pending calls", Quota{PendingCalls: 3}, func(t *testing.T, h *Host) {
			a, err := h.Spawn(ctx, loadFixture(t, h, "loop"), Options{Namespace: ns})
			if err != nil {
				t.Fatal(err)
			}
			spinCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			if _, err := a.Call(spinCtx, "spin"); err != nil {
				t.Fatal(err)
			}
			eventually(t, "spin to run", func() bool { return a.Info().Running == "spin" })
			for i := range 3 {
				if _, err := a.Call(ctx, "get"); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			_, err = a.Call(ctx, "get")
			wantQuota(t, err, "pending_calls")
			if u := h.NamespaceUsage(ns); u.PendingCalls != 3 {
				t.Fatalf("usage %+v, want 3 pending calls", u)
			}
			cancel()
			eventually(t, "the queue to drain", func() bool { return h.NamespaceUsage(ns).PendingCalls == 0 })
		}},
		{"unlimited", Quota{Actors: Unlimited}, func(t *testing.T, h *Host) {
			// Config.Quota (below) allows 2 per namespace; ns has none.
			class := loadFixture(t, h, "minimal")
			for i := range 5 {
				if _, err := h.Spawn(ctx, class, Options{Namespace: ns}); err != nil {
					t.Fatalf("spawn %d: %v", i, err)
				}
			}
			if u := h.NamespaceUsage(ns); u.Quota.Actors != Unlimited {
				t.Fatalf("quota %+v, want unlimited actors", u.Quota)
			}
			for range 2 {
				if _, err := h.Spawn(ctx, class, Options{Namespace: "other"}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := h.Spawn(ctx, class, Options{Namespace: "other"})
			wantQuota(t, err, "actors")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHost(t, Config{Quota: Quota{Actors: 2}, Quotas: map[string]Quota{ns: tt.quota}})
			if tt.quota.Actors == 0 {
				// The case bounds something else: lift Config.Quota's 2 actors.
				q := tt.quota
				q.Actors = 100
				if err := h.SetQuota(ns, q); err != nil {
					t.Fatal(err)
				}
			}
			tt.run(t, h)
		})
	}
}

// TestQuota_Defaults: zero fields take the built-in defaults, overrides
// take Config.Quota's for their zero fields, and bad quotas are refused once.
func TestQuota_Defaults(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{Quota: Quota{PendingCalls: 7, CallTimeout: time.Second}, Quotas: map[string]Quota{"a": {Actors: 5}}})
	if got := h.NamespaceUsage("b").Quota; got != (Quota{Actors: tenancy.DefaultQuotaActors, Memory: tenancy.DefaultQuotaMemory, PendingCalls: 7, Waiting: tenancy.DefaultQuotaWaiting,
		Classes: tenancy.DefaultQuotaClasses, ClassBytes: tenancy.DefaultQuotaClassBytes, CallTimeout: time.Second}) {
		t.Errorf("default quota %+v", got)
	}
	if got := h.namespaces.Quota("a"); got.Actors != 5 || got.PendingCalls != 7 || got.Memory != tenancy.DefaultQuotaMemory || got.CallTimeout != time.Second {
		t.Errorf("quota of a %+v", got)
	}
	for _, bad := range []Quota{{Actors: -2}, {Memory: -3}, {PendingCalls: -9}, {Waiting: -2}, {Classes: -2}, {ClassBytes: -2}, {CallTimeout: -2}} {
		if err := h.SetQuota("a", bad); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("SetQuota(%+v): %v, want ErrInvalidOptions", bad, err)
		}
	}
	if err := h.SetQuota("", Quota{}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("SetQuota without a namespace: %v", err)
	}
	for _, cfg := range []Config{
		{Quota: Quota{Actors: -5}},
		{Quotas: map[string]Quota{"x": {Memory: -5}}},
		{Quotas: map[string]Quota{"": {}}},
		{MaxDepth: -2},
		{MaxWaiting: -3},
	} {
		if _, err := New(ctx, cfg); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("New(%+v): %v, want ErrInvalidOptions", cfg, err)
		}
	}
}

// TestMaxDepth: Config.MaxDepth bounds chains of guest-initiated spawns:
// a constructor spawning its own class makes MaxDepth+1 actors, the
// deepest refused with a typed error; unlimited, the namespace's actor
// quota bounds the chain instead.
func TestMaxDepth(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		cfg      Config
		actors   int    // live actors of the tolerant chain
		strictIn string // the refusal the strict chain's root sees
	}{
		{"1", Config{MaxDepth: 1}, 2, "limit of 1 (max_depth)"},
		{"5", Config{MaxDepth: 5}, 6, "limit of 5 (max_depth)"},
		{"default", Config{}, defaultMaxDepth + 1, "limit of 32 (max_depth)"},
		{"unlimited", Config{MaxDepth: Unlimited, Quota: Quota{Actors: 40}}, 40, "quota actors"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHost(t, tt.cfg)
			class := loadFixture(t, h, "hostile_spawn_self")
			_, err := h.Spawn(ctx, class, Options{})
			wantQuotaApp(t, err, tt.strictIn)
			root, err := h.Spawn(ctx, class, Options{}, true)
			if err != nil {
				t.Fatal(err)
			}
			if n := h.NamespaceUsage(DefaultNamespace).Actors; n != tt.actors {
				t.Fatalf("%d actors, want %d", n, tt.actors)
			}
			if err := root.Kill(ctx); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the chain to die", func() bool { return h.NamespaceUsage(DefaultNamespace).Actors == 0 })
		})
	}
}

// TestMaxDepth_Calls: calls and sends made from inside guest calls count
// too: a spawn-and-call chain with MaxDepth 3 makes 4 actors.
func TestMaxDepth_Calls(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{MaxDepth: 3})
	root, err := h.Spawn(ctx, loadFixture(t, h, "hostile_chain"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.Invoke(ctx, "run")
	wantQuotaApp(t, err, "limit of 3 (max_depth)")
	if n := h.NamespaceUsage(DefaultNamespace).Actors; n != 4 {
		t.Fatalf("%d actors, want 4", n)
	}
}
