package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// fakeResolver knows one actor and no futures.
type fakeResolver struct{}

func (fakeResolver) actorClass(id string) (string, error) {
	if id == "a1" {
		return "sha256:c1", nil
	}
	return "", fmt.Errorf("%w: %s", host.ErrActorNotFound, id)
}

func (fakeResolver) future(id string) (*host.Future, error) {
	return nil, fmt.Errorf("%w: %s", api.ErrFutureNotFound, id)
}

func TestJSONValues(t *testing.T) {
	for _, tc := range []struct {
		in   string // JSON argument
		diag string // CBOR diagnostic notation of the encoding
		out  string // JSON rendering of that CBOR ("" = in)
	}{
		{in: `1`, diag: `1`},
		{in: `0`, diag: `0`},
		{in: ` 42 `, diag: `42`, out: `42`},
		{in: `-0`, diag: `0`, out: `0`},
		{in: `""`, diag: `""`},
		{in: `"plain"`, diag: `"plain"`},
		{in: `-1`, diag: `-1`},
		{in: `9223372036854775807`, diag: `9223372036854775807`},
		{in: `-9223372036854775808`, diag: `-9223372036854775808`},
		{in: `18446744073709551615`, diag: `18446744073709551615`},
		{in: `1.5`, diag: `1.5`},
		{in: `1.0`, diag: `1.0`},
		{in: `1e3`, diag: `1000.0`, out: `1000.0`},
		{in: `-0.0`, diag: `-0.0`, out: `-0.0`},
		{in: `"héllo \"q\" \n\u0001 \u2028"`, diag: `"h\u00e9llo \"q\" \n\u0001 \u2028"`, out: `"héllo \"q\" \n\u0001 \u2028"`},
		{in: `true`, diag: `true`},
		{in: `null`, diag: `null`},
		{in: `[1,[2,"x"],[]]`, diag: `[1, [2, "x"], []]`},
		{in: `{"b":1,"a":{"c":null}}`, diag: `{"a": {"c": null}, "b": 1}`, out: `{"a":{"c":null},"b":1}`},
		{in: `{"$bytes":"AAEC/w=="}`, diag: `h'000102ff'`},
		{in: `{"$bytes":""}`, diag: `h''`},
		{in: `{"$map":[[1,"one"],[[2],true]]}`, diag: `{1: "one", [2]: true}`},
		{in: `{"$map":[["$bytes",1]]}`, diag: `{"$bytes": 1}`},
		{in: `{"$map":[]}`, diag: `{}`, out: `{}`},
		{in: `{"$float":"NaN"}`, diag: `NaN`},
		{in: `{"$float":"-Infinity"}`, diag: `-Infinity`},
		{in: `{"$actor":"a1"}`, diag: `51000(["a1", "sha256:c1"])`, out: `{"$actor":"a1","class":"sha256:c1"}`},
		{in: `{"$actor":"a1","class":"sha256:c1"}`, diag: `51000(["a1", "sha256:c1"])`},
		{in: `[{"$actor":"a1"}]`, diag: `[51000(["a1", "sha256:c1"])]`, out: `[{"$actor":"a1","class":"sha256:c1"}]`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			v, err := jsonArg([]byte(tc.in), fakeResolver{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			val := v.(abi.Value)
			if err := abi.Validate(val); err != nil {
				t.Fatalf("not valid CBOR: %v", err)
			}
			if got := val.String(); got != tc.diag {
				t.Errorf("CBOR %s, want %s", got, tc.diag)
			}
			out, err := valueJSON(val)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.out
			if want == "" {
				want = tc.in
			}
			if string(out) != want {
				t.Errorf("JSON %s, want %s", out, want)
			}
			if !json.Valid(out) {
				t.Errorf("invalid JSON %s", out)
			}
		})
	}
}

func TestJSONValueErrors(t *testing.T) {
	deep := ""
	for range abi.MaxDepth {
		deep += "["
	}
	for range abi.MaxDepth {
		deep += "]"
	}
	for _, tc := range []struct {
		in, code string
	}{
		{`{"$bytes": 5}`, codeInvalidArgument},
		{`{"$bytes": "!!"}`, codeInvalidArgument},
		{`{"$bytes": "AA==", "x": 1}`, codeInvalidArgument},
		{`{"$map": [[1]]}`, codeInvalidArgument},
		{`{"$map": 1}`, codeInvalidArgument},
		{`{"$float": "1"}`, codeInvalidArgument},
		{`{"$other": 1}`, codeInvalidArgument},
		{`[{"$future": "x/1"}]`, codeInvalidArgument},
		{`{"$actor": "nope"}`, codeActorNotFound},
		{`{"$actor": "a1", "class": "sha256:other"}`, codeInvalidArgument},
		{`{"$future": "x/1"}`, codeFutureNotFound},
		{`123456789012345678901234567890`, codeInvalidArgument},
		{`1e999`, codeInvalidArgument},
		{deep, codeInvalidArgument},
		{`[1,`, codeInvalidArgument},
		{`007`, codeInvalidArgument},
		{`-01`, codeInvalidArgument},
		{`-`, codeInvalidArgument},
		{`"`, codeInvalidArgument},
		{`"abc`, codeInvalidArgument},
		{`tru`, codeInvalidArgument},
		{"\"\x01\"", codeInvalidArgument},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := jsonArg([]byte(tc.in), fakeResolver{}, 0)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errorFor(err).Code; got != tc.code {
				t.Errorf("code %s (%v), want %s", got, err, tc.code)
			}
		})
	}
}

func TestCBORToJSON(t *testing.T) {
	for _, tc := range []struct {
		cbor []byte
		want string
	}{
		{[]byte{0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, `-18446744073709551616`},
		{[]byte{0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0}, `-9223372036854775809`},
		{[]byte{0xf9, 0x3c, 0x00}, `1.0`},                     // half 1.0
		{[]byte{0xf9, 0x00, 0x01}, `5.9604645e-08`},           // smallest half subnormal
		{[]byte{0xf9, 0x7c, 0x00}, `{"$float":"Infinity"}`},   // half +Inf
		{[]byte{0xfa, 0x3f, 0xc0, 0x00, 0x00}, `1.5`},         // single
		{[]byte{0xf7}, `null`},                                // undefined
		{[]byte{0xa1, 0x01, 0x02}, `{"$map":[[1,2]]}`},        // int key
		{[]byte{0xa1, 0x61, '$', 0x02}, `{"$map":[["$",2]]}`}, // "$" key
		{[]byte{0xa2, 0x61, 'a', 0x01, 0x61, 'b', 0x02}, `{"a":1,"b":2}`},
	} {
		got, err := valueJSON(tc.cbor)
		if err != nil {
			t.Errorf("%x: %v", tc.cbor, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%x: %s, want %s", tc.cbor, got, tc.want)
		}
	}
	if _, err := valueJSON([]byte{0x82, 0x01}); !errors.Is(err, abi.ErrMalformed) {
		t.Errorf("truncated array: %v", err)
	}
	if got, _ := valueJSON(codec.MustEncode(math.Inf(-1))); string(got) != `{"$float":"-Infinity"}` {
		t.Errorf("-Inf: %s", got)
	}
}

func TestCBORArgs(t *testing.T) {
	handle := codec.MustEncode(abi.Handle{ID: "a1", Class: "sha256:c1"})
	if v, err := cborArg(handle, fakeResolver{}); err != nil || string(v.(abi.Value)) != string(handle) {
		t.Errorf("handle: %v %v", v, err)
	}
	wrong := codec.MustEncode(abi.Handle{ID: "a1", Class: "sha256:zz"})
	if _, err := cborArg(wrong, fakeResolver{}); errorFor(err).Code != codeInvalidArgument {
		t.Errorf("wrong class: %v", err)
	}
	other := codec.MustEncode([]any{1, abi.Handle{ID: "zz", Class: "sha256:c1"}})
	if _, err := cborArg(other, fakeResolver{}); errorFor(err).Code != codeActorNotFound {
		t.Errorf("unknown actor inside an array: %v", err)
	}
	// Tag 51001 around text: a future reference.
	ref := append([]byte{0xd9, 0xc7, 0x39, 0x63}, "x/1"...)
	if _, err := cborArg(ref, fakeResolver{}); errorFor(err).Code != codeFutureNotFound {
		t.Errorf("future ref: %v", err)
	}
	// ... but not inside a value.
	if _, err := cborArg(append([]byte{0x81}, ref...), fakeResolver{}); errorFor(err).Code != codeInvalidArgument {
		t.Errorf("nested future ref: %v", err)
	}
	if _, err := cborArg([]byte{0x82, 0x01}, fakeResolver{}); errorFor(err).Code != codeInvalidArgument {
		t.Errorf("truncated: %v", err)
	}
}
