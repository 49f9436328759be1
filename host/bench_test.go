package host

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host/sandbox"
	"github.com/wactor/wactor/snapshots"
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
	if _, err := a.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	// A restore is itself checkpointed (docs/SNAPSHOTS.md), so each one
	// restores the newest.
	b.Run("restore", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := a.Restore(ctx, checkpointsOf(b, a)[0].ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSnapshot: checkpoint and restore of a C guest whose memory was
// grown to 2, 16 and 64 MiB and filled with heap-like data, next to a plain
// copy of the same memory. "incremental" checkpoints after one incr call
// (the kernel's write tracking finds the pages it dirtied); "full" forgets
// the previous image first; "disk" adds encoding and an fsynced write of
// the incremental snapshot (DurabilityCheckpoint). pages/op is how many 64
// KiB pages a checkpoint copied, bytes/op on disk the encoded size.
func BenchmarkSnapshot(b *testing.B) {
	ctx := context.Background()
	for _, mib := range []int{2, 16, 64} {
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			h, err := New(ctx, Config{DataDir: b.TempDir(), Durability: DurabilityCheckpoint, KeepCheckpoints: 3})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close(ctx)
			c, err := h.LoadClass(ctx, readWasm(b, cCounterPath))
			if err != nil {
				b.Fatal(err)
			}
			a, err := h.Spawn(ctx, c.ID, Options{Durable: true, MemoryPages: uint32(mib*16 + 64)}, 0)
			if err != nil {
				b.Fatal(err)
			}
			size := mib << 20
			// Grow to size and fill it like a heap: runs of words, some zeros.
			if _, err := a.control(ctx, func(sb *box) (abi.Value, error) {
				if cur := int(sb.Memory().Size()); cur < size {
					sb.Memory().Grow(uint32((size - cur) / 65536))
				}
				mem, _ := sb.Memory().Read(0, uint32(sb.Memory().Size()))
				x := uint64(42)
				for i := 256 << 10; i+8 <= len(mem); i += 8 { // leave the guest's own data alone
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					if x%4 == 0 {
						binary.LittleEndian.PutUint64(mem[i:], x%1024)
					}
				}
				return abi.Null(), nil
			}); err != nil {
				b.Fatal(err)
			}
			var mem []byte
			_, _ = a.control(ctx, func(sb *box) (abi.Value, error) {
				m, _ := sb.Memory().Read(0, uint32(sb.Memory().Size()))
				mem = bytes.Clone(m)
				return abi.Null(), nil
			})
			b.Run("memcopy", func(b *testing.B) {
				dst := make([]byte, len(mem))
				b.SetBytes(int64(len(mem)))
				for b.Loop() {
					copy(dst, mem)
				}
			})
			capture := func(b *testing.B, full bool) {
				pages := 0
				for b.Loop() {
					if !full {
						b.StopTimer()
						invoke[int64](b, a, "incr", 1)
						b.StartTimer()
					}
					if _, err := a.control(ctx, func(sb *box) (abi.Value, error) {
						if full {
							sb.ForgetImage()
						}
						prev := sb.Image()
						st, err := sb.Capture(a.ID(), 0)
						switch {
						case err != nil:
						case full:
							pages += st.Memory.NumPages()
						default:
							pages += len(snapshots.DiffPages(prev, st.Memory))
						}
						return abi.Null(), err
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
			}
			b.Run("checkpoint-full", func(b *testing.B) { capture(b, true) })
			b.Run("checkpoint-incremental", func(b *testing.B) { capture(b, false) })
			// The actor's first snapshot on disk is a full one: take it first.
			if _, err := a.Checkpoint(ctx); err != nil {
				b.Fatal(err)
			}
			b.Run("checkpoint-incremental-disk", func(b *testing.B) {
				var bytesOnDisk int
				for b.Loop() {
					b.StopTimer()
					invoke[int64](b, a, "incr", 1)
					b.StartTimer()
					info, err := a.Checkpoint(ctx)
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					for _, m := range checkpointsOf(b, a) {
						if m.ID == info.ID {
							bytesOnDisk += m.Size
						}
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(bytesOnDisk)/float64(b.N), "bytes/op")
			})
			b.Run("checkpoint-full-disk", func(b *testing.B) {
				var bytesOnDisk int64
				for b.Loop() {
					b.StopTimer()
					a.a.h.persist.Snapshots().SetFullEvery(1)
					invoke[int64](b, a, "incr", 1)
					b.StartTimer()
					info, err := a.Checkpoint(ctx)
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					for _, m := range checkpointsOf(b, a) {
						if m.ID == info.ID {
							bytesOnDisk += int64(m.Size)
						}
					}
					b.StartTimer()
				}
				a.a.h.persist.Snapshots().SetFullEvery(snapshots.DefaultFullEvery)
				b.ReportMetric(float64(bytesOnDisk)/float64(b.N), "bytes/op")
			})
			st := a.a.latestCheckpoint()
			b.Run("restore", func(b *testing.B) {
				for b.Loop() {
					sb, err := a.a.newBox(ctx, st, nil, sandbox.Live)
					if err != nil {
						b.Fatal(err)
					}
					sb.Close()
				}
			})
			b.Run("restore-from-disk", func(b *testing.B) {
				for b.Loop() {
					got, _, err := h.persist.Snapshots().Latest(ctx, a.ID())
					if err != nil {
						b.Fatal(err)
					}
					sb, err := a.a.newBox(ctx, got, nil, sandbox.Live)
					if err != nil {
						b.Fatal(err)
					}
					sb.Close()
				}
			})
		})
	}
}

// BenchmarkSpawn_Template: spawning from the class's template (the
// default) against a cold start that runs _initialize (Config.ColdSpawn).
func BenchmarkSpawn_Template(b *testing.B) {
	ctx := context.Background()
	for _, g := range benchGuests {
		for _, cold := range []bool{false, true} {
			name := g.name + "/template"
			if cold {
				name = g.name + "/cold"
			}
			b.Run(name, func(b *testing.B) {
				h, err := New(ctx, Config{ColdSpawn: cold})
				if err != nil {
					b.Fatal(err)
				}
				defer h.Close(ctx)
				c, err := h.LoadClass(ctx, readWasm(b, g.path))
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					x, err := h.Spawn(ctx, c.ID, Options{}, g.init...)
					if err != nil {
						b.Fatal(err)
					}
					_ = x.Kill(ctx)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "spawns/s")
			})
		}
	}
}

// BenchmarkCall_Durable: a sync call to a durable C-guest actor in each
// durability mode, against a plain actor: what the journal costs per call.
func BenchmarkCall_Durable(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []Durability{"", DurabilityCheckpoint, DurabilityWrite, DurabilitySync} {
		name := string(mode)
		if name == "" {
			name = "not-durable"
		}
		b.Run(name, func(b *testing.B) {
			cfg := Config{}
			if mode != "" {
				cfg = Config{DataDir: b.TempDir(), Durability: mode}
			}
			h, err := New(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close(ctx)
			c, err := h.LoadClass(ctx, readWasm(b, cCounterPath))
			if err != nil {
				b.Fatal(err)
			}
			a, err := h.Spawn(ctx, c.ID, Options{Durable: mode != ""}, 0)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := a.Invoke(ctx, "incr", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
