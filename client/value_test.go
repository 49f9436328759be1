package client

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
)

func wireJSON(t *testing.T, v any) string {
	t.Helper()
	w, err := toWire(v)
	if err != nil {
		t.Fatalf("toWire(%#v): %v", v, err)
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatalf("marshal %#v: %v", w, err)
	}
	return string(b)
}

func TestToWire(t *testing.T) {
	type blob []byte
	type withBytes struct {
		B Bytes  `json:"b"`
		F Future `json:"f"`
	}
	var nilPtr *Future
	for _, tc := range []struct {
		in   any
		want string
	}{
		{nil, `null`},
		{5, `5`},
		{int8(-3), `-3`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{2.0, `2.0`},
		{float32(0.5), `0.5`},
		{1e300, `1e+300`},
		{math.NaN(), `{"$float":"NaN"}`},
		{math.Inf(1), `{"$float":"Infinity"}`},
		{"x", `"x"`},
		{true, `true`},
		{[]byte{1, 2}, `{"$bytes":"AQI="}`},
		{blob{1}, `{"$bytes":"AQ=="}`},
		{[2]byte{1, 2}, `{"$bytes":"AQI="}`},
		{[]byte(nil), `null`},
		{Future{ID: "a/1"}, `{"$future":"a/1"}`},
		{&Future{ID: "a/2"}, `{"$future":"a/2"}`},
		{nilPtr, `null`},
		{ActorRef{ID: "x", Class: "c"}, `{"$actor":"x"}`},
		{abi.Handle{ID: "y", Class: "c"}, `{"$actor":"y"}`},
		{[]any{1, []byte{0}, []int{2}}, `[1,{"$bytes":"AA=="},[2]]`},
		{map[string]any{"k": []byte{0}}, `{"k":{"$bytes":"AA=="}}`},
		{map[int]string{2: "b", 1: "a"}, `{"$map":[[1,"a"],[2,"b"]]}`},
		{map[string]int{"$x": 1}, `{"$map":[["$x",1]]}`},
		{withBytes{B: Bytes{1}, F: Future{ID: "f"}}, `{"b":{"$bytes":"AQ=="},"f":{"$future":"f"}}`},
		{json.RawMessage(`{"$future":"z"}`), `{"$future":"z"}`},
		{ValueOf(json.RawMessage(`[1]`)), `[1]`},
		{Value{}, `null`},
	} {
		if got := wireJSON(t, tc.in); got != tc.want {
			t.Errorf("toWire(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if _, err := toWire(make(chan int)); err == nil {
		t.Error("toWire(chan) succeeded")
	}
}

func TestValue(t *testing.T) {
	v := ValueOf(json.RawMessage(`[1, -2, 3.5, 18446744073709551615, "s", null, true,
		{"$bytes": "AQI="}, {"$actor": "a1", "class": "c1"}, {"$map": [[1, "x"], [true, "y"]]},
		{"$float": "-Infinity"}, {"k": {"$bytes": ""}}]`))
	x, err := v.Interface()
	if err != nil {
		t.Fatal(err)
	}
	xs := x.([]any)
	want := []any{int64(1), int64(-2), 3.5, uint64(math.MaxUint64), "s", nil, true,
		[]byte{1, 2}, ActorRef{ID: "a1", Class: "c1"}}
	if !reflect.DeepEqual(xs[:len(want)], want) {
		t.Fatalf("Interface = %#v", xs)
	}
	if _, err := ValueOf(json.RawMessage(`{"$map": [[[1], "y"]]}`)).Interface(); err == nil {
		t.Error("$map with an array key decoded into map[any]any")
	}
	if f := xs[10].(float64); !math.IsInf(f, -1) {
		t.Errorf("$float = %v", f)
	}
	if m := xs[11].(map[string]any); !reflect.DeepEqual(m["k"], []byte{}) {
		t.Errorf("nested bytes = %#v", m["k"])
	}

	parts, err := v.Values()
	if err != nil || len(parts) != 12 {
		t.Fatalf("Values: %v %v", parts, err)
	}
	if n, err := parts[0].Int(); err != nil || n != 1 {
		t.Errorf("Int = %v %v", n, err)
	}
	if _, err := parts[2].Int(); err == nil {
		t.Error("Int of 3.5 succeeded")
	}
	if f, err := parts[2].Float(); err != nil || f != 3.5 {
		t.Errorf("Float = %v %v", f, err)
	}
	if s, err := parts[4].String(); err != nil || s != "s" {
		t.Errorf("String = %v %v", s, err)
	}
	if !parts[5].IsNull() || !(Value{}).IsNull() || parts[4].IsNull() {
		t.Error("IsNull")
	}
	if b, err := parts[6].Bool(); err != nil || !b {
		t.Errorf("Bool = %v %v", b, err)
	}
	if b, err := parts[7].Bytes(); err != nil || string(b) != "\x01\x02" {
		t.Errorf("Bytes = %v %v", b, err)
	}
	if _, err := parts[4].Bytes(); err == nil {
		t.Error("Bytes of text succeeded")
	}
	if a, err := parts[8].Actor(); err != nil || a != (ActorRef{ID: "a1", Class: "c1"}) {
		t.Errorf("Actor = %v %v", a, err)
	}
	if f, err := parts[10].Float(); err != nil || !math.IsInf(f, -1) {
		t.Errorf("Float($float) = %v %v", f, err)
	}

	// Decode into Go types.
	var out struct {
		B  []byte          `json:"b"`
		BB Bytes           `json:"bb"`
		A  ActorRef        `json:"a"`
		M  map[int]string  `json:"m"`
		X  json.RawMessage `json:"x"`
	}
	in := ValueOf(json.RawMessage(`{"b": {"$bytes": "AQI="}, "bb": {"$bytes": "Aw=="},
		"a": {"$actor": "id", "class": "c"}, "m": {"$map": [[7, "seven"]]}, "x": 1}`))
	if err := in.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if string(out.B) != "\x01\x02" || string(out.BB) != "\x03" || out.A != (ActorRef{ID: "id", Class: "c"}) || out.M[7] != "seven" {
		t.Fatalf("Decode = %+v", out)
	}
	var anyv any
	if err := in.Decode(&anyv); err != nil || !reflect.DeepEqual(anyv.(map[string]any)["m"], map[any]any{int64(7): "seven"}) {
		t.Fatalf("Decode(*any) = %#v %v", anyv, err)
	}

	// A Value marshals as its JSON.
	b, _ := json.Marshal(map[string]Value{"v": parts[0], "z": {}})
	if string(b) != `{"v":1,"z":null}` {
		t.Errorf("marshal Value = %s", b)
	}
}

func TestRefsJSON(t *testing.T) {
	var f Future
	if err := json.Unmarshal([]byte(`{"$future":"a/1"}`), &f); err != nil || f.ID != "a/1" {
		t.Errorf("Future = %v %v", f, err)
	}
	if err := json.Unmarshal([]byte(`"a/2"`), &f); err != nil || f.ID != "a/2" {
		t.Errorf("Future = %v %v", f, err)
	}
	if err := json.Unmarshal([]byte(`{}`), &f); err == nil {
		t.Error("Future from {}")
	}
	var a ActorRef
	if err := json.Unmarshal([]byte(`{}`), &a); err == nil {
		t.Error("ActorRef from {}")
	}
	var b Bytes
	if err := json.Unmarshal([]byte(`{"$bytes":"!"}`), &b); err == nil {
		t.Error("Bytes from bad base64")
	}
}

func TestErrorIs(t *testing.T) {
	e := &Error{Status: 404, Code: "method_not_found", Message: "m"}
	for _, target := range []error{api.ErrNotFound, api.ErrMethodNotFound, &Error{Code: "method_not_found"}} {
		if !errors.Is(e, target) {
			t.Errorf("%v is not %v", e, target)
		}
	}
	for _, target := range []error{api.ErrActorNotFound, api.ErrArity, context.DeadlineExceeded} {
		if errors.Is(e, target) {
			t.Errorf("%v is %v", e, target)
		}
	}
	d := &Error{Code: "deadline_exceeded"}
	if !errors.Is(d, context.DeadlineExceeded) || errors.Is(d, api.ErrNotFound) {
		t.Error("deadline_exceeded matching")
	}
	if !errors.Is(&Error{Code: "gizmo_not_found"}, api.ErrNotFound) || errors.Is(&Error{Code: "gizmo"}, api.ErrNotFound) {
		t.Error("unknown codes matching")
	}
	if e.Error() != "method_not_found: m" {
		t.Errorf("Error() = %q", e.Error())
	}
	// Every code of the API's table unwraps to its sentinel and has a status.
	for _, c := range api.Codes {
		if c.Err != nil && !errors.Is(&Error{Code: c.Name}, c.Err) || statusForCode(c.Name) == 0 {
			t.Errorf("code %s", c.Name)
		}
	}
	// Typed errors from the details, as the host returns them.
	app := &Error{Code: "app_error", Details: map[string]any{"code": "E", "message": "m"}}
	var ae *api.AppError
	if !errors.As(app, &ae) || ae.Code != "E" || ae.Message != "m" || !errors.Is(app, api.ErrApp) {
		t.Errorf("app_error: %+v", ae)
	}
	died := &Error{Code: "actor_died", Details: map[string]any{"reason": "killed"}}
	var de *api.ActorDiedError
	if !errors.As(died, &de) || de.Reason != api.DeathKilled || !errors.Is(died, api.ErrActorDied) {
		t.Errorf("actor_died: %+v", de)
	}
	trap := &Error{Code: "deadline_exceeded", Details: map[string]any{"reason": "deadline"}}
	var te *api.TrapError
	if !errors.As(trap, &te) || te.Reason != api.TrapDeadline || !errors.Is(trap, context.DeadlineExceeded) || !errors.Is(trap, api.ErrTrap) {
		t.Errorf("deadline trap: %+v", te)
	}
	un := &Error{Code: "unschedulable", Details: map[string]any{"resource": "gpu", "requested": 2.0, "capacity": 1.0}}
	var ue *api.UnschedulableError
	if !errors.As(un, &ue) || ue.Resource != "gpu" || ue.Requested != 2 || ue.Capacity != 1 || !errors.Is(un, api.ErrUnschedulable) {
		t.Errorf("unschedulable: %+v", ue)
	}
}

// TestCodesOfTheAPI: every error code of the API (docs/openapi.json, which a
// server test checks against the server's table) has a sentinel and its
// status here.
func TestCodesOfTheAPI(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "docs", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum []string `json:"enum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	codes := doc.Components.Schemas["ErrorCode"].Enum
	if len(codes) == 0 {
		t.Fatal("docs/openapi.json lists no ErrorCode")
	}
	for _, code := range codes {
		if c, ok := api.CodeNamed(code); !ok || !errors.Is(&Error{Code: code}, c.Err) {
			t.Errorf("code %s has no sentinel", code)
		}
		if statusForCode(code) == 0 {
			t.Errorf("code %s has no status", code)
		}
	}
}

func TestNew(t *testing.T) {
	for in, want := range map[string]string{
		"":                       DefaultServer,
		"localhost:9":            "http://localhost:9",
		"https://example.com/x/": "https://example.com/x",
	} {
		c, err := New(Config{Server: in})
		if err != nil || c.Server() != want {
			t.Errorf("New(%q): %v %v", in, c, err)
		}
	}
	for _, bad := range []string{"ftp://x", "http://", "http://x?y=1", "://"} {
		if _, err := New(Config{Server: bad}); err == nil {
			t.Errorf("New(%q) succeeded", bad)
		}
	}
	c, _ := New(Config{Server: "http://h:1"})
	if got := c.endpoint(nil, "/v1/futures/", "abc/1.2"); got != "http://h:1/v1/futures/abc%2F1.2" {
		t.Errorf("endpoint = %s", got)
	}
}
