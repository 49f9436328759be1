package host

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	h, err := New(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	wasm, err := os.ReadFile("../examples/c-counter/counter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := h.LoadClass(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", c.HasManifest)
	a, err := h.Spawn(ctx, c.ID, Options{CallTimeout: 100 * time.Millisecond, MaxRestarts: 2, MemoryPages: 10}, 5)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = a.Invoke(ctx, "spin")
	t.Log(err, time.Since(start))
	v, err := a.Invoke(ctx, "grow", 100)
	t.Log(v, err)
	t.Logf("%+v", a.Info())
}
