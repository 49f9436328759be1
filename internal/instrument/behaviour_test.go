package instrument

import (
	"context"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/wactor/wactor/internal/testutil"
)

// interruptRunaway starts fn in a goroutine, waits until the guest has
// visibly made progress (the exported i64 global "ticks" moves), raises the
// interrupt global and checks that the call traps.
func interruptRunaway(t *testing.T, mod api.Module, interrupt string, fn string, args ...uint64) {
	t.Helper()
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := mod.ExportedFunction(fn).Call(ctx, args...)
		done <- err
	}()
	stopped := false
	t.Cleanup(func() { // never leave a guest spinning after a failure
		if !stopped {
			setGlobal(t, mod, interrupt, 1)
			<-done
		}
	})
	ticks := mod.ExportedGlobal("ticks")
	testutil.Eventually(t, fn+" to run", func() bool { return ticks.Get() > 1000 })
	start := time.Now()
	setGlobal(t, mod, interrupt, 1)
	select {
	case err := <-done:
		stopped = true
		if err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("%s returned %v, want an unreachable trap", fn, err)
		}
		t.Logf("%s stopped %v after the interrupt, %d ticks", fn, time.Since(start), ticks.Get())
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10 s after the interrupt", fn)
	}
}

func TestInterruptInfiniteLoop(t *testing.T) {
	res := mustRewrite(t, readTestdata(t, "loops.wasm"), Options{Interrupt: true})
	mod := instantiate(t, newRuntime(t), res.Wasm, "loops")
	interruptRunaway(t, mod, res.InterruptExport, "spin")

	// The instance is usable again once the flag is lowered.
	setGlobal(t, mod, res.InterruptExport, 0)
	got, err := mod.ExportedFunction("count").Call(context.Background(), 10)
	if err != nil || got[0] != 45 {
		t.Fatalf("count(10) after interrupt = %v, %v", got, err)
	}
}

func TestInterruptRecursion(t *testing.T) {
	// rec(60) has no loop: only the checks at function entry can stop it.
	res := mustRewrite(t, readTestdata(t, "loops.wasm"), Options{Interrupt: true, Fuel: true})
	mod := instantiate(t, newRuntime(t), res.Wasm, "loops")
	setGlobal(t, mod, res.FuelExport, math.MaxInt64)
	interruptRunaway(t, mod, res.InterruptExport, "rec", 60)
}

func TestInterruptTailCallRecursion(t *testing.T) {
	// f(n) = ticks++; return_call f(n): endless, loop-free and without stack
	// growth (wazero's experimental tail calls).
	typ := sec(1, vec([]byte{0x60, 0x01, 0x7f, 0x00}))
	m := module(typ,
		sec(3, vec(leb(0))),
		sec(6, vec([]byte{0x7e, 0x01, 0x42, 0x00, 0x0b})),
		sec(7, vec(cat(name("f"), []byte{0x00, 0x00}), cat(name("ticks"), []byte{0x03, 0x00}))),
		sec(10, vec(body(0x23, 0x00, 0x42, 0x01, 0x7c, 0x24, 0x00, 0x20, 0x00, 0x12, 0x00))),
	)
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2|experimental.CoreFeaturesTailCall))
	t.Cleanup(func() { rt.Close(ctx) })
	if _, err := rt.CompileModule(ctx, m); err != nil {
		t.Skipf("wazero does not run tail calls: %v", err)
	}
	res := mustRewrite(t, m, Options{Interrupt: true})
	mod := instantiate(t, rt, res.Wasm, "tail")
	interruptRunaway(t, mod, res.InterruptExport, "f", 0)
}

func TestInterruptAtEntry(t *testing.T) {
	// A raised flag stops the very next call, even one without loops.
	res := mustRewrite(t, readTestdata(t, "imported_globals.wasm"), Options{Interrupt: true})
	ctx := context.Background()
	rt := newRuntime(t)
	instantiate(t, rt, readTestdata(t, "env.wasm"), "env")
	mod := instantiate(t, rt, res.Wasm, "m")
	setGlobal(t, mod, res.InterruptExport, 1)
	if _, err := mod.ExportedFunction("get_a").Call(ctx); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("get_a with interrupt raised: %v", err)
	}
	setGlobal(t, mod, res.InterruptExport, 0)
	if got, err := mod.ExportedFunction("get_a").Call(ctx); err != nil || got[0] != 7 {
		t.Fatalf("get_a = %v, %v", got, err)
	}
}

// consumed runs fn with the fuel global set to fuel and returns the fuel
// used (fuel minus what is left, which is negative after exhaustion).
func consumed(t *testing.T, mod api.Module, fuelName string, fuel int64, fn string, args ...uint64) (int64, []uint64, error) {
	t.Helper()
	setGlobal(t, mod, fuelName, uint64(fuel))
	res, err := mod.ExportedFunction(fn).Call(context.Background(), args...)
	return fuel - int64(getGlobal(t, mod, fuelName)), res, err
}

func TestFuel(t *testing.T) {
	for _, opts := range []Options{{Fuel: true}, {Fuel: true, Interrupt: true, ExportGlobals: true}} {
		loops := mustRewrite(t, readTestdata(t, "loops.wasm"), opts)
		nested := mustRewrite(t, readTestdata(t, "nested.wasm"), opts)
		rt := newRuntime(t)
		lm := instantiate(t, rt, loops.Wasm, "loops")
		nm := instantiate(t, rt, nested.Wasm, "nested")

		// Exact static costs, documented in the .wat files.
		for _, n := range []uint64{1, 7, 100} {
			used, res, err := consumed(t, lm, loops.FuelExport, 1e9, "count", n)
			if err != nil || used != 3+12*int64(n) || res[0] != n*(n-1)/2 {
				t.Errorf("count(%d): used %d fuel (want %d), result %v, %v", n, used, 3+12*n, res, err)
			}
		}
		for _, nm2 := range [][2]uint64{{1, 1}, {3, 4}, {10, 20}} {
			n, m := int64(nm2[0]), int64(nm2[1])
			used, res, err := consumed(t, nm, nested.FuelExport, 1e9, "nested", nm2[0], nm2[1])
			if want := 5 + 11*n + 12*n*m; err != nil || used != want || res[0] != uint64(n*m) {
				t.Errorf("nested(%d, %d): used %d fuel (want %d), result %v, %v", n, m, used, want, res, err)
			}
		}

		// Running out: 1000 fuel cannot pay for count(1000) (12003). The
		// entry takes 3, each iteration 12: the 84th iteration goes
		// negative at 997 - 84*12 = -11.
		var first int64
		for run := 0; run < 2; run++ {
			used, _, err := consumed(t, lm, loops.FuelExport, 1000, "count", 1000)
			if err == nil || !strings.Contains(err.Error(), "unreachable") {
				t.Fatalf("count(1000) with 1000 fuel: %v, want an unreachable trap", err)
			}
			if left := int64(getGlobal(t, lm, loops.FuelExport)); left != -11 {
				t.Errorf("fuel left after exhaustion %d, want -11", left)
			}
			if run == 0 {
				first = used
			} else if used != first {
				t.Errorf("run %d used %d fuel, run 0 used %d", run, used, first)
			}
		}

		// Determinism of a call with branches and three loop levels.
		a, _, errA := consumed(t, nm, nested.FuelExport, 1e9, "deep", 6)
		b, _, errB := consumed(t, nm, nested.FuelExport, 1e9, "deep", 6)
		if errA != nil || errB != nil || a != b || a <= 0 {
			t.Errorf("deep(6) used %d then %d fuel (%v, %v)", a, b, errA, errB)
		}

		// Refuelling makes the instance usable again.
		used, res, err := consumed(t, lm, loops.FuelExport, 1e6, "count", 1000)
		if err != nil || used != 12003 || res[0] != 499500 {
			t.Errorf("count(1000) after refuel: used %d, result %v, %v", used, res, err)
		}
	}
}

func TestFuelStartsEmpty(t *testing.T) {
	res := mustRewrite(t, readTestdata(t, "loops.wasm"), Options{Fuel: true})
	mod := instantiate(t, newRuntime(t), res.Wasm, "loops")
	if _, err := mod.ExportedFunction("count").Call(context.Background(), 1); err == nil {
		t.Fatal("a call without fuel succeeded")
	}
}

func TestExportGlobalsValues(t *testing.T) {
	ctx := context.Background()
	t.Run("imported", func(t *testing.T) {
		res := mustRewrite(t, readTestdata(t, "imported_globals.wasm"), Options{ExportGlobals: true, Interrupt: true})
		rt := newRuntime(t)
		env := instantiate(t, rt, readTestdata(t, "env.wasm"), "env")
		mod := instantiate(t, rt, res.Wasm, "m")
		g := func(i uint32) api.Global {
			t.Helper()
			gl := mod.ExportedGlobal(res.GlobalExports[i])
			if gl == nil {
				t.Fatalf("global %d not exported", i)
			}
			return gl
		}
		want := []struct {
			typ     api.ValueType
			val     uint64
			mutable bool
		}{
			{api.ValueTypeI32, 100, true},                    // env.g_mut
			{api.ValueTypeI64, 5, false},                     // env.g_imm
			{api.ValueTypeI32, 7, true},                      // $a
			{api.ValueTypeF64, math.Float64bits(1.5), false}, // $b
			{api.ValueTypeI64, 5, true},                      // $c = env.g_imm
		}
		for i, w := range want {
			gl := g(uint32(i))
			_, mut := gl.(api.MutableGlobal)
			if gl.Type() != w.typ || gl.Get() != w.val || mut != w.mutable {
				t.Errorf("global %d: %s %d mutable=%v, want %s %d mutable=%v",
					i, api.ValueTypeName(gl.Type()), gl.Get(), mut, api.ValueTypeName(w.typ), w.val, w.mutable)
			}
		}
		if env.ExportedGlobal("g_mut").Get() != g(0).Get() || env.ExportedGlobal("g_imm").Get() != g(1).Get() {
			t.Error("re-exported imported globals differ from the exporter's")
		}
		// The guest's writes show through the exports.
		if _, err := mod.ExportedFunction("bump").Call(ctx); err != nil {
			t.Fatal(err)
		}
		if g(0).Get() != 101 || g(2).Get() != 108 || env.ExportedGlobal("g_mut").Get() != 101 {
			t.Errorf("after bump: g0=%d g2=%d", g(0).Get(), g(2).Get())
		}
		// And the host's writes show through to the guest.
		g(2).(api.MutableGlobal).Set(1000)
		if got, err := mod.ExportedFunction("get_a").Call(ctx); err != nil || got[0] != 1000 {
			t.Errorf("get_a after Set = %v, %v", got, err)
		}
		g(0).(api.MutableGlobal).Set(5)
		if env.ExportedGlobal("g_mut").Get() != 5 {
			t.Error("setting the re-exported import did not reach the exporter")
		}
		// The interrupt global sits after all of them (index 5).
		if res.Globals != 5 || mod.ExportedGlobal(res.InterruptExport).Get() != 0 {
			t.Error("interrupt global missing")
		}
	})
	t.Run("already exported", func(t *testing.T) {
		res := mustRewrite(t, readTestdata(t, "exported_global.wasm"), Options{ExportGlobals: true})
		mod := instantiate(t, newRuntime(t), res.Wasm, "m")
		if _, err := mod.ExportedFunction("run").Call(ctx); err != nil {
			t.Fatal(err)
		}
		if res.GlobalExports[1] != "wactor_global_1" || getGlobal(t, mod, "wactor_global_1") != 52 ||
			getGlobal(t, mod, "counter") != 10 || getGlobal(t, mod, "limit") != 10 {
			t.Errorf("exports %v: values %d %d %d", res.GlobalExports,
				getGlobal(t, mod, "counter"), getGlobal(t, mod, "wactor_global_1"), getGlobal(t, mod, "limit"))
		}
		if mod.ExportedGlobal("wactor_global_0") != nil {
			t.Error("an already exported global was exported twice")
		}
	})
	t.Run("v128", func(t *testing.T) {
		res := mustRewrite(t, readTestdata(t, "simd.wasm"), Options{ExportGlobals: true})
		mod := instantiate(t, newRuntime(t), res.Wasm, "m")
		if _, err := mod.ExportedFunction("sum").Call(ctx); err != nil {
			t.Fatal(err)
		}
		gl := mod.ExportedGlobal(res.GlobalExports[0])
		// wazero shows (and sets) only the low 64 bits of a v128 global.
		if gl == nil || gl.Type() != api.ValueType(0x7b) || gl.Get() != 9|9<<32 {
			t.Errorf("v128 global: %v", gl)
		}
	})
}

func TestTryTable(t *testing.T) {
	// (func (result i32) block try_table (catch_all 0) loop throw 0 end end
	//  i32.const 0 return end i32.const 42)
	m := module(
		sec(1, vec([]byte{0x60, 0x00, 0x00}, []byte{0x60, 0x00, 0x01, 0x7f})),
		sec(3, vec(leb(1))),
		sec(13, vec([]byte{0x00, 0x00})),
		sec(7, vec(cat(name("f"), []byte{0x00, 0x00}))),
		sec(10, vec(body(
			0x02, 0x40,
			0x1f, 0x40, 0x01, 0x02, 0x00,
			0x03, 0x40, 0x08, 0x00, 0x0b,
			0x0b,
			0x41, 0x00, 0x0f,
			0x0b,
			0x41, 0x2a))),
	)
	res, st, err := rewrite(m, Options{Interrupt: true, Fuel: true})
	if err != nil || st.loops != 1 {
		t.Fatalf("rewrite: %v, %d loops", err, st.loops)
	}
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2|experimental.CoreFeaturesExceptionHandling))
	t.Cleanup(func() { rt.Close(ctx) })
	if _, err := rt.CompileModule(ctx, m); err != nil {
		t.Skipf("wazero does not run try_table: %v", err)
	}
	mod := instantiate(t, rt, res.Wasm, "eh")
	setGlobal(t, mod, res.FuelExport, 100)
	got, err := mod.ExportedFunction("f").Call(ctx)
	if err != nil || got[0] != 42 {
		t.Fatalf("f() = %v, %v", got, err)
	}
}

// TestYieldLetsGCRun: a guest spinning in a loop must not hold up the Go
// garbage collector's stop-the-world, which would freeze the process (and
// the timer that is meant to interrupt the guest). With Yield the guest
// reaches a preemption point every YieldEvery checks.
func TestYieldLetsGCRun(t *testing.T) {
	res := mustRewrite(t, readTestdata(t, "spinmem.wasm"), Options{Interrupt: true, Yield: true})
	if res.TicksExport != TicksExport {
		t.Fatalf("TicksExport = %q", res.TicksExport)
	}
	mod := instantiate(t, newRuntime(t), res.Wasm, "spinmem")
	ctx := context.Background()
	done := make(chan error, 1)
	go func() {
		_, err := mod.ExportedFunction("spin").Call(ctx)
		done <- err
	}()
	defer func() {
		setGlobal(t, mod, res.InterruptExport, 1)
		<-done
	}()
	ticks := mod.ExportedGlobal("ticks")
	testutil.Eventually(t, "spin to run", func() bool { return ticks.Get() > 1000 })
	gcDone := make(chan struct{})
	go func() {
		runtime.GC()
		runtime.GC()
		close(gcDone)
	}()
	select {
	case <-gcDone:
	case <-time.After(20 * time.Second):
		t.Fatal("garbage collection blocked by a spinning guest")
	}
	if c := mod.ExportedGlobal(TicksExport).Get(); c > YieldEvery {
		t.Fatalf("yield counter %d above its reset value", c)
	}
}

func TestYieldWithoutMemory(t *testing.T) {
	res := mustRewrite(t, readTestdata(t, "loops.wasm"), Options{Interrupt: true, Yield: true})
	if res.TicksExport != "" {
		t.Fatalf("loops.wasm has no memory, yet TicksExport = %q", res.TicksExport)
	}
	if _, err := wazero.NewRuntime(context.Background()).CompileModule(context.Background(), res.Wasm); err != nil {
		t.Fatalf("module without memory: %v", err)
	}
}
