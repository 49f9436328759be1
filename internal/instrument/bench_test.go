package instrument

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// BenchmarkRewrite rewrites the Go module with every option. Set
// WACTOR_BENCH_WASM to a path to benchmark another module as well.
func BenchmarkRewrite(b *testing.B) {
	files := []string{filepath.Join("testdata", "gomod.wasm")}
	if extra := os.Getenv("WACTOR_BENCH_WASM"); extra != "" {
		files = append(files, extra)
	}
	for _, f := range files {
		wasm, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(f), func(b *testing.B) {
			b.SetBytes(int64(len(wasm)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Rewrite(wasm, Options{Interrupt: true, Fuel: true, ExportGlobals: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type loopVariant struct {
	name     string
	opts     *Options // nil: the module as it is
	closeCtx bool     // wazero WithCloseOnContextDone(true), called with a deadline
	file     string   // testdata module (default loops.wasm)
}

var loopVariants = []loopVariant{
	{name: "plain"},
	{name: "interrupt", opts: &Options{Interrupt: true}},
	{name: "fuel", opts: &Options{Fuel: true}},
	{name: "interrupt+fuel", opts: &Options{Interrupt: true, Fuel: true}},
	{name: "closeOnContextDone", closeCtx: true},
	// The same loop in a module with a memory, so Yield applies.
	{name: "mem/plain", file: "spinmem.wasm"},
	{name: "mem/interrupt+yield", opts: &Options{Interrupt: true, Yield: true}, file: "spinmem.wasm"},
}

// variantRuntime prepares the runtime, module bytes and call context of a
// variant.
func variantRuntime(b *testing.B, v loopVariant, wasm []byte) (wazero.Runtime, []byte, context.Context, *Result) {
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfig()
	var res *Result
	if v.opts != nil {
		res = mustRewrite(b, wasm, *v.opts)
		wasm = res.Wasm
	}
	callCtx := ctx
	if v.closeCtx {
		cfg = cfg.WithCloseOnContextDone(true)
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, time.Hour)
		b.Cleanup(cancel)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	b.Cleanup(func() { rt.Close(ctx) })
	return rt, wasm, callCtx, res
}

// BenchmarkLoop runs count(1e6), a counted loop of i32 adds, in every
// variant; ns/iter is the cost of one loop iteration.
func BenchmarkLoop(b *testing.B) {
	const iters = 1_000_000
	for _, v := range loopVariants {
		b.Run(v.name, func(b *testing.B) {
			file := "loops.wasm"
			if v.file != "" {
				file = v.file
			}
			rt, wasm, callCtx, res := variantRuntime(b, v, readTestdata(b, file))
			mod := instantiate(b, rt, wasm, "loops")
			var fuel api.MutableGlobal
			if res != nil && res.FuelExport != "" {
				fuel = mod.ExportedGlobal(res.FuelExport).(api.MutableGlobal)
			}
			fn := mod.ExportedFunction("count")
			for b.Loop() {
				if fuel != nil {
					fuel.Set(math.MaxInt64)
				}
				if _, err := fn.Call(callCtx, iters); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/iters, "ns/iter")
		})
	}
}

// BenchmarkGoCall calls work(100) in the Go guest in every variant (all
// options at once for the rewritten module, and with the call depth bound
// too).
func BenchmarkGoCall(b *testing.B) {
	orig := readTestdata(b, "gomod.wasm")
	all := &Options{Interrupt: true, Fuel: true, ExportGlobals: true}
	depth := &Options{Interrupt: true, Fuel: true, ExportGlobals: true, MaxCallDepth: 1 << 16}
	for _, v := range []loopVariant{{name: "plain"}, {name: "rewritten", opts: all}, {name: "rewritten+depth", opts: depth}, {name: "closeOnContextDone", closeCtx: true}} {
		b.Run(v.name, func(b *testing.B) {
			ctx := context.Background()
			rt, wasm, callCtx, res := variantRuntime(b, v, orig)
			wasi_snapshot_preview1.MustInstantiate(ctx, rt)
			mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions())
			if err != nil {
				b.Fatal(err)
			}
			var fuel api.MutableGlobal
			if res != nil {
				fuel = mod.ExportedGlobal(res.FuelExport).(api.MutableGlobal)
				fuel.Set(math.MaxInt64)
			}
			if _, err := mod.ExportedFunction("_initialize").Call(callCtx); err != nil {
				b.Fatal(err)
			}
			fn := mod.ExportedFunction("work")
			for b.Loop() {
				if fuel != nil {
					fuel.Set(math.MaxInt64)
				}
				if _, err := fn.Call(callCtx, 100); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
