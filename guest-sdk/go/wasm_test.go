//go:build !wasip1

package wactor

// End-to-end tests of the SDK compiled into the example guests
// (examples/*/*.wasm, built by `make guests`), run under wazero through the
// minimal host in harness_test.go.

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
	"github.com/wactor/wactor/abi"
)

var goExamples = []string{"counter", "kv", "bank", "divmod", "pipeline", "misbehave", "pingpong", "paramserver", "supervisor"}

// actorExamples are the examples that call other actors; the others must
// not import the actor-call functions (the SDK's //go:wasmimport functions
// are only linked into a guest that uses them).
var actorExamples = map[string]bool{"pingpong": true, "paramserver": true, "supervisor": true}

// TestGuestModuleShape checks every Go example against docs/ABI.md
// section 1, 5 and 6.
func TestGuestModuleShape(t *testing.T) {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	for _, name := range goExamples {
		t.Run(name, func(t *testing.T) {
			_, cm := compiled(t, name, guestKey{})
			if _, ok := cm.ExportedMemories()["memory"]; !ok {
				t.Error("no memory export")
			}
			sig := func(f api.FunctionDefinition) string {
				return typesString(f.ParamTypes()) + "->" + typesString(f.ResultTypes())
			}
			// The signatures are the abi package's table (docs/ABI.md).
			abiSig := func(f abi.FuncType) string {
				conv := func(ts []abi.ValType) []api.ValueType {
					out := make([]api.ValueType, len(ts))
					for i, t := range ts {
						out[i] = api.ValueType(t)
					}
					return out
				}
				return typesString(conv(f.Params)) + "->" + typesString(conv(f.Results))
			}
			methodShape := abiSig(abi.MethodType())
			// Every guest built with the SDK exports these five.
			want := map[string]string{}
			for _, f := range abi.FuncExports() {
				switch f.Name {
				case abi.ExportVersion, abi.ExportAlloc, abi.ExportInit, abi.ExportManifest, abi.ExportInitialize:
					want[f.Name] = abiSig(f.Type)
				}
			}
			if len(want) != 5 || want[abi.ExportManifest] != "->"+typesString([]api.ValueType{i64}) {
				t.Fatalf("abi's export table: %v", want)
			}
			exports := cm.ExportedFunctions()
			var methods []string
			for n, f := range exports {
				if n == "_start" {
					t.Error("exports _start")
				}
				if w, ok := want[n]; ok {
					if sig(f) != w {
						t.Errorf("%s: signature %s, want %s", n, sig(f), w)
					}
					continue
				}
				if strings.HasPrefix(n, "_") || strings.HasPrefix(n, "wactor_") {
					continue
				}
				if sig(f) != methodShape {
					t.Errorf("export %s is not method-shaped: %s", n, sig(f))
				}
				methods = append(methods, n)
			}
			for n := range want {
				if _, ok := exports[n]; !ok {
					t.Errorf("missing export %s", n)
				}
			}
			// The wactor imports have the signatures of docs/ABI.md section
			// 6, abi's table.
			wactorImports := map[string]string{}
			for _, f := range abi.HostImports() {
				wactorImports[f.Name] = abiSig(f.Type)
			}
			if wactorImports["send"] != typesString(slices.Repeat([]api.ValueType{i32}, 6))+"->"+typesString([]api.ValueType{i64}) {
				t.Fatalf("abi's import table: %v", wactorImports)
			}
			for _, imp := range cm.ImportedFunctions() {
				mod, n, _ := imp.Import()
				switch mod {
				case "wasi_snapshot_preview1":
				case "wactor":
					w, ok := wactorImports[n]
					switch {
					case !ok:
						t.Errorf("imports wactor.%s", n)
					case sig(imp) != w:
						t.Errorf("wactor.%s: signature %s, want %s", n, sig(imp), w)
					case !actorExamples[name] && n != "log" && n != "self_id" && n != "exit":
						t.Errorf("imports wactor.%s without making actor calls", n)
					}
				default:
					t.Errorf("imports %s.%s", mod, n)
				}
			}

			// The manifest lists exactly the method exports.
			g := newGuest(t, name, guestKey{})
			m := g.manifest(t)
			if m["abi"] != int64(1) || m["name"] != name {
				t.Errorf("manifest header %v", m)
			}
			var listed []string
			for _, x := range m["methods"].([]any) {
				mm := x.(map[string]any)
				listed = append(listed, mm["name"].(string))
				if _, ok := mm["params"].([]any); !ok {
					t.Errorf("%v: no params", mm)
				}
				if doc, _ := mm["doc"].(string); doc == "" {
					t.Errorf("%v: no doc", mm)
				}
			}
			slices.Sort(listed)
			slices.Sort(methods)
			if !slices.Equal(listed, methods) {
				t.Errorf("manifest methods %v, exported methods %v", listed, methods)
			}
		})
	}
}

func typesString(ts []api.ValueType) string {
	var s []string
	for _, t := range ts {
		s = append(s, api.ValueTypeName(t))
	}
	return strings.Join(s, ",")
}

func TestGuestBasics(t *testing.T) {
	g := newGuest(t, "counter", guestKey{})
	res, err := g.fn("wactor_abi_version").Call(g.ctx)
	if err != nil || res[0] != 1 {
		t.Fatalf("wactor_abi_version = %v, %v", res, err)
	}
	// wactor_alloc: 0 bytes still gives a usable pointer; absurd sizes give 0.
	for _, size := range []uint64{0, 1, 5000, 3 << 20, 10, 1 << 31, math.MaxUint32} {
		res, err := g.alloc.Call(g.ctx, size)
		if err != nil {
			t.Fatalf("alloc(%d): %v", size, err)
		}
		if size > 1<<30 {
			if res[0] != 0 {
				t.Errorf("alloc(%d) = %#x, want 0", size, res[0])
			}
			continue
		}
		if res[0] == 0 || uint64(uint32(res[0]))+size > uint64(g.mod.Memory().Size()) {
			t.Errorf("alloc(%d) = %#x (memory %d)", size, res[0], g.mod.Memory().Size())
		}
	}
	// Calls work after the buffer has grown and shrunk again.
	if v := g.must(t, "incr", int64(2)); v != int64(2) {
		t.Fatalf("incr = %v", v)
	}
}

func TestCounterGuest(t *testing.T) {
	g := newGuest(t, "counter", guestKey{})
	m := g.manifest(t)
	if !reflect.DeepEqual(m["init"], map[string]any{"params": []any{}, "variadic": true, "doc": "Starts the counter at start (default 0)."}) {
		t.Errorf("init manifest %#v", m["init"])
	}
	if v := g.must(t, "wactor_init"); v != nil {
		t.Fatalf("init = %v", v)
	}
	if v := g.must(t, "get"); v != int64(0) {
		t.Fatalf("get = %v", v)
	}
	g.must(t, "wactor_init", int64(10))
	for i, want := range []int64{11, 13, 1013, -87} {
		n := []int64{1, 2, 1000, -1100}[i]
		if v := g.must(t, "incr", n); v != want {
			t.Fatalf("incr(%d) = %v, want %d", n, v, want)
		}
	}
	if v := g.must(t, "reset"); v != int64(-87) {
		t.Fatalf("reset = %v", v)
	}
	if v := g.must(t, "get"); v != int64(0) {
		t.Fatalf("get after reset = %v", v)
	}
	g.appErr(t, "bad_args", "incr")
	g.appErr(t, "bad_args", "incr", "one")
	g.appErr(t, "bad_args", "incr", int64(1), int64(2))
	g.appErr(t, "bad_args", "incr", uint64(math.MaxUint64))
	g.appErr(t, "bad_args", "get", int64(1))
	g.appErr(t, "bad_args", "wactor_init", int64(1), int64(2))
	g.appErr(t, "bad_args", "wactor_init", "x")
	// Malformed argument bytes are application errors, not traps.
	for _, raw := range [][]byte{{}, {0xff}, {0x9f, 0x01, 0xff}, {0x81}, {0x81, 0xc1, 0x01}, {0x81, 0x01, 0x00}} {
		env, err := g.callRaw(g.ctx, "incr", raw)
		if err != nil {
			t.Fatalf("incr(% x): %v", raw, err)
		}
		if _, ae := decodeEnvelope(t, env); ae == nil || ae.Code != "bad_args" {
			t.Fatalf("incr(% x) = % x", raw, env)
		}
	}
	if v := g.must(t, "get"); v != int64(0) {
		t.Fatalf("state changed by bad calls: %v", v)
	}
}

func TestKVGuest(t *testing.T) {
	g := newGuest(t, "kv", guestKey{})
	g.must(t, "wactor_init")
	if v := g.must(t, "put", "b", int64(1)); v != true {
		t.Fatalf("put new = %v", v)
	}
	if v := g.must(t, "put", "b", "two"); v != false {
		t.Fatalf("put again = %v", v)
	}
	value := map[string]any{"list": []any{int64(1), 2.5, nil, []byte{1}}, "ok": true}
	g.must(t, "put", "a", value)
	if v := g.must(t, "get", "a"); !reflect.DeepEqual(v, value) {
		t.Fatalf("get a = %#v", v)
	}
	if v := g.must(t, "get", "b"); v != "two" {
		t.Fatalf("get b = %#v", v)
	}
	if e := g.appErr(t, "not_found", "get", "zz"); !strings.Contains(e.Message, "zz") {
		t.Fatalf("not_found message %q", e.Message)
	}
	if v := g.must(t, "keys"); !reflect.DeepEqual(v, []any{"a", "b"}) {
		t.Fatalf("keys = %#v", v)
	}
	if v := g.must(t, "len"); v != int64(2) {
		t.Fatalf("len = %v", v)
	}
	if v := g.must(t, "delete", "a"); v != true {
		t.Fatalf("delete = %v", v)
	}
	if v := g.must(t, "delete", "a"); v != false {
		t.Fatalf("delete again = %v", v)
	}
	g.appErr(t, "not_found", "get", "a")
	if v := g.must(t, "keys"); !reflect.DeepEqual(v, []any{"b"}) {
		t.Fatalf("keys = %#v", v)
	}
	g.must(t, "delete", "b")
	if v := g.must(t, "keys"); !reflect.DeepEqual(v, []any{}) {
		t.Fatalf("keys of empty store = %#v (want an empty array, not null)", v)
	}
	// A large value (1 MiB) goes in and comes back out.
	big := strings.Repeat("x", 1<<20)
	g.must(t, "put", "big", big)
	if v := g.must(t, "get", "big"); v != big {
		t.Fatal("big value changed")
	}
}

func TestBankGuest(t *testing.T) {
	g := newGuest(t, "bank", guestKey{})
	g.appErr(t, "bad_args", "wactor_init", "ann")
	g.appErr(t, "invalid_amount", "wactor_init", "ann", int64(-5))
	g.must(t, "wactor_init", "ann", int64(100))
	if v := g.must(t, "owner"); v != "ann" {
		t.Fatalf("owner = %v", v)
	}
	if v := g.must(t, "deposit", int64(50)); v != int64(150) {
		t.Fatalf("deposit = %v", v)
	}
	if v := g.must(t, "withdraw", int64(30)); v != int64(120) {
		t.Fatalf("withdraw = %v", v)
	}
	e := g.appErr(t, "insufficient_funds", "withdraw", int64(121))
	if !strings.Contains(e.Message, "121") {
		t.Errorf("message %q", e.Message)
	}
	g.appErr(t, "invalid_amount", "withdraw", int64(0))
	g.appErr(t, "invalid_amount", "deposit", int64(-1))
	g.appErr(t, "overflow", "deposit", int64(math.MaxInt64))
	if v := g.must(t, "balance"); v != int64(120) {
		t.Fatalf("balance after failed calls = %v", v)
	}
}

func TestDivmodGuest(t *testing.T) {
	g := newGuest(t, "divmod", guestKey{})
	m := g.manifest(t)
	for _, x := range m["methods"].([]any) {
		mm := x.(map[string]any)
		want := int64(1)
		if mm["name"] == "divmod" {
			want = 2
		}
		if mm["returns"] != want {
			t.Errorf("%v: returns %v, want %d", mm["name"], mm["returns"], want)
		}
	}
	env, err := g.callRaw(g.ctx, "divmod", mustMarshal(t, []any{int64(17), int64(5)}))
	if err != nil {
		t.Fatal(err)
	}
	var e []any
	if err := Unmarshal(env, &e); err != nil || !reflect.DeepEqual(e, []any{int64(1), []any{int64(3), int64(2)}}) {
		t.Fatalf("divmod envelope %#v (%v)", e, err)
	}
	if v := g.must(t, "divmod", int64(-7), int64(2)); !reflect.DeepEqual(v, []any{int64(-3), int64(-1)}) {
		t.Fatalf("divmod(-7, 2) = %v", v)
	}
	g.appErr(t, "division_by_zero", "divmod", int64(1), int64(0))
	g.appErr(t, "overflow", "divmod", int64(math.MinInt64), int64(-1))
	if v := g.must(t, "sum", []any{int64(1), int64(2), int64(-10)}); v != int64(-7) {
		t.Fatalf("sum = %v", v)
	}
	if v := g.must(t, "sum", []any{}); v != int64(0) {
		t.Fatalf("sum([]) = %v", v)
	}
	g.appErr(t, "overflow", "sum", []any{int64(math.MaxInt64), int64(1)})
	g.appErr(t, "bad_args", "sum", []any{"x"})
	g.appErr(t, "bad_args", "sum", int64(1))
}

func TestPipelineGuest(t *testing.T) {
	g := newGuest(t, "pipeline", guestKey{})
	if v := g.must(t, "square", int64(-12)); v != int64(144) {
		t.Fatalf("square = %v", v)
	}
	g.appErr(t, "overflow", "square", int64(3037000500))
	if v := g.must(t, "square", int64(3037000499)); v != int64(9223372030926249001) {
		t.Fatalf("square(max) = %v", v)
	}
	if v := g.must(t, "add", int64(2), int64(3)); v != int64(5) {
		t.Fatalf("add = %v", v)
	}
	g.appErr(t, "overflow", "add", int64(math.MaxInt64), int64(1))
	if v := g.must(t, "collected"); !reflect.DeepEqual(v, []any{}) {
		t.Fatalf("collected = %#v", v)
	}
	for i := range int64(3) {
		if v := g.must(t, "collect", i*10); v != i+1 {
			t.Fatalf("collect = %v", v)
		}
	}
	if v := g.must(t, "collected"); !reflect.DeepEqual(v, []any{int64(0), int64(10), int64(20)}) {
		t.Fatalf("collected = %#v", v)
	}
}

func TestMisbehaveGuest(t *testing.T) {
	g := newGuest(t, "misbehave", guestKey{})
	g.id = "actor-42"
	g.must(t, "wactor_init")
	g.must(t, "wactor_init", "calm")
	if v := g.must(t, "ok"); v != "ok" {
		t.Fatalf("ok = %v", v)
	}
	if v := g.must(t, "whoami"); v != "actor-42" {
		t.Fatalf("whoami = %v", v)
	}
	g.id = strings.Repeat("long-id-", 20) // longer than the SDK's first buffer
	if v := g.must(t, "whoami"); v != g.id {
		t.Fatalf("whoami = %v", v)
	}
	if v := g.must(t, "log", "hello log"); v != true {
		t.Fatalf("log = %v", v)
	}
	if len(g.logs) != 1 || g.logs[0] != (logLine{LevelInfo, "hello log"}) {
		t.Fatalf("logs %v", g.logs)
	}
	if !strings.Contains(g.stderr.String(), "hello log\n") {
		t.Fatalf("stderr %q", g.stderr.String())
	}
	for _, x := range []any{nil, int64(-5), uint64(math.MaxUint64), 1.25, "s", []byte{0}, []any{map[string]any{"k": []any{}}}, map[any]any{int64(1): false}} {
		if v := g.must(t, "echo", x); !valuesEqual(v, x) {
			t.Fatalf("echo(%#v) = %#v", x, v)
		}
	}
	if v := g.must(t, "bomb", int64(3)); v != int64(3) {
		t.Fatalf("bomb = %v", v)
	}
	if v := g.must(t, "bomb", int64(2)); v != int64(5) {
		t.Fatalf("bomb = %v", v)
	}
	if g.mod.Memory().Size() < 5<<20 {
		t.Fatalf("memory %d after holding 5 MiB", g.mod.Memory().Size())
	}
	g.appErr(t, "invalid_amount", "bomb", int64(-1))
	if g.exited {
		t.Fatal("exited early")
	}
	if v := g.must(t, "exit"); v != "bye" || !g.exited {
		t.Fatalf("exit = %v, exited %v", v, g.exited)
	}

	// crash traps: the Go runtime prints the panic and aborts (an
	// unreachable instruction, or proc_exit(2) in some runtime versions).
	_, err := g.callRaw(g.ctx, "crash", []byte{0x80})
	var exit *sys.ExitError
	if err == nil || (errors.As(err, &exit) && exit.ExitCode() == 0) {
		t.Fatalf("crash: %v", err)
	}
	if !strings.Contains(g.stderr.String(), "panic: boom") {
		t.Fatalf("crash stderr %q", g.stderr.String())
	}
}

func TestMisbehaveConstructorTrap(t *testing.T) {
	g := newGuest(t, "misbehave", guestKey{})
	_, err := g.callRaw(g.ctx, "wactor_init", mustMarshal(t, []any{"trap"}))
	if err == nil {
		t.Fatal("constructor in trap mode succeeded")
	}
	if !strings.Contains(g.stderr.String(), "constructor failed") {
		t.Fatalf("stderr %q", g.stderr.String())
	}
}

func TestMisbehaveSpin(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	g := newGuest(t, "misbehave", guestKey{closeOnDone: true})
	ctx, cancel := context.WithTimeout(g.ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := g.callRaw(ctx, "spin", []byte{0x80})
	if err == nil {
		t.Fatal("spin returned")
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("spin ended after %v: %v", d, err)
	}
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
