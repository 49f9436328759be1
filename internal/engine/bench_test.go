package engine_test

import (
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/internal/engine"
)

// forEachEngineB runs fn as a sub-benchmark per engine.
func forEachEngineB(b *testing.B, fn func(b *testing.B, f *fixture)) {
	for _, f := range fixtures {
		b.Run(f.name, func(b *testing.B) { fn(b, f) })
	}
}

// BenchmarkEngine_BareCall calls wactor_abi_version: () -> i32, no memory
// access.
func BenchmarkEngine_BareCall(b *testing.B) {
	forEachEngineB(b, func(b *testing.B, f *fixture) {
		for _, g := range counters {
			b.Run(g.name, func(b *testing.B) {
				inst := newCounter(b, f, g.path, engine.InstanceConfig{}, 0)
				stack := []uint64{0}
				for b.Loop() {
					if err := inst.Call(ctx, abi.ExportVersion, stack); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// BenchmarkEngine_IncrCall is a method call as the host makes it: encode the
// arguments, wactor_alloc, write, call incr, read and decode the envelope.
func BenchmarkEngine_IncrCall(b *testing.B) {
	forEachEngineB(b, func(b *testing.B, f *fixture) {
		for _, g := range counters {
			b.Run(g.name, func(b *testing.B) {
				inst := newCounter(b, f, g.path, engine.InstanceConfig{}, 0)
				for b.Loop() {
					if _, err := invoke(inst, "incr", 1); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// BenchmarkEngine_Instantiate creates and closes an instance, without and
// with _initialize.
func BenchmarkEngine_Instantiate(b *testing.B) {
	forEachEngineB(b, func(b *testing.B, f *fixture) {
		for _, g := range counters {
			m := f.module(b, g.path)
			for _, init := range []bool{false, true} {
				name := g.name
				if init {
					name += "/initialize"
				}
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						inst, err := m.Instantiate(ctx, engine.InstanceConfig{})
						if err != nil {
							b.Fatal(err)
						}
						if init {
							start(b, m, inst)
						}
						_ = inst.Close(ctx)
					}
				})
			}
		}
	})
}

// BenchmarkEngine_Hash runs fnv(n), a hashing loop of n iterations (a load,
// xor, multiply and rotate each), with no limit, with interrupt checks, and
// with interrupt checks and fuel: the cost of enforcing a deadline or fuel
// on loop-heavy code with a realistic loop body. ns/iter is the cost of one
// iteration.
func BenchmarkEngine_Hash(b *testing.B) {
	const n = 1_000_000
	wasm := readWasm(b, "testdata/hash.wasm")
	for _, name := range engine.Names() {
		for _, c := range limitConfigs {
			b.Run(name+"/"+c.name, func(b *testing.B) {
				inst := limitedInstance(b, name, c.cfg, c.fuel, wasm)
				if err := inst.Call(ctx, "fill", nil); err != nil {
					b.Fatal(err)
				}
				stack := []uint64{0}
				for b.Loop() {
					stack[0] = n
					if err := inst.Call(ctx, "fnv", stack); err != nil {
						b.Fatal(err)
					}
					if c.fuel > 0 {
						if err := inst.SetFuel(c.fuel); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/iter")
			})
		}
	}
}

// limitConfigs are the three ways to run a loop: no limit, a deadline
// (interrupt checks), fuel (and interrupt checks).
var limitConfigs = []struct {
	name string
	cfg  engine.Config
	fuel uint64
}{
	{"nolimit", engine.Config{NoInterrupt: true, NoFuel: true}, 0},
	{"interrupt", engine.Config{NoFuel: true}, 0},
	{"fuel", engine.Config{}, 1 << 62},
}

// BenchmarkEngine_Loop runs sum(n), a tight loop of n iterations, compiled
// with no limit, with interrupt checks, and with interrupt checks and fuel.
// ns/iter is the cost of one iteration.
func BenchmarkEngine_Loop(b *testing.B) {
	const n = 1_000_000
	wasm := readWasm(b, loopWasm)
	for _, name := range engine.Names() {
		for _, c := range []struct {
			name string
			cfg  engine.Config
			fuel uint64
		}{
			{"nolimit", engine.Config{NoInterrupt: true, NoFuel: true}, 0},
			{"interrupt", engine.Config{NoFuel: true}, 0},
			{"fuel", engine.Config{}, 1 << 62},
		} {
			b.Run(name+"/"+c.name, func(b *testing.B) {
				inst := limitedInstance(b, name, c.cfg, c.fuel, wasm)
				stack := []uint64{0}
				for b.Loop() {
					stack[0] = n
					if err := inst.Call(ctx, "sum", stack); err != nil {
						b.Fatal(err)
					}
					if c.fuel > 0 {
						if err := inst.SetFuel(c.fuel); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/iter")
			})
		}
	}
}

// limitedInstance compiles wasm on a new engine of that name with cfg and
// instantiates it with fuel; the benchmark closes all three when it ends.
func limitedInstance(b *testing.B, name string, cfg engine.Config, fuel uint64, wasm []byte) engine.Instance {
	b.Helper()
	e, err := engine.New(ctx, name, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close(ctx) })
	m, err := e.Compile(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close(ctx) })
	inst, err := m.Instantiate(ctx, engine.InstanceConfig{Fuel: fuel})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = inst.Close(ctx) })
	return inst
}
