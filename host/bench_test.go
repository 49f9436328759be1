package host

import (
	"context"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wactor/wactor/abi"
)

// benchGuests are the guests every call benchmark runs on: a small C guest
// and a Go guest built with the SDK.
var benchGuests = []struct {
	name, path string
	init       []any
}{
	{"c", "../examples/c-counter/counter.wasm", []any{0}},
	{"go", "../examples/counter/counter.wasm", nil},
}

func benchActor(b *testing.B, path string, init []any) (*Host, *Actor) {
	b.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		b.Skipf("guest not built: %v", err)
	}
	ctx := context.Background()
	h, err := New(ctx, Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close(ctx) })
	c, err := h.LoadClass(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	a, err := h.Spawn(ctx, c.ID, Options{}, init...)
	if err != nil {
		b.Fatal(err)
	}
	return h, a
}

// BenchmarkCall_RawWazero is the floor: the same incr(1) call made directly
// with wazero (alloc, write the 2-byte argument array, call, decode the
// envelope), no host in between.
func BenchmarkCall_RawWazero(b *testing.B) {
	for _, g := range benchGuests {
		b.Run(g.name, func(b *testing.B) {
			wasm, err := os.ReadFile(g.path)
			if err != nil {
				b.Skipf("guest not built: %v", err)
			}
			ctx := context.Background()
			rt := wazero.NewRuntime(ctx)
			defer rt.Close(ctx)
			wasi_snapshot_preview1.MustInstantiate(ctx, rt)
			noop := func(context.Context, api.Module, []uint64) {}
			_, err = rt.NewHostModuleBuilder(abi.ImportModule).
				NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, nil).Export(abi.ImportLog).
				NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}).Export(abi.ImportSelfID).
				NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), nil, nil).Export(abi.ImportExit).
				Instantiate(ctx)
			if err != nil {
				b.Fatal(err)
			}
			mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions())
			if err != nil {
				b.Fatal(err)
			}
			if fn := mod.ExportedFunction("_initialize"); fn != nil {
				if _, err := fn.Call(ctx); err != nil {
					b.Fatal(err)
				}
			}
			alloc, incr, mem := mod.ExportedFunction("wactor_alloc"), mod.ExportedFunction("incr"), mod.Memory()
			args := []byte{0x81, 0x01}
			stack := make([]uint64, 2)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				stack[0] = 2
				if err := alloc.CallWithStack(ctx, stack[:1]); err != nil {
					b.Fatal(err)
				}
				mem.Write(uint32(stack[0]), args)
				stack[1] = 2
				if err := incr.CallWithStack(ctx, stack); err != nil {
					b.Fatal(err)
				}
				p, n := abi.UnpackPtrLen(stack[0])
				raw, ok := mem.Read(p, n)
				if !ok || len(raw) == 0 {
					b.Fatal("bad result")
				}
			}
		})
	}
}

// BenchmarkCall_Sync is one synchronous call round trip through the host:
// Call, queue, worker, sandbox, future, Get.
func BenchmarkCall_Sync(b *testing.B) {
	for _, g := range benchGuests {
		b.Run(g.name, func(b *testing.B) {
			_, a := benchActor(b, g.path, g.init)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := a.Invoke(ctx, "incr", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCall_Async1000 keeps 1,000 calls in flight on one actor (Ray's
// "1:1 actor calls async").
func BenchmarkCall_Async1000(b *testing.B) {
	for _, g := range benchGuests {
		b.Run(g.name, func(b *testing.B) {
			_, a := benchActor(b, g.path, g.init)
			ctx := context.Background()
			const window = 1000
			futs := make([]*Future, 0, window)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, err := a.Call(ctx, "incr", 1)
				if err != nil {
					b.Fatal(err)
				}
				futs = append(futs, f)
				if len(futs) == window {
					for _, f := range futs {
						if _, err := f.Get(ctx); err != nil {
							b.Fatal(err)
						}
					}
					futs = futs[:0]
				}
			}
			for _, f := range futs {
				if _, err := f.Get(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkSpawn: creating an actor (instantiate, _initialize, constructor)
// and killing it, per guest.
func BenchmarkSpawn(b *testing.B) {
	for _, g := range benchGuests {
		b.Run(g.name, func(b *testing.B) {
			h, a := benchActor(b, g.path, g.init)
			ctx := context.Background()
			class := a.Class()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x, err := h.Spawn(ctx, class, Options{}, g.init...)
				if err != nil {
					b.Fatal(err)
				}
				_ = x.Kill(ctx)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "spawns/s")
		})
	}
}

// BenchmarkCheckpointRestore: capture and restore of a Go guest's state
// (about 3 MiB of memory) through Checkpoint and Restore.
func BenchmarkCheckpointRestore(b *testing.B) {
	_, a := benchActor(b, goCounterPath, nil)
	ctx := context.Background()
	b.Run("checkpoint", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := a.Checkpoint(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	ck, err := a.Checkpoint(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("restore", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := a.Restore(ctx, ck.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
