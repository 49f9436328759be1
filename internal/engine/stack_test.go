package engine_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/wactor/wactor/internal/engine"
)

// TestStackOverflow_HostMemory: an unbounded recursion traps with a stack
// overflow on every engine, and costs the host little memory outside the
// guest's: wazero grows a call's stack up to a 50 MB ceiling (161 MiB
// allocated, 121 MiB in use at the trap), unless the call depth bound of
// its instrumentation stops it first (10 MiB); wasmtime's native stack is
// 512 KiB. The figures are logged (go test -v).
func TestStackOverflow_HostMemory(t *testing.T) {
	wasm := readWasm(t, "testdata/recurse.wasm")
	for _, name := range engine.Names() {
		t.Run(name, func(t *testing.T) {
			e, err := engine.New(ctx, name, engine.Config{NoFuel: true})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close(ctx)
			m, err := e.Compile(ctx, wasm)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close(ctx)
			inst, err := m.Instantiate(ctx, engine.InstanceConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close(ctx)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err = inst.Call(ctx, "recurse", []uint64{0, 0})
			runtime.ReadMemStats(&after)
			var te *engine.TrapError
			if !errors.As(err, &te) || !strings.Contains(te.Message, "stack") {
				t.Fatalf("recurse: %v, want a stack overflow trap", err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %s; %d MiB allocated by the call, heap in use %d -> %d MiB", name, te.Message, alloc>>20, before.HeapInuse>>20, after.HeapInuse>>20)
			if alloc > 32<<20 {
				t.Errorf("a stack overflow allocated %d MiB of host memory", alloc>>20)
			}
			// The instance still works after the trap (the counter is reset).
			if err := inst.Call(ctx, "get", []uint64{0, 0}); err != nil {
				t.Fatalf("get after the overflow: %v", err)
			}
		})
	}
}
