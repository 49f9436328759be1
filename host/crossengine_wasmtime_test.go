//go:build wasmtime

package host

import (
	"context"
	"testing"
)

// TestSnapshot_AcrossEngines: a durable actor checkpointed on a host of one
// engine comes back on a host of the other engine on the same data
// directory (its checkpoint restored, the calls journaled since replayed
// there), continues its state, and forks there.
func TestSnapshot_AcrossEngines(t *testing.T) {
	for _, g := range []struct {
		name, path string
	}{
		{"c", cCounterPath},
		{"go", goCounterPath},
	} {
		for _, dir := range [][2]string{{EngineWazero, EngineWasmtime}, {EngineWasmtime, EngineWazero}} {
			t.Run(g.name+"/"+dir[0]+"-to-"+dir[1], func(t *testing.T) {
				ctx := context.Background()
				data := t.TempDir()
				h := newTestHost(t, Config{Engine: dir[0], DataDir: data, Durability: DurabilityWrite})
				a := spawn(t, h, readWasm(t, g.path), Options{Durable: true, Name: "x"}, 10)
				invoke[int64](t, a, "incr", 5)
				if _, err := a.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
				invoke[int64](t, a, "incr", 2) // journaled after the checkpoint
				id := a.ID()

				h = reopen(t, h, Config{Engine: dir[1], DataDir: data, Durability: DurabilityWrite})
				if got := h.eng.Name(); got != dir[1] {
					t.Fatalf("engine %s, want %s", got, dir[1])
				}
				b, err := h.Actor(ctx, id)
				if err != nil {
					t.Fatalf("actor not back on %s: %v", dir[1], err)
				}
				if got := invoke[int64](t, b, "get"); got != 17 {
					t.Fatalf("get on %s = %d, want 17", dir[1], got)
				}
				if got := invoke[int64](t, b, "incr", 1); got != 18 {
					t.Fatalf("incr on %s = %d, want 18", dir[1], got)
				}
				fork, err := h.Fork(ctx, b, "", Options{})
				if err != nil {
					t.Fatal(err)
				}
				if got := invoke[int64](t, fork, "incr", 100); got != 118 {
					t.Fatalf("fork on %s = %d, want 118", dir[1], got)
				}
				if got := invoke[int64](t, b, "get"); got != 18 {
					t.Fatalf("source changed by its fork: %d", got)
				}
			})
		}
	}
}
