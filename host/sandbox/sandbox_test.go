package sandbox

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/journal"
)

const cCounterPath = "../../examples/c-counter/counter.wasm"

// testEngine starts the engine of the build (wazero; wasmtime with the tag
// wasmtime), or $WACTOR_TEST_ENGINE if set.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	name := buildTestEngine
	if e := os.Getenv("WACTOR_TEST_ENGINE"); e != "" {
		name = e
	}
	e, err := NewEngine(context.Background(), name, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

// testClass compiles and probes a module as the host loads a class.
func testClass(t testing.TB, e *Engine, path string) *Class {
	t.Helper()
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("guest fixture missing (make guests / make fixtures): %v", err)
	}
	c, err := Compile(context.Background(), e, "test:"+path, wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.ReleaseTemplate(); _ = c.Close(context.Background()) })
	if err := c.Probe(context.Background(), e, 64, true, nil); err != nil {
		t.Fatal(err)
	}
	c.Finish()
	return c
}

// meter is a Meter with a limit.
type meter struct {
	n     atomic.Int64
	limit int64
}

func (m *meter) Charge(d int64) int64        { return m.n.Add(d) }
func (m *meter) Charged() int64              { return m.n.Load() }
func (m *meter) Limit() int64                { return m.limit }
func (m *meter) LimitError(more int64) error { return api.ErrQuota }

// call invokes method with integer arguments and returns its integer result.
func call(t testing.TB, sb *Sandbox, c *Class, method string, args ...any) int64 {
	t.Helper()
	midx, _, err := c.Lookup(method)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := codec.EncodeArgs(args)
	if err != nil {
		t.Fatal(err)
	}
	env, err := sb.Invoke(context.Background(), method, sb.Method(midx), enc, time.Minute, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if env.Kind != abi.KindValue {
		t.Fatalf("%s: %+v", method, env)
	}
	var v int64
	if err := codec.Decode(env.Values[0], &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSandbox_CaptureRestore: without a host, a sandbox runs a class's
// constructor and methods, charges its meter, and a captured state restores
// into a fresh sandbox of the class.
func TestSandbox_CaptureRestore(t *testing.T) {
	e := testEngine(t)
	c := testClass(t, e, cCounterPath)
	m := &meter{limit: -1}
	sb, err := New(context.Background(), e, Config{Class: c, ActorID: "a", MemoryPages: 64, Meter: m})
	if err != nil {
		t.Fatal(err)
	}
	if !sb.HasInit() {
		t.Fatal("the counter has a constructor")
	}
	enc, _ := codec.EncodeArgs([]any{10})
	if _, err := sb.Invoke(context.Background(), abi.ExportInit, abi.ExportInit, enc, time.Minute, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got := call(t, sb, c, "incr", 5); got != 15 {
		t.Fatalf("incr = %d, want 15", got)
	}
	if m.Charged() != int64(sb.MemoryBytes()) || m.Charged() == 0 {
		t.Fatalf("meter charged %d bytes, memory %d", m.Charged(), sb.MemoryBytes())
	}
	st, err := sb.Capture("a", 1)
	if err != nil {
		t.Fatal(err)
	}
	call(t, sb, c, "incr", 100)
	sb.Close()
	if m.Charged() != 0 {
		t.Fatalf("meter holds %d bytes after Close", m.Charged())
	}
	sb2, err := New(context.Background(), e, Config{Class: c, ActorID: "a", MemoryPages: 64, From: st, Meter: m})
	if err != nil {
		t.Fatal(err)
	}
	defer sb2.Close()
	if got := call(t, sb2, c, "get"); got != 15 {
		t.Fatalf("restored get = %d, want 15", got)
	}
}

// TestRecorder_ReplayExact: clock reads, random bytes and import outcomes
// recorded during a call come back the same in its replay; reading more
// than was recorded is reported as a divergence.
func TestRecorder_ReplayExact(t *testing.T) {
	e := &journal.Entry{Method: "m"}
	rec := &Sandbox{}
	rec.Record(e, Record)
	sec1, ns1 := rec.walltime()
	mono1 := rec.nanotime()
	rnd1 := make([]byte, 16)
	if _, err := rec.rec.Read(rnd1); err != nil {
		t.Fatal(err)
	}
	rec.rec.recordExternal([]byte("outcome"))
	if rec.StopRecord() {
		t.Fatal("a recording diverged")
	}
	time.Sleep(2 * time.Millisecond)

	rep := &Sandbox{}
	rep.Record(e, Replay)
	sec2, ns2 := rep.walltime()
	mono2 := rep.nanotime()
	rnd2 := make([]byte, 16)
	if _, err := rep.rec.Read(rnd2); err != nil {
		t.Fatal(err)
	}
	ext, ok := rep.rec.external()
	if sec1 != sec2 || ns1 != ns2 || mono1 != mono2 || string(rnd1) != string(rnd2) || !ok || string(ext) != "outcome" {
		t.Fatalf("replay differs: wall %d.%d/%d.%d mono %d/%d random %x/%x external %q %v", sec1, ns1, sec2, ns2, mono1, mono2, rnd1, rnd2, ext, ok)
	}
	if rep.StopRecord() {
		t.Fatal("an exact replay diverged")
	}
	rep.Record(e, Replay)
	rep.nanotime()
	rep.nanotime()
	rep.nanotime()
	if !rep.StopRecord() {
		t.Fatal("reading more clocks than were recorded did not diverge")
	}
}

// TestSandbox_Deadline: a call past its deadline is interrupted with a
// TrapError, and a killed sandbox refuses every later call.
func TestSandbox_Deadline(t *testing.T) {
	e := testEngine(t)
	c := testClass(t, e, cCounterPath)
	sb, err := New(context.Background(), e, Config{Class: c, ActorID: "a", MemoryPages: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	midx, _, err := c.Lookup("spin")
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := codec.EncodeArgs(nil)
	_, err = sb.Invoke(context.Background(), "spin", sb.Method(midx), enc, 50*time.Millisecond, 1<<20)
	var te *api.TrapError
	if !errors.As(err, &te) || te.Reason != api.TrapDeadline {
		t.Fatalf("spin: %v, want a deadline trap", err)
	}
	sb.Interrupt(api.TrapKilled)
	_, err = sb.Invoke(context.Background(), "spin", sb.Method(midx), enc, time.Minute, 1<<20)
	if !errors.As(err, &te) || te.Reason != api.TrapKilled {
		t.Fatalf("after a kill: %v, want a killed trap", err)
	}
}
