package instrument

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/wactor/wactor/internal/testutil"
)

// preemptListener is a function listener on $preempt alone: each time the
// guest calls it (the interrupt global is set), it counts the call and,
// unless trap is set, clears the global so that the guest continues.
type preemptListener struct {
	idx   uint32
	calls atomic.Int64
	trap  atomic.Bool
	g     atomic.Pointer[api.MutableGlobal]
	// mu orders the writes of the global by the test and by the hook (the
	// engine does the same under its instance lock): wazero's Set is a
	// plain store.
	mu sync.Mutex
}

// set writes the interrupt global under mu.
func (l *preemptListener) set(v uint64) {
	l.mu.Lock()
	(*l.g.Load()).Set(v)
	l.mu.Unlock()
}

func (l *preemptListener) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if def.Index() != l.idx {
		return nil // no listener, no cost, on the guest's own functions
	}
	return l
}

func (l *preemptListener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	l.calls.Add(1)
	if !l.trap.Load() {
		l.set(0)
	}
}

func (l *preemptListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {}
func (l *preemptListener) Abort(context.Context, api.Module, api.FunctionDefinition, error)    {}

// TestPreempt: with Preempt, a raised interrupt global calls $preempt,
// whose hook can let the guest go on (a yield, as often as asked) or leave
// the global set, and the guest traps as with the plain interrupt check.
func TestPreempt(t *testing.T) {
	// spinmem has a memory, so Yield lets the garbage collector stop the
	// spinning guest's goroutine (the test allocates while it waits).
	wasm := readTestdata(t, "spinmem.wasm")
	res := mustRewrite(t, wasm, Options{Interrupt: true, Yield: true, Preempt: true})
	if res.PreemptFunc < 0 {
		t.Fatal("PreemptFunc not set")
	}
	l := &preemptListener{idx: uint32(res.PreemptFunc)}
	ctx := experimental.WithFunctionListenerFactory(context.Background(), l)
	rt := newRuntime(t)
	compiled, err := rt.CompileModule(ctx, res.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("preempt"))
	if err != nil {
		t.Fatal(err)
	}
	g := mod.ExportedGlobal(res.InterruptExport).(api.MutableGlobal)
	l.g.Store(&g)

	// Functions behave as before, and without the global set the hook
	// never runs.
	got, err := mod.ExportedFunction("count").Call(ctx, 10)
	if err != nil || got[0] != 45 {
		t.Fatalf("count(10) = %v, %v", got, err)
	}
	if n := l.calls.Load(); n != 0 {
		t.Fatalf("$preempt ran %d times with the global clear", n)
	}

	done := make(chan error, 1)
	go func() {
		_, err := mod.ExportedFunction("spin").Call(ctx)
		done <- err
	}()
	stopped := false
	t.Cleanup(func() { // never leave a guest spinning after a failure
		if !stopped {
			l.trap.Store(true)
			l.set(1)
			<-done
		}
	})
	ticks := mod.ExportedGlobal("ticks")
	testutil.Eventually(t, "spin to run", func() bool { return ticks.Get() > 1000 })
	// Three yields: each one runs the hook once, and the guest goes on.
	for i := int64(1); i <= 3; i++ {
		l.set(1)
		testutil.Eventually(t, "the hook to run", func() bool { return l.calls.Load() == i })
		before := ticks.Get()
		testutil.Eventually(t, "spin to go on after the yield", func() bool { return ticks.Get() > before+1000 })
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("spin returned after a yield: %v", err)
		default:
		}
	}
	// Left set by the hook, the global makes the guest trap.
	l.trap.Store(true)
	l.set(1)
	select {
	case err := <-done:
		stopped = true
		if err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("spin returned %v, want an unreachable trap", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("spin still running 10 s after the interrupt")
	}
	if n := l.calls.Load(); n != 4 {
		t.Fatalf("$preempt ran %d times, want 4", n)
	}
}

// TestPreempt_Layout: the function and its type are appended (no index
// moves), the checks call it, and Preempt changes nothing without
// Interrupt or without functions.
func TestPreempt_Layout(t *testing.T) {
	for _, name := range []string{"loops.wasm", "imported_globals.wasm", "multivalue.wasm", "bulk.wasm", "simd.wasm", "nested.wasm", "brtable.wasm"} {
		t.Run(name, func(t *testing.T) {
			wasm := readTestdata(t, name)
			plain := mustRewrite(t, wasm, Options{Interrupt: true})
			res := mustRewrite(t, wasm, Options{Interrupt: true, Preempt: true})
			if plain.PreemptFunc != -1 {
				t.Fatalf("PreemptFunc = %d without Preempt", plain.PreemptFunc)
			}
			if res.PreemptFunc < 0 {
				t.Fatal("PreemptFunc not set")
			}
			// wazero validates the whole module (types, indices, bodies).
			rt := newRuntime(t)
			compiled, err := rt.CompileModule(context.Background(), res.Wasm)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			orig, err := rt.CompileModule(context.Background(), wasm)
			if err != nil {
				t.Fatal(err)
			}
			for name, d := range orig.ExportedFunctions() {
				nd, ok := compiled.ExportedFunctions()[name]
				if !ok || nd.Index() != d.Index() {
					t.Fatalf("export %s moved from function %d", name, d.Index())
				}
			}
		})
	}
	if res := mustRewrite(t, readTestdata(t, "loops.wasm"), Options{Fuel: true, Preempt: true}); res.PreemptFunc != -1 {
		t.Fatalf("PreemptFunc = %d without Interrupt", res.PreemptFunc)
	}
	empty := []byte("\x00asm\x01\x00\x00\x00")
	if res := mustRewrite(t, empty, Options{Interrupt: true, Preempt: true}); res.PreemptFunc != -1 {
		t.Fatalf("PreemptFunc = %d for a module without functions", res.PreemptFunc)
	}
}
