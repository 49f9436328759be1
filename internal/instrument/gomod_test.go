package instrument

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// startGo instantiates a Go wasip1 reactor without start functions, fills
// the fuel (when given) and runs _initialize.
func startGo(t *testing.T, rt wazero.Runtime, wasm []byte, name, fuel string) api.Module {
	t.Helper()
	ctx := context.Background()
	mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName(name).WithStartFunctions())
	if err != nil {
		t.Fatalf("instantiate %s: %v", name, err)
	}
	if fuel != "" {
		setGlobal(t, mod, fuel, math.MaxInt64)
	}
	if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
		t.Fatalf("%s _initialize: %v", name, err)
	}
	return mod
}

func TestGoModule(t *testing.T) {
	ctx := context.Background()
	orig := readTestdata(t, "gomod.wasm")
	res, st, err := rewrite(orig, Options{Interrupt: true, Fuel: true, ExportGlobals: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes -> %d bytes, %d functions, %d loops, %d globals",
		len(orig), len(res.Wasm), st.funcs, st.loops, res.Globals)

	// The probe found 8 mutable globals in a Go guest (SP, CTXT, g,
	// RET0-3, PAUSE); every global must be exported.
	_, mutable := globalTypes(t, orig)
	nMut := 0
	for _, m := range mutable {
		if m {
			nMut++
		}
	}
	if nMut != 8 {
		t.Errorf("Go module has %d mutable globals, the probe saw 8", nMut)
	}
	if len(res.GlobalExports) != res.Globals || res.Globals != len(mutable) {
		t.Errorf("%d of %d globals exported (%d defined)", len(res.GlobalExports), res.Globals, len(mutable))
	}

	rt := newRuntime(t)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	plain := startGo(t, rt, orig, "plain", "")
	rewritten := startGo(t, rt, res.Wasm, "rewritten", res.FuelExport)

	for _, n := range []uint64{0, 1, 1000, 100000} {
		want, err := plain.ExportedFunction("work").Call(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rewritten.ExportedFunction("work").Call(ctx, n)
		if err != nil || got[0] != want[0] {
			t.Errorf("work(%d) = %v, %v; original %v", n, got, err, want)
		}
	}

	for idx, name := range res.GlobalExports {
		g := rewritten.ExportedGlobal(name)
		if g == nil {
			t.Errorf("global %d (%s) not exported", idx, name)
			continue
		}
		if _, ok := g.(api.MutableGlobal); ok != mutable[idx] {
			t.Errorf("global %d (%s): mutable %v, want %v", idx, name, ok, mutable[idx])
		}
	}

	// Fuel and interrupt work in a real guest (each trap poisons a Go
	// instance, so use fresh ones).
	fuelMod := startGo(t, rt, res.Wasm, "fuel", res.FuelExport)
	setGlobal(t, fuelMod, res.FuelExport, 10000)
	if _, err := fuelMod.ExportedFunction("work").Call(ctx, 100000); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("work with 10000 fuel: %v", err)
	}
	if left := int64(getGlobal(t, fuelMod, res.FuelExport)); left >= 0 {
		t.Errorf("fuel left %d after exhaustion", left)
	}
	intMod := startGo(t, rt, res.Wasm, "interrupt", res.FuelExport)
	setGlobal(t, intMod, res.InterruptExport, 1)
	if _, err := intMod.ExportedFunction("work").Call(ctx, 10); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("work with the interrupt raised: %v", err)
	}
}
