package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTestHost starts a host that the test closes when it ends.
func newTestHost(t testing.TB, cfg Config) *Host {
	t.Helper()
	h, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

func readWasm(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("guest fixture missing (make guests / make fixtures): %v", err)
	}
	return b
}

// fixture returns host/testdata/NAME.wasm.
func fixture(t testing.TB, name string) []byte {
	return readWasm(t, filepath.Join("testdata", name+".wasm"))
}

const (
	cCounterPath  = "../examples/c-counter/counter.wasm"
	goCounterPath = "../examples/counter/counter.wasm"
	misbehavePath = "../examples/misbehave/misbehave.wasm"
)

// spawn loads wasm and spawns one actor of it.
func spawn(t testing.TB, h *Host, wasm []byte, opts Options, args ...any) *Actor {
	t.Helper()
	ctx := context.Background()
	c, err := h.LoadClass(ctx, wasm)
	if err != nil {
		t.Fatalf("LoadClass: %v", err)
	}
	a, err := h.Spawn(ctx, c.ID, opts, args...)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	return a
}

// invoke calls method synchronously and decodes the result into T.
func invoke[T any](t testing.TB, a *Actor, method string, args ...any) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := a.Call(ctx, method, args...)
	if err != nil {
		t.Fatalf("Call %s: %v", method, err)
	}
	v, err := Await[T](ctx, f)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return v
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func hasLine(lines []LogLine, text string) bool {
	for _, l := range lines {
		if strings.Contains(l.Text, text) {
			return true
		}
	}
	return false
}

// ptr is api.Ptr: Options' optional fields take a pointer.
func ptr[T any](v T) *T { return &v }
