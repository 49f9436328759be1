package wactor

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

type point struct {
	X int64 `cbor:"x"`
	Y int64 `cbor:"y"`
}

type codedErr struct{}

func (codedErr) Error() string { return "custom failure" }
func (codedErr) Code() string  { return "custom" }

var (
	tAdd    = Method2("t_add", func(a, b int64) (int64, error) { return a + b, nil }).Doc("Adds.")
	tNone   = Method0("t_none", func() (any, error) { return nil, nil })
	tConcat = Method3("t_concat", func(a string, b []byte, c bool) (string, error) {
		return fmt.Sprint(a, string(b), c), nil
	})
	tPoint = Method1("t_point", func(p point) (point, error) { return point{p.Y, p.X}, nil })
	tFail  = Method1("t_fail", func(kind string) (int, error) {
		switch kind {
		case "app":
			return 0, NewError("not_found", "no such thing")
		case "wrapped":
			return 0, fmt.Errorf("context: %w", Errorf("denied", "user %d", 7))
		case "coded":
			return 0, codedErr{}
		case "plain":
			return 0, errors.New("plain failure")
		case "badutf8":
			return 0, NewError("c\xff", "m\xfe")
		}
		return 1, nil
	})
	tDivmod = Method2x2("t_divmod", func(a, b int64) (int64, int64, error) {
		if b == 0 {
			return 0, 0, NewError("division_by_zero", "b is 0")
		}
		return a / b, a % b, nil
	})
	tPair    = Method0x2("t_pair", func() (string, []int64, error) { return "p", []int64{1}, nil })
	tSplit   = Method1x2("t_split", func(s string) (string, string, error) { a, b, _ := strings.Cut(s, ","); return a, b, nil })
	tBadRes  = Method0("t_badres", func() (string, error) { return "\xff", nil })
	tBadRes2 = Method0x2("t_badres2", func() (int, chan int, error) { return 1, nil, nil })
	tOpt     = Method2("t_opt", func(a int64, b string) (string, error) { return fmt.Sprint(a, b), nil }).MinArgs(1)
	tSmall   = Method1("t_small", func(n int8) (int8, error) { return n, nil })
	tKinds   = Method3("t_kinds", func(a uint16, b float64, c map[string]any) (bool, error) { return true, nil })
	tSlices  = Method2("t_slices", func(a []point, b [2]string) (int, error) { return len(a), nil })
	tAny     = Method1("t_any", func(a *point) (any, error) { return a, nil })
	tBig     = Method1("t_big", func(n int) ([]byte, error) { return make([]byte, n), nil })

	allocCount  int64
	tAllocIncr  = Method1("t_alloc_incr", func(n int64) (int64, error) { allocCount += n; return allocCount, nil })
	tAllocFloat = Method2("t_alloc_f", func(a float64, b bool) (uint64, error) { return math.MaxUint64, nil })
)

func invoke(t *testing.T, h *Handler, args ...any) []any {
	t.Helper()
	if args == nil {
		args = []any{}
	}
	in, err := Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	return invokeRaw(t, h, in)
}

func invokeRaw(t *testing.T, h *Handler, in []byte) []any {
	t.Helper()
	var env []any
	if err := Unmarshal(h.Invoke(in), &env); err != nil {
		t.Fatalf("%s: envelope: %v", h.Name(), err)
	}
	return env
}

func wantValue(t *testing.T, env []any, want any) {
	t.Helper()
	if len(env) != 2 || env[0] != int64(0) || !reflect.DeepEqual(env[1], want) {
		t.Fatalf("envelope %#v, want [0, %#v]", env, want)
	}
}

func wantError(t *testing.T, env []any, code, msgPart string) {
	t.Helper()
	if len(env) != 3 || env[0] != int64(2) || env[1] != code {
		t.Fatalf("envelope %#v, want [2, %q, ...]", env, code)
	}
	if msg, _ := env[2].(string); !strings.Contains(msg, msgPart) {
		t.Fatalf("message %q does not contain %q", msg, msgPart)
	}
}

func TestMethodCalls(t *testing.T) {
	wantValue(t, invoke(t, tAdd, int64(2), int64(40)), int64(42))
	wantValue(t, invoke(t, tAdd, int64(-2), uint64(1)), int64(-1))
	wantValue(t, invoke(t, tAdd, 2.0, int64(1)), int64(3)) // integral float accepted
	wantValue(t, invoke(t, tNone), nil)
	wantValue(t, invoke(t, tConcat, "a", []byte("b"), true), "abtrue")
	wantValue(t, invoke(t, tPoint, map[string]any{"x": int64(1), "y": int64(2), "z": "ignored"}),
		map[string]any{"x": int64(2), "y": int64(1)})
	wantValue(t, invoke(t, tFail, "none"), int64(1))
	wantValue(t, invoke(t, tSmall, int64(-128)), int64(-128))
	wantValue(t, invoke(t, tKinds, int64(65535), int64(1), map[string]any{}), true)
	wantValue(t, invoke(t, tSlices, []any{map[string]any{}}, []any{"a", "b"}), int64(1))
	wantValue(t, invoke(t, tAny, nil), nil)
	wantValue(t, invoke(t, tAny, map[string]any{"x": int64(3)}), map[string]any{"x": int64(3), "y": int64(0)})
}

func TestMultipleReturnEnvelopes(t *testing.T) {
	env := invoke(t, tDivmod, int64(17), int64(5))
	if !reflect.DeepEqual(env, []any{int64(1), []any{int64(3), int64(2)}}) {
		t.Fatalf("divmod envelope %#v", env)
	}
	wantError(t, invoke(t, tDivmod, int64(1), int64(0)), "division_by_zero", "b is 0")
	env = invoke(t, tPair)
	if !reflect.DeepEqual(env, []any{int64(1), []any{"p", []any{int64(1)}}}) {
		t.Fatalf("pair envelope %#v", env)
	}
	env = invoke(t, tSplit, "a,b")
	if !reflect.DeepEqual(env, []any{int64(1), []any{"a", "b"}}) {
		t.Fatalf("split envelope %#v", env)
	}
	wantError(t, invoke(t, tBadRes2), "bad_result", "cannot encode")
}

func TestBadArgs(t *testing.T) {
	tests := []struct {
		name string
		h    *Handler
		args []byte
		msg  string
	}{
		{"too few", tAdd, []byte{0x81, 0x01}, "t_add: expected 2 arguments, got 1"},
		{"too many", tAdd, []byte{0x83, 0x01, 0x02, 0x03}, "expected 2 arguments, got 3"},
		{"none for one", tSmall, []byte{0x80}, "expected 1 argument, got 0"},
		{"args to Method0", tNone, []byte{0x81, 0x01}, "expected 0 arguments, got 1"},
		{"wrong type", tAdd, []byte{0x82, 0x61, 0x78, 0x01}, "argument 1: cbor: cannot decode text string into int64"},
		{"second wrong", tAdd, []byte{0x82, 0x01, 0xf5}, "argument 2: cbor: cannot decode bool into int64"},
		{"overflow", tSmall, []byte{0x81, 0x18, 0xc8}, "integer 200 overflows int8"},
		{"not an array", tAdd, []byte{0xa0}, "cannot decode map into argument list"},
		{"empty input", tNone, nil, "unexpected end"},
		{"indefinite list", tAdd, []byte{0x9f, 0x01, 0x02, 0xff}, "indefinite"},
		{"trailing", tAdd, []byte{0x82, 0x01, 0x02, 0x03}, "trailing data"},
		{"trailing after none", tNone, []byte{0x80, 0x00}, "trailing data"},
		{"truncated", tAdd, []byte{0x82, 0x01}, "exceeds the remaining"},
		{"tag", tSmall, []byte{0x81, 0xc1, 0x01}, "tags"},
		{"struct from int", tPoint, []byte{0x81, 0x01}, "cannot decode unsigned integer into wactor.point"},
		{"bad utf8", tFail, []byte{0x81, 0x61, 0xff}, "UTF-8"},
		{"long list", tAdd, append([]byte{0x98, 0x18}, make([]byte, 24)...), "expected 2 arguments, got 24"},
		{"long list head", tAdd, []byte{0x98, 0x02, 0x01, 0x02}, ""}, // valid: 2 args, long head
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := invokeRaw(t, tt.h, tt.args)
			if tt.msg == "" {
				if env[0] != int64(0) {
					t.Fatalf("envelope %#v", env)
				}
				return
			}
			wantError(t, env, "bad_args", tt.msg)
		})
	}
}

func TestAppErrors(t *testing.T) {
	wantError(t, invoke(t, tFail, "app"), "not_found", "no such thing")
	env := invoke(t, tFail, "wrapped")
	wantError(t, env, "denied", "user 7")
	if env[2] != "user 7" {
		t.Errorf("wrapped *Error message %q, want the *Error's own message", env[2])
	}
	wantError(t, invoke(t, tFail, "coded"), "custom", "custom failure")
	wantError(t, invoke(t, tFail, "plain"), "error", "plain failure")
	wantError(t, invoke(t, tFail, "badutf8"), "c\uFFFD", "m\uFFFD")
	wantError(t, invoke(t, tBadRes), "bad_result", "t_badres: cannot encode the result: cbor: text is not valid UTF-8")
	if s := Errorf("c", "%d-%s", 1, "x").Error(); s != "c: 1-x" {
		t.Errorf("Error() = %q", s)
	}
}

func TestOptionalArgs(t *testing.T) {
	wantValue(t, invoke(t, tOpt, int64(1), "x"), "1x")
	wantValue(t, invoke(t, tOpt, int64(2)), "2")
	wantError(t, invoke(t, tOpt), "bad_args", "expected 1 to 2 arguments, got 0")
	wantError(t, invoke(t, tOpt, int64(1), "x", "y"), "bad_args", "expected 1 to 2 arguments, got 3")
	defer func() {
		if recover() == nil {
			t.Error("MinArgs(3) on a 2-parameter method did not panic")
		}
	}()
	tOpt.MinArgs(3)
}

func TestRegistrationErrors(t *testing.T) {
	for _, name := range []string{"", "_start", "_x", "wactor_init", "wactor_foo", "t_add"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("registering %q did not panic", name)
				}
			}()
			Method0(name, func() (int, error) { return 0, nil })
		}()
	}
}

func TestConstructors(t *testing.T) {
	saved := initHandler
	defer func() { initHandler = saved }()

	// No constructor: only an empty argument list is accepted.
	initHandler = nil
	wantValue(t, invoke(t, noInit), nil)
	wantError(t, invoke(t, noInit, int64(1)), "bad_args", "wactor_init: expected 0 arguments, got 1")

	var got []any
	h := Init2(func(owner string, n int64) error {
		if n < 0 {
			return NewError("invalid_amount", "negative")
		}
		got = []any{owner, n}
		return nil
	}).Doc("Opens.")
	wantValue(t, invoke(t, h, "ann", int64(5)), nil)
	if !reflect.DeepEqual(got, []any{"ann", int64(5)}) {
		t.Fatalf("constructor got %v", got)
	}
	wantError(t, invoke(t, h, "ann", int64(-1)), "invalid_amount", "negative")
	wantError(t, invoke(t, h, "ann"), "bad_args", "expected 2 arguments")
	func() {
		defer func() {
			if recover() == nil {
				t.Error("second constructor did not panic")
			}
		}()
		Init0(func() error { return nil })
	}()

	initHandler = nil
	var start int64 = -1
	h = Init1(func(s int64) error { start = s; return nil }).MinArgs(0)
	wantValue(t, invoke(t, h), nil)
	if start != 0 {
		t.Fatalf("start = %d", start)
	}
	wantValue(t, invoke(t, h, int64(9)), nil)
	if start != 9 {
		t.Fatalf("start = %d", start)
	}
	m := manifestValue()
	if !reflect.DeepEqual(m["init"], map[string]any{"params": []any{}, "variadic": true}) {
		t.Fatalf("init manifest %#v", m["init"])
	}

	initHandler = nil
	h = Init0(func() error { return errors.New("nope") })
	wantError(t, invoke(t, h), "error", "nope")
}

func TestManifest(t *testing.T) {
	saved := initHandler
	defer func() { initHandler = saved }()
	initHandler = nil
	SetClass("test", "Test class.")
	defer SetClass("", "")
	b, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["abi"] != int64(1) || m["name"] != "test" || m["doc"] != "Test class." {
		t.Fatalf("manifest header %#v", m)
	}
	if _, ok := m["init"]; ok {
		t.Fatal("init present without a constructor")
	}
	byName := map[string]map[string]any{}
	for _, x := range m["methods"].([]any) {
		mm := x.(map[string]any)
		byName[mm["name"].(string)] = mm
	}
	check := func(name string, want map[string]any) {
		t.Helper()
		got := byName[name]
		want["name"] = name
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: manifest entry\n got %#v\nwant %#v", name, got, want)
		}
	}
	check("t_add", map[string]any{"params": []any{"int", "int"}, "returns": int64(1), "doc": "Adds."})
	check("t_none", map[string]any{"params": []any{}, "returns": int64(1)})
	check("t_concat", map[string]any{"params": []any{"text", "bytes", "bool"}, "returns": int64(1)})
	check("t_point", map[string]any{"params": []any{"map"}, "returns": int64(1)})
	check("t_divmod", map[string]any{"params": []any{"int", "int"}, "returns": int64(2)})
	check("t_pair", map[string]any{"params": []any{}, "returns": int64(2)})
	check("t_split", map[string]any{"params": []any{"text"}, "returns": int64(2)})
	check("t_opt", map[string]any{"params": []any{"int"}, "variadic": true, "returns": int64(1)})
	check("t_kinds", map[string]any{"params": []any{"uint", "float", "map"}, "returns": int64(1)})
	check("t_slices", map[string]any{"params": []any{"array", "array"}, "returns": int64(1)})
	check("t_any", map[string]any{"params": []any{"map"}, "returns": int64(1)})
	check("fuzz_echo", map[string]any{"params": []any{"any"}, "returns": int64(1)})
	// Registration order is kept.
	pos := map[string]int{}
	for i, x := range m["methods"].([]any) {
		pos[x.(map[string]any)["name"].(string)] = i
	}
	if pos["t_add"]+1 != pos["t_none"] || pos["t_none"]+1 != pos["t_concat"] {
		t.Errorf("method order %v", pos)
	}
}

func TestLargeResultBufferIsReleased(t *testing.T) {
	env := tBig.invoke([]byte{0x81, 0x1a, 0x00, 0x20, 0x00, 0x00}) // 2 MiB
	if len(env) < 2<<20 {
		t.Fatalf("envelope of %d bytes", len(env))
	}
	if cap(outBuf) <= maxKeptOut {
		t.Fatal("output buffer did not grow")
	}
	tAdd.invoke([]byte{0x82, 0x01, 0x02})
	if cap(outBuf) > maxKeptOut {
		t.Fatalf("output buffer of %d bytes kept after a small call", cap(outBuf))
	}
}

func TestHotPathAllocations(t *testing.T) {
	args := []byte{0x81, 0x19, 0x01, 0x00} // [256]
	if n := testing.AllocsPerRun(100, func() { tAllocIncr.invoke(args) }); n != 0 {
		t.Errorf("incr(int64) allocates %v times per call", n)
	}
	args = []byte{0x82, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xf5}
	if n := testing.AllocsPerRun(100, func() { tAllocFloat.invoke(args) }); n != 0 {
		t.Errorf("f(float64, bool) allocates %v times per call", n)
	}
}
