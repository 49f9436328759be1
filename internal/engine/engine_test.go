package engine_test

// Tests shared by every engine registered in the build: wazero always,
// wasmtime with -tags wasmtime (register_*_test.go).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/instrument"
)

const (
	cGuest   = "../../examples/c-counter/counter.wasm"
	goGuest  = "../../examples/counter/counter.wasm"
	loopWasm = "testdata/loop.wasm"
	hostWasm = "testdata/host.wasm"
)

var ctx = context.Background()

// fixture is one engine shared by the tests, with its compiled modules.
type fixture struct {
	name string
	eng  engine.Engine

	mu   sync.Mutex
	mods map[string]*modEntry
}

type modEntry struct {
	once sync.Once
	mod  engine.Module
	err  error
}

var fixtures []*fixture

func TestMain(m *testing.M) {
	for _, name := range engine.Names() {
		e, err := engine.New(ctx, name, engine.Config{})
		if err != nil {
			fmt.Fprintf(os.Stderr, "engine %s: %v\n", name, err)
			os.Exit(1)
		}
		fixtures = append(fixtures, &fixture{name: name, eng: e, mods: map[string]*modEntry{}})
	}
	code := m.Run()
	for _, f := range fixtures {
		for _, e := range f.mods {
			if e.mod != nil {
				_ = e.mod.Close(ctx)
			}
		}
		_ = f.eng.Close(ctx)
	}
	os.Exit(code)
}

// forEachEngine runs fn as a subtest per engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	if len(fixtures) == 0 {
		t.Fatal("no engine registered")
	}
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) { fn(t, f) })
	}
}

var wasmCache sync.Map // path -> []byte

// readWasm returns a module's bytes with every global exported
// (instrument.ExportGlobals), as the host loads classes, so that snapshots
// can capture them.
func readWasm(t testing.TB, path string) []byte {
	t.Helper()
	if b, ok := wasmCache.Load(path); ok {
		return b.([]byte)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := instrument.Rewrite(raw, instrument.Options{ExportGlobals: true})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	wasmCache.Store(path, res.Wasm)
	return res.Wasm
}

// module compiles a module once per engine.
func (f *fixture) module(t testing.TB, path string) engine.Module {
	t.Helper()
	f.mu.Lock()
	e, ok := f.mods[path]
	if !ok {
		e = &modEntry{}
		f.mods[path] = e
	}
	f.mu.Unlock()
	e.once.Do(func() {
		start := time.Now()
		e.mod, e.err = f.eng.Compile(ctx, readWasm(t, path))
		t.Logf("%s: compiled %s in %v", f.name, path, time.Since(start).Round(time.Millisecond))
	})
	if e.err != nil {
		t.Fatalf("%s: compile %s: %v", f.name, path, e.err)
	}
	return e.mod
}

func instantiate(t testing.TB, m engine.Module, cfg engine.InstanceConfig) engine.Instance {
	t.Helper()
	inst, err := m.Instantiate(ctx, cfg)
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	t.Cleanup(func() { _ = inst.Close(ctx) })
	return inst
}

// clock is a monotonic clock for guests that can start from a given value
// (a snapshot's) and never goes back.
type clock struct {
	mu    sync.Mutex
	base  int64
	start time.Time
	last  int64
}

func newClock(from int64) *clock { return &clock{base: from, start: time.Now(), last: from} }

func (c *clock) nanotime() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.base + int64(time.Since(c.start))
	if v <= c.last {
		v = c.last + 1
	}
	c.last = v
	return v
}

func (c *clock) now() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// stepClock is a deterministic clock: each reading adds a microsecond.
type stepClock struct{ t int64 }

func (c *stepClock) nanotime() int64 { c.t += 1000; return c.t }

func (c *stepClock) walltime() (int64, int32) {
	c.t += 1000
	return 1_700_000_000 + c.t/1e9, int32(c.t % 1e9)
}

// seeded returns a deterministic random source.
func seeded(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return mrand.NewChaCha8(s)
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// hasExport reports whether m exports a function of that name.
func hasExport(m engine.Module, name string) bool {
	x, ok := engine.FindExport(m, name)
	return ok && x.Kind == engine.KindFunc
}

// start runs _initialize if the module has it.
func start(t testing.TB, m engine.Module, inst engine.Instance) {
	t.Helper()
	if hasExport(m, abi.ExportInitialize) {
		if err := inst.Call(ctx, abi.ExportInitialize, nil); err != nil {
			t.Fatalf("_initialize: %v", err)
		}
	}
}

// invoke calls a method as the host does (docs/ABI.md section 3).
func invoke(inst engine.Instance, method string, args ...any) (abi.Envelope, error) {
	b, err := codec.EncodeArgs(args)
	if err != nil {
		return abi.Envelope{}, err
	}
	stack := []uint64{uint64(len(b)), 0}
	if err := inst.Call(ctx, abi.ExportAlloc, stack); err != nil {
		return abi.Envelope{}, err
	}
	ptr := uint32(stack[0])
	if ptr == 0 || !inst.Memory().Write(ptr, b) {
		return abi.Envelope{}, fmt.Errorf("alloc returned %d for %d bytes", ptr, len(b))
	}
	stack[0], stack[1] = uint64(ptr), uint64(len(b))
	if err := inst.Call(ctx, method, stack); err != nil {
		return abi.Envelope{}, err
	}
	rptr, rlen := abi.UnpackPtrLen(stack[0])
	raw, ok := inst.Memory().Read(rptr, rlen)
	if !ok {
		return abi.Envelope{}, fmt.Errorf("result [%d, +%d) out of bounds", rptr, rlen)
	}
	return abi.DecodeEnvelope(raw, 0)
}

// invokeInt calls a method that returns one integer.
func invokeInt(t testing.TB, inst engine.Instance, method string, args ...any) int64 {
	t.Helper()
	env, err := invoke(inst, method, args...)
	if err != nil {
		t.Fatalf("%s%v: %v", method, args, err)
	}
	if env.Kind != abi.KindValue {
		t.Fatalf("%s%v: envelope %+v", method, args, env)
	}
	var n int64
	if err := codec.Decode(env.Values[0], &n); err != nil {
		t.Fatalf("%s%v: result %s: %v", method, args, env.Values[0], err)
	}
	return n
}

// newCounter instantiates a counter guest, runs _initialize and the
// constructor with start.
func newCounter(t testing.TB, f *fixture, path string, cfg engine.InstanceConfig, startAt int64) engine.Instance {
	t.Helper()
	m := f.module(t, path)
	inst := instantiate(t, m, cfg)
	start(t, m, inst)
	env, err := invoke(inst, abi.ExportInit, startAt)
	if err != nil {
		t.Fatalf("wactor_init: %v", err)
	}
	if env.Kind != abi.KindValue {
		t.Fatalf("wactor_init: envelope %+v", env)
	}
	return inst
}

var counters = []struct{ name, path string }{{"c", cGuest}, {"go", goGuest}}

func TestListing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		m := f.module(t, goGuest)
		var wasi []string
		for _, imp := range m.Imports() {
			if imp.Module != abi.WASIModule || imp.Kind != engine.KindFunc {
				t.Errorf("unexpected import %+v", imp)
			}
			wasi = append(wasi, imp.Name)
		}
		// The Go toolchain imports some functions twice (fd_write).
		for _, name := range []string{"fd_write", "clock_time_get", "random_get", "proc_exit"} {
			if !slices.Contains(wasi, name) {
				t.Errorf("imports %v lack %s", wasi, name)
			}
		}
		if len(wasi) < 12 || len(slices.Compact(slices.Sorted(slices.Values(wasi)))) == len(wasi) {
			t.Errorf("imports %v: want a dozen or more, with duplicates", wasi)
		}
		x, ok := engine.FindExport(m, "incr")
		if !ok || x.Kind != engine.KindFunc || x.Func.String() != "(i32, i32) -> (i64)" {
			t.Errorf("incr: %+v", x)
		}
		x, ok = engine.FindExport(m, "memory")
		if !ok || x.Kind != engine.KindMemory || x.Memory.Min != 40 {
			t.Errorf("memory: %+v", x)
		}
		globals := 0
		for _, x := range m.Exports() {
			if x.Kind == engine.KindGlobal {
				globals++
				if strings.HasPrefix(x.Name, "wactor_") && !strings.HasPrefix(x.Name, instrument.GlobalExportPrefix) {
					t.Errorf("instrumentation global listed: %s", x.Name)
				}
			}
		}
		if globals != 8 {
			t.Errorf("%d globals exported, want 8", globals)
		}
		c := f.module(t, cGuest)
		if len(c.Imports()) != 0 {
			t.Errorf("C guest imports %v", c.Imports())
		}
	})
}

func TestCounters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		for _, g := range counters {
			t.Run(g.name, func(t *testing.T) {
				var stdout, stderr lockedBuffer
				inst := newCounter(t, f, g.path, engine.InstanceConfig{WASI: engine.WASIConfig{Stdout: &stdout, Stderr: &stderr}}, 5)
				if got := invokeInt(t, inst, "incr", 3); got != 8 {
					t.Errorf("incr(3) = %d, want 8", got)
				}
				if got := invokeInt(t, inst, "incr", -10); got != -2 {
					t.Errorf("incr(-10) = %d, want -2", got)
				}
				if got := invokeInt(t, inst, "get"); got != -2 {
					t.Errorf("get() = %d, want -2", got)
				}
				stack := []uint64{0}
				if err := inst.Call(ctx, abi.ExportVersion, stack); err != nil || stack[0] != 1 {
					t.Errorf("wactor_abi_version = %d, %v", stack[0], err)
				}
				if s := stderr.String(); s != "" {
					t.Errorf("stderr: %q", s)
				}
			})
		}
	})
}

// runWithTimeout runs fn and fails the test if it does not return in time
// (an interrupt that does not work would otherwise hang the test).
func runWithTimeout(t *testing.T, d time.Duration, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("call did not return within %v", d)
		return nil
	}
}

func TestInterrupt(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		m := f.module(t, loopWasm)
		inst := instantiate(t, m, engine.InstanceConfig{})
		timer := time.AfterFunc(50*time.Millisecond, inst.Interrupt)
		defer timer.Stop()
		err := runWithTimeout(t, 10*time.Second, func() error { return inst.Call(ctx, "spin", make([]uint64, 2)) })
		var te *engine.TrapError
		if !errors.As(err, &te) || te.Kind != engine.TrapInterrupted || !errors.Is(err, engine.ErrInterrupted) || !errors.Is(err, engine.ErrTrap) {
			t.Fatalf("spin: %v (%#v), want an interrupt trap", err, te)
		}
		if errors.Is(err, engine.ErrOutOfFuel) {
			t.Errorf("interrupt is also out of fuel: %v", err)
		}
		// The interrupt was consumed: the instance runs again.
		stack := []uint64{10}
		if err := inst.Call(ctx, "sum", stack); err != nil || stack[0] != 45 {
			t.Fatalf("sum(10) after the interrupt = %d, %v", stack[0], err)
		}
		// An interrupt with no call running stops the next call at once.
		inst.Interrupt()
		err = runWithTimeout(t, 10*time.Second, func() error { return inst.Call(ctx, "spin", make([]uint64, 2)) })
		if !errors.Is(err, engine.ErrInterrupted) {
			t.Fatalf("spin after Interrupt: %v", err)
		}
		if err := inst.Call(ctx, "nop", nil); err != nil {
			t.Fatalf("nop: %v", err)
		}
	})
}

// TestInterruptOne checks that interrupting one instance leaves another
// running instance of the same engine alone (wasmtime's epoch is
// engine-wide).
func TestInterruptOne(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		m := f.module(t, loopWasm)
		a := instantiate(t, m, engine.InstanceConfig{})
		b := instantiate(t, m, engine.InstanceConfig{})
		aDone, bDone := make(chan error, 1), make(chan error, 1)
		go func() { aDone <- a.Call(ctx, "spin", make([]uint64, 2)) }()
		go func() { bDone <- b.Call(ctx, "spin", make([]uint64, 2)) }()
		time.Sleep(20 * time.Millisecond)
		a.Interrupt()
		select {
		case err := <-aDone:
			if !errors.Is(err, engine.ErrInterrupted) {
				t.Errorf("a: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a was not interrupted")
		}
		select {
		case err := <-bDone:
			t.Errorf("b stopped when a was interrupted: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		b.Interrupt()
		select {
		case err := <-bDone:
			if !errors.Is(err, engine.ErrInterrupted) {
				t.Errorf("b: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("b was not interrupted")
		}
	})
}

func TestFuel(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		m := f.module(t, loopWasm)
		inst := instantiate(t, m, engine.InstanceConfig{Fuel: 1_000_000})
		err := runWithTimeout(t, 10*time.Second, func() error { return inst.Call(ctx, "spin", make([]uint64, 2)) })
		var te *engine.TrapError
		if !errors.As(err, &te) || te.Kind != engine.TrapOutOfFuel || !errors.Is(err, engine.ErrOutOfFuel) || errors.Is(err, engine.ErrInterrupted) {
			t.Fatalf("spin: %v, want out of fuel", err)
		}
		if inst.FuelUsed() != 1_000_000 || inst.Fuel() != 0 {
			t.Errorf("after running out: used %d, left %d", inst.FuelUsed(), inst.Fuel())
		}
		// Refuelled, the instance runs again; the same call uses the same fuel.
		used := func(n uint64) uint64 {
			t.Helper()
			if err := inst.SetFuel(1_000_000); err != nil {
				t.Fatal(err)
			}
			stack := []uint64{n}
			if err := inst.Call(ctx, "sum", stack); err != nil || stack[0] != n*(n-1)/2 {
				t.Fatalf("sum(%d) = %d, %v", n, stack[0], err)
			}
			if left := inst.Fuel(); left+inst.FuelUsed() != 1_000_000 {
				t.Errorf("left %d + used %d != 1000000", left, inst.FuelUsed())
			}
			return inst.FuelUsed()
		}
		a, b, c := used(1000), used(1000), used(2000)
		if a == 0 || a != b || c <= a {
			t.Errorf("fuel used by sum(1000), sum(1000), sum(2000): %d, %d, %d", a, b, c)
		}
		t.Logf("sum(1000) uses %d fuel", a)

		// Without a fuel limit there is no metering.
		free := instantiate(t, m, engine.InstanceConfig{})
		if err := free.SetFuel(10); !errors.Is(err, engine.ErrNoFuel) {
			t.Errorf("SetFuel without metering: %v", err)
		}
		stack := []uint64{100_000}
		if err := free.Call(ctx, "sum", stack); err != nil || free.FuelUsed() != 0 {
			t.Errorf("unmetered sum: %v, used %d", err, free.FuelUsed())
		}
	})
}

// TestFuelDeterministic runs the same calls on two fresh instances with the
// same clocks and randomness: they must use the same fuel.
func TestFuelDeterministic(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		for _, g := range counters {
			t.Run(g.name, func(t *testing.T) {
				if g.name == "go" && (raceEnabled || testing.Short()) {
					t.Skip("compiling the Go guest's fuel variant is slow with -race or -short")
				}
				run := func() []uint64 {
					clk := &stepClock{}
					cfg := engine.InstanceConfig{Fuel: 1 << 40, WASI: engine.WASIConfig{Nanotime: clk.nanotime, Walltime: clk.walltime, Random: seeded(1)}}
					inst := newCounter(t, f, g.path, cfg, 5)
					var used []uint64
					for i := range 3 {
						if got := invokeInt(t, inst, "incr", 3); got != int64(8+3*i) {
							t.Fatalf("incr = %d", got)
						}
						used = append(used, inst.FuelUsed())
					}
					return used
				}
				a, b := run(), run()
				if !slices.Equal(a, b) || a[0] == 0 {
					t.Errorf("fuel used by the wactor_alloc+incr calls differs: %v vs %v", a, b)
				}
				t.Logf("fuel of the last call (incr): %v", a)
			})
		}
	})
}

func TestTrap(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		inst := instantiate(t, f.module(t, loopWasm), engine.InstanceConfig{})
		err := inst.Call(ctx, "trap", nil)
		var te *engine.TrapError
		if !errors.As(err, &te) || te.Kind != engine.TrapGuest || !errors.Is(err, engine.ErrTrap) || errors.Is(err, engine.ErrInterrupted) {
			t.Fatalf("trap: %v", err)
		}
		if !strings.Contains(strings.ToLower(te.Message), "unreachable") {
			t.Errorf("message %q", te.Message)
		}
		t.Logf("trap message: %s", te.Message)
		for _, c := range []struct {
			fn    string
			stack []uint64
		}{{"oob", []uint64{0}}, {"recurse", []uint64{0}}, {"div", []uint64{1, 0}}} {
			err := inst.Call(ctx, c.fn, c.stack)
			if !errors.As(err, &te) || te.Kind != engine.TrapGuest {
				t.Errorf("%s: %v, want a guest trap", c.fn, err)
			} else {
				t.Logf("%s: %s", c.fn, te.Message)
			}
		}
		// The instance still runs (a WAT guest has no state to corrupt).
		stack := []uint64{7, 2}
		if err := inst.Call(ctx, "div", stack); err != nil || stack[0] != 3 {
			t.Errorf("div(7, 2) = %d, %v", stack[0], err)
		}
		// C guest: its own trap method.
		c := newCounter(t, f, cGuest, engine.InstanceConfig{}, 0)
		if _, err := invoke(c, "trap"); !errors.Is(err, engine.ErrTrap) {
			t.Errorf("C trap: %v", err)
		}
	})
}

func TestCallErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		inst, err := f.module(t, loopWasm).Instantiate(ctx, engine.InstanceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if err := inst.Call(ctx, "nope", nil); !errors.Is(err, engine.ErrNoFunc) {
			t.Errorf("unknown function: %v", err)
		}
		if err := inst.Call(ctx, instrument.InterruptExport, nil); !errors.Is(err, engine.ErrNoFunc) {
			t.Errorf("instrumentation global called: %v", err)
		}
		if err := inst.Call(ctx, "sum", nil); !errors.Is(err, engine.ErrStack) {
			t.Errorf("short stack: %v", err)
		}
		stack := []uint64{math.Float64bits(1.5), uint64(math.Float32bits(2.5))}
		if err := inst.Call(ctx, "swap", stack); err != nil ||
			math.Float32frombits(uint32(stack[0])) != 2.5 || math.Float64frombits(stack[1]) != 1.5 {
			t.Errorf("swap: %v %v", stack, err)
		}
		if err := inst.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := inst.Call(ctx, "nop", nil); !errors.Is(err, engine.ErrClosed) {
			t.Errorf("call after close: %v", err)
		}
		inst.Interrupt() // a no-op, not a crash
		if err := inst.Close(ctx); err != nil {
			t.Errorf("second close: %v", err)
		}
	})
}

func TestGlobals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		inst := instantiate(t, f.module(t, loopWasm), engine.InstanceConfig{})
		g, ok := inst.Global("answer")
		if !ok || g.Get() != 42 || g.Type() != (engine.GlobalType{Type: engine.I32}) {
			t.Fatalf("answer: %v %v", g, ok)
		}
		if err := g.Set(1); !errors.Is(err, engine.ErrImmutable) {
			t.Errorf("set immutable: %v", err)
		}
		c, ok := inst.Global(instrument.GlobalExportPrefix + "0")
		if !ok || !c.Type().Mutable || c.Type().Type != engine.I64 {
			t.Fatalf("counter global: %v", ok)
		}
		if err := c.Set(41); err != nil {
			t.Fatal(err)
		}
		stack := []uint64{0}
		if err := inst.Call(ctx, "bump", stack); err != nil || stack[0] != 42 || c.Get() != 42 {
			t.Errorf("bump = %d, %v; global %d", stack[0], err, c.Get())
		}
		for _, name := range []string{"nope", instrument.InterruptExport, instrument.FuelExport, instrument.TicksExport, "sum"} {
			if _, ok := inst.Global(name); ok {
				t.Errorf("Global(%q) found", name)
			}
		}
	})
}

func TestMemory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		inst := instantiate(t, f.module(t, loopWasm), engine.InstanceConfig{MemoryLimitPages: 4})
		mem := inst.Memory()
		if mem.Size() != engine.PageSize {
			t.Fatalf("size %d", mem.Size())
		}
		for _, c := range []struct{ off, n uint32 }{{engine.PageSize - 1, 2}, {engine.PageSize, 1}, {math.MaxUint32, 1}, {math.MaxUint32, math.MaxUint32}} {
			if _, ok := mem.Read(c.off, c.n); ok {
				t.Errorf("Read(%d, %d) succeeded", c.off, c.n)
			}
		}
		for _, off := range []uint32{engine.PageSize - 1, engine.PageSize, math.MaxUint32} {
			if mem.Write(off, []byte("ab")) {
				t.Errorf("Write(%d, 2 bytes) succeeded", off)
			}
		}
		if b, ok := mem.Read(engine.PageSize-2, 2); !ok || len(b) != 2 {
			t.Errorf("Read at the end: %v", ok)
		}
		if !mem.Write(100, []byte("abc")) {
			t.Error("Write failed")
		}
		if b, _ := mem.Read(100, 3); string(b) != "abc" {
			t.Errorf("read back %q", b)
		}
		grow := func(n uint32) int32 {
			stack := []uint64{uint64(n)}
			if err := inst.Call(ctx, "grow", stack); err != nil {
				t.Fatal(err)
			}
			return int32(stack[0])
		}
		if got := grow(2); got != 1 {
			t.Errorf("grow(2) = %d, want 1", got)
		}
		if got := grow(2); got != -1 {
			t.Errorf("grow(2) past the limit = %d, want -1", got)
		}
		if prev, ok := mem.Grow(1); !ok || prev != 3 {
			t.Errorf("Memory.Grow(1) = %d, %v", prev, ok)
		}
		if _, ok := mem.Grow(1); ok {
			t.Error("Memory.Grow past the limit succeeded")
		}
		if mem.Size() != 4*engine.PageSize {
			t.Errorf("size %d", mem.Size())
		}
		// A module whose initial memory exceeds the limit does not instantiate.
		if _, err := f.module(t, goGuest).Instantiate(ctx, engine.InstanceConfig{MemoryLimitPages: 10}); !errors.Is(err, engine.ErrInstantiate) {
			t.Errorf("Go guest with 10 pages: %v", err)
		}
		// The C guest's grow method sees the limit as a failed allocation.
		c := newCounter(t, f, cGuest, engine.InstanceConfig{MemoryLimitPages: 4}, 0)
		if got := invokeInt(t, c, "grow", 64); got != 2 {
			t.Errorf("C grow(64) with a limit of 4 pages grew %d pages, want 2", got)
		}
	})
}

// hostConfig is an InstanceConfig for host.wasm whose wactor.log records
// what it gets, or panics with fail when set.
type hostRecorder struct {
	mu    sync.Mutex
	lines []string
	data  []any
	fail  error
}

func (h *hostRecorder) config(stdout, stderr *lockedBuffer, clk *stepClock) engine.InstanceConfig {
	return engine.InstanceConfig{
		HostFuncs: []engine.HostFunc{{
			Name: abi.ImportLog, Params: []engine.ValueType{engine.I32, engine.I32, engine.I32},
			Func: func(_ context.Context, c engine.Caller, s []uint64) {
				h.mu.Lock()
				defer h.mu.Unlock()
				if h.fail != nil {
					panic(h.fail)
				}
				b, ok := c.Memory().Read(uint32(s[1]), uint32(s[2]))
				if !ok {
					panic(fmt.Errorf("log(%d, %d): out of bounds", s[1], s[2]))
				}
				h.lines = append(h.lines, fmt.Sprintf("%d %s", s[0], b))
				h.data = append(h.data, c.Data())
			},
		}},
		WASI: engine.WASIConfig{Stdout: stdout, Stderr: stderr, Nanotime: clk.nanotime, Walltime: clk.walltime, Random: bytes.NewReader([]byte("0123456789"))},
		Data: "the data",
	}
}

func TestHostFunctions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		m := f.module(t, hostWasm)
		var stdout, stderr lockedBuffer
		var h hostRecorder
		clk := &stepClock{}
		inst := instantiate(t, m, h.config(&stdout, &stderr, clk))
		call := func(name string, args ...uint64) (uint64, error) {
			stack := append(args, 0)
			err := inst.Call(ctx, name, stack)
			return stack[0], err
		}
		if _, err := call("log", 2, 16, 5); err != nil {
			t.Fatal(err)
		}
		if len(h.lines) != 1 || h.lines[0] != "2 hello" || h.data[0] != "the data" {
			t.Errorf("log got %q, data %v", h.lines, h.data)
		}
		for _, c := range []struct {
			fn     string
			fd     uint64
			errno  uint64
			stdout string
			stderr string
		}{
			{"write", 1, 0, "hello\n", ""},
			{"write2", 2, 0, "hello\n", "hello\n"},
			{"write", 0, uint64(engine.ErrnoNosys), "hello\n", "hello\n"},
			{"write", 5, uint64(engine.ErrnoBadf), "hello\n", "hello\n"},
		} {
			errno, err := call(c.fn, c.fd)
			if err != nil || errno != c.errno || stdout.String() != c.stdout || stderr.String() != c.stderr {
				t.Errorf("%s(%d) = %d, %v; stdout %q, stderr %q", c.fn, c.fd, errno, err, stdout.String(), stderr.String())
			}
		}
		if n, _ := call("written"); n != 6 {
			t.Errorf("written = %d", n)
		}
		if v, _ := call("clock", 1); v != 1000 {
			t.Errorf("monotonic clock = %d, want the configured 1000", v)
		}
		if v, _ := call("clock", 0); int64(v) != 1_700_000_000*1e9+2000 {
			t.Errorf("wall clock = %d", v)
		}
		if v, _ := call("clock", 2); int64(v) != -int64(engine.ErrnoInval) {
			t.Errorf("cputime clock = %d", int64(v))
		}
		if errno, _ := call("random", 100, 4); errno != 0 {
			t.Errorf("random = %d", errno)
		} else if b, _ := inst.Memory().Read(100, 4); string(b) != "0123" {
			t.Errorf("random bytes %q", b)
		}
		if errno, _ := call("random", engine.PageSize-2, 4); errno != uint64(engine.ErrnoFault) {
			t.Errorf("random out of bounds = %d", errno)
		}
		// A host function that fails traps the call with its error.
		_, err := call("log", 0, engine.PageSize, 5)
		var te *engine.TrapError
		if !errors.As(err, &te) || te.Kind != engine.TrapHost || !errors.Is(err, engine.ErrHostFunc) || !strings.Contains(err.Error(), "out of bounds") {
			t.Errorf("log out of bounds: %v", err)
		}
		sentinel := errors.New("host says no")
		h.fail = sentinel
		if _, err := call("log", 0, 16, 5); !errors.Is(err, sentinel) || !errors.Is(err, engine.ErrTrap) {
			t.Errorf("failing host function: %v", err)
		}
		h.fail = nil
		// proc_exit.
		_, err = call("exit", 3)
		var exit *engine.ExitError
		if !errors.As(err, &exit) || exit.Code != 3 || !errors.Is(err, engine.ErrExit) {
			t.Errorf("exit: %v", err)
		}
		// A loop of host calls is interrupted too.
		timer := time.AfterFunc(20*time.Millisecond, inst.Interrupt)
		defer timer.Stop()
		if err := runWithTimeout(t, 10*time.Second, func() error { _, err := call("logloop"); return err }); !errors.Is(err, engine.ErrInterrupted) {
			t.Errorf("logloop: %v", err)
		}
	})
}

func TestLinkErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *fixture) {
		m := f.module(t, hostWasm)
		if _, err := m.Instantiate(ctx, engine.InstanceConfig{}); !errors.Is(err, engine.ErrLink) || !strings.Contains(err.Error(), "wactor.log") {
			t.Errorf("missing host function: %v", err)
		}
		wrong := engine.InstanceConfig{HostFuncs: []engine.HostFunc{{Name: abi.ImportLog, Params: []engine.ValueType{engine.I32}, Func: func(context.Context, engine.Caller, []uint64) {}}}}
		if _, err := m.Instantiate(ctx, wrong); !errors.Is(err, engine.ErrLink) {
			t.Errorf("wrong signature: %v", err)
		}
		if _, err := f.eng.Compile(ctx, []byte("\x00asm\x01\x00\x00\x00\x01")); !errors.Is(err, engine.ErrCompile) {
			t.Errorf("bad module: %v", err)
		}
	})
}

// snapshot is an engine-neutral snapshot: memory and every mutable global.
type snapshot struct {
	memory   []byte
	globals  map[string]uint64
	nanotime int64
}

func takeSnapshot(t testing.TB, m engine.Module, inst engine.Instance) snapshot {
	t.Helper()
	mem := inst.Memory()
	b, ok := mem.Read(0, uint32(mem.Size()))
	if !ok {
		t.Fatal("cannot read memory")
	}
	s := snapshot{memory: bytes.Clone(b), globals: map[string]uint64{}}
	for _, x := range m.Exports() {
		if x.Kind == engine.KindGlobal && x.Global.Mutable {
			g, ok := inst.Global(x.Name)
			if !ok {
				t.Fatalf("global %s missing", x.Name)
			}
			s.globals[x.Name] = g.Get()
		}
	}
	return s
}

func restore(t testing.TB, m engine.Module, cfg engine.InstanceConfig, s snapshot) engine.Instance {
	t.Helper()
	inst := instantiate(t, m, cfg) // no _initialize
	mem := inst.Memory()
	if cur := mem.Size(); uint64(len(s.memory)) > cur {
		if _, ok := mem.Grow(uint32((uint64(len(s.memory)) - cur) / engine.PageSize)); !ok {
			t.Fatal("cannot grow memory")
		}
	}
	if !mem.Write(0, s.memory) {
		t.Fatal("cannot write memory")
	}
	for name, v := range s.globals {
		g, ok := inst.Global(name)
		if !ok {
			t.Fatalf("global %s missing", name)
		}
		if err := g.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	return inst
}

// TestSnapshotAcrossEngines snapshots a counter on one engine and restores
// it into a fresh instance on every engine (the same one included).
func TestSnapshotAcrossEngines(t *testing.T) {
	for _, src := range fixtures {
		for _, dst := range fixtures {
			t.Run(src.name+"-to-"+dst.name, func(t *testing.T) {
				for _, g := range counters {
					t.Run(g.name, func(t *testing.T) {
						clk := newClock(0)
						a := newCounter(t, src, g.path, engine.InstanceConfig{WASI: engine.WASIConfig{Nanotime: clk.nanotime}}, 5)
						if got := invokeInt(t, a, "incr", 3); got != 8 {
							t.Fatalf("incr = %d", got)
						}
						s := takeSnapshot(t, src.module(t, g.path), a)
						s.nanotime = clk.now()
						// The restored guest's clock continues from the snapshot's.
						clk2 := newClock(s.nanotime)
						b := restore(t, dst.module(t, g.path), engine.InstanceConfig{WASI: engine.WASIConfig{Nanotime: clk2.nanotime}}, s)
						if got := invokeInt(t, b, "incr", 1); got != 9 {
							t.Errorf("restored incr(1) = %d, want 9", got)
						}
						if got := invokeInt(t, b, "get"); got != 9 {
							t.Errorf("restored get() = %d, want 9", got)
						}
						// The original goes on independently.
						if got := invokeInt(t, a, "incr", 2); got != 10 {
							t.Errorf("original incr(2) = %d, want 10", got)
						}
						// A second snapshot of the restored instance restores
						// back on the source engine.
						s2 := takeSnapshot(t, dst.module(t, g.path), b)
						clk3 := newClock(clk2.now())
						c := restore(t, src.module(t, g.path), engine.InstanceConfig{WASI: engine.WASIConfig{Nanotime: clk3.nanotime}}, s2)
						if got := invokeInt(t, c, "incr", 100); got != 109 {
							t.Errorf("restored twice: incr(100) = %d, want 109", got)
						}
					})
				}
			})
		}
	}
}

const misbehave = "../../examples/misbehave/misbehave.wasm"

// misbehaveHost returns the wactor host functions misbehave.wasm imports.
func misbehaveHost() []engine.HostFunc {
	i32 := engine.I32
	return []engine.HostFunc{
		{Name: abi.ImportLog, Params: []engine.ValueType{i32, i32, i32}, Func: func(context.Context, engine.Caller, []uint64) {}},
		{Name: abi.ImportSelfID, Params: []engine.ValueType{i32, i32}, Results: []engine.ValueType{i32}, Func: func(_ context.Context, c engine.Caller, s []uint64) {
			id := "actor-1"
			if !c.Memory().Write(uint32(s[0]), []byte(id)[:min(len(id), int(uint32(s[1])))]) {
				panic(errors.New("self_id: out of bounds"))
			}
			s[0] = uint64(len(id))
		}},
		{Name: abi.ImportExit, Func: func(context.Context, engine.Caller, []uint64) {}},
	}
}

// TestGoGuestAfterTrap interrupts a Go guest in the middle of a call, on
// every engine, and records whether the same instance still answers a call
// afterwards (the host must not rely on it: after a trap it discards the
// instance). What it asserts is the recovery: a fresh instance restored from
// a snapshot taken before the trap works, and a panic in the guest is a
// trap, with the panic on the guest's stderr.
func TestGoGuestAfterTrap(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("compiling one more Go guest is slow with -race or -short")
	}
	const tries = 6
	forEachEngine(t, func(t *testing.T, f *fixture) {
		m := f.module(t, misbehave)
		clk := newClock(0)
		var stderr lockedBuffer
		cfg := engine.InstanceConfig{HostFuncs: misbehaveHost(), WASI: engine.WASIConfig{Nanotime: clk.nanotime, Stderr: &stderr}}
		base := instantiate(t, m, cfg)
		start(t, m, base)
		if _, err := invoke(base, abi.ExportInit); err != nil {
			t.Fatalf("wactor_init: %v", err)
		}
		s := takeSnapshot(t, m, base)
		okCall := func(inst engine.Instance) error {
			env, err := invoke(inst, "ok")
			if err != nil {
				return err
			}
			var got string
			if env.Kind != abi.KindValue || codec.Decode(env.Values[0], &got) != nil || got != "ok" {
				return fmt.Errorf("ok() returned %+v", env)
			}
			return nil
		}
		// heavyCalls makes the runtime allocate and collect after the trap.
		payload := strings.Repeat("x", 64<<10)
		heavyCalls := func(inst engine.Instance) error {
			for range 40 {
				env, err := invoke(inst, "echo", payload)
				if err != nil {
					return err
				}
				if env.Kind != abi.KindValue || len(env.Values[0]) < len(payload) {
					return fmt.Errorf("echo returned %+v", env.Kind)
				}
			}
			return okCall(inst)
		}
		for _, method := range []struct {
			name string
			args []any
		}{{"spin", nil}, {"bomb", []any{1 << 20}}} {
			broken := 0
			var firstErr error
			for i := range tries {
				// The clock only goes forward, so every restored instance
				// sees time continue from the snapshot's.
				var errOut lockedBuffer
				tryCfg := cfg
				tryCfg.WASI.Stderr = &errOut
				inst := restore(t, m, tryCfg, s)
				timer := time.AfterFunc(time.Duration(2+3*i)*time.Millisecond, inst.Interrupt)
				err := runWithTimeout(t, 30*time.Second, func() error { _, err := invoke(inst, method.name, method.args...); return err })
				timer.Stop()
				if !errors.Is(err, engine.ErrInterrupted) {
					t.Fatalf("%s: %v, want an interrupt", method.name, err)
				}
				if err := runWithTimeout(t, 30*time.Second, func() error { return heavyCalls(inst) }); err != nil {
					broken++
					if firstErr == nil {
						firstErr = fmt.Errorf("%w; guest stderr: %q", err, engine.FirstLine(errOut.String()))
					}
				}
				_ = inst.Close(ctx)
				// Recovery: a fresh instance from the snapshot.
				if err := okCall(restore(t, m, cfg, s)); err != nil {
					t.Fatalf("restored instance: %v", err)
				}
			}
			t.Logf("%s: after an interrupted %s, %d of %d Go-guest instances failed the next 41 calls (first: %v)", f.name, method.name, broken, tries, firstErr)
		}
		// Out of memory: the Go runtime aborts inside its allocator.
		limited := cfg
		limited.MemoryLimitPages = 256
		broken := 0
		var firstErr error
		for range tries {
			inst := restore(t, m, limited, s)
			_, err := invoke(inst, "bomb", 64)
			if !errors.Is(err, engine.ErrTrap) {
				t.Fatalf("bomb(64) with 16 MiB: %v, want a trap", err)
			}
			if err := runWithTimeout(t, 30*time.Second, func() error { return okCall(inst) }); err != nil {
				broken++
				if firstErr == nil {
					firstErr = err
				}
			}
			_ = inst.Close(ctx)
		}
		t.Logf("%s: after running out of memory, %d of %d Go-guest instances failed the next call (first: %v)", f.name, broken, tries, firstErr)
		// A Go panic in an exported function (c-shared) prints the panic and
		// traps with unreachable.
		inst := restore(t, m, cfg, s)
		_, err := invoke(inst, "crash")
		if !errors.Is(err, engine.ErrTrap) || !strings.Contains(stderr.String(), "panic: boom") {
			t.Errorf("crash: %v; stderr %q", err, stderr.String())
		}
	})
}
