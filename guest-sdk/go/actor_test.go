//go:build !wasip1

package wactor

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
)

// ---------------------------------------------------------------------------
// Handle and Raw in the codec

func TestHandleCodec(t *testing.T) {
	h := Handle{ID: "a1", Class: "c"}
	b, err := Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "d9c738 82 626131 6163"); !bytes.Equal(b, want) {
		t.Fatalf("Marshal(%v) = % x, want % x", h, b, want)
	}
	var got Handle
	if err := Unmarshal(b, &got); err != nil || got != h {
		t.Fatalf("Unmarshal = %v, %v", got, err)
	}
	var a any
	if err := Unmarshal(b, &a); err != nil || a != h {
		t.Fatalf("Unmarshal into any = %#v, %v", a, err)
	}
	// Any head width of the tag number is accepted; empty texts too.
	if err := Unmarshal(unhex(t, "da0000c738 82 60 60"), &got); err != nil || got != (Handle{}) {
		t.Fatalf("long tag head: %v, %v", got, err)
	}
	// A pointer, and null into a pointer.
	var p *Handle
	if err := Unmarshal(b, &p); err != nil || *p != h {
		t.Fatalf("into *Handle: %v, %v", p, err)
	}
	if err := Unmarshal([]byte{0xf6}, &p); err != nil || p != nil {
		t.Fatalf("null into *Handle: %v, %v", p, err)
	}
	if b2, err := Marshal(&h); err != nil || !bytes.Equal(b2, b) {
		t.Fatalf("Marshal(&h) = % x, %v", b2, err)
	}
}

// TestHandleMatchesHost checks the SDK's handle encoding against the host's
// codec (package abi), both ways.
func TestHandleMatchesHost(t *testing.T) {
	for _, h := range []Handle{{ID: "actor-1", Class: "counter"}, {ID: "a"}, {ID: strings.Repeat("x", 300), Class: "水"}} {
		b, err := Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		hb, err := codec.Encode(abi.Handle{ID: h.ID, Class: h.Class})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, hb) {
			t.Fatalf("SDK % x, host % x", b, []byte(hb))
		}
		if ah, err := abi.DecodeHandle(b); err != nil || ah.ID != h.ID || ah.Class != h.Class {
			t.Fatalf("abi.DecodeHandle = %v, %v", ah, err)
		}
		args, _ := codec.EncodeArgs([]any{abi.Handle{ID: h.ID, Class: h.Class}, int64(1)})
		var got []any
		if err := Unmarshal(args, &got); err != nil || got[0] != h {
			t.Fatalf("host-encoded args % x: %v, %v", args, got, err)
		}
	}
}

func TestHandleRoundTrips(t *testing.T) {
	h1, h2 := Handle{ID: "actor-1", Class: "counter"}, Handle{ID: "actor-2", Class: "水"}
	type rec struct {
		Peer   Handle            `cbor:"peer"`
		Opt    *Handle           `cbor:"opt"`
		Many   []Handle          `cbor:"many"`
		ByName map[string]Handle `cbor:"by_name"`
		Keys   map[Handle]int    `cbor:"keys"`
		Any    any               `cbor:"any"`
	}
	tests := []any{
		[]Handle{h1, h2},
		[]Handle{},
		[2]Handle{h2, h1},
		map[string]Handle{"a": h1, "b": h2},
		map[Handle]string{h1: "one", h2: "two"},
		rec{Peer: h1, Opt: &h2, Many: []Handle{h2}, ByName: map[string]Handle{"x": h1}, Keys: map[Handle]int{h1: 1}, Any: h2},
		rec{Many: []Handle{}, ByName: map[string]Handle{}, Keys: map[Handle]int{}}, // nil slices and maps encode as empty ones
	}
	for _, v := range tests {
		b, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", v, err)
		}
		p := reflect.New(reflect.TypeOf(v))
		if err := Unmarshal(b, p.Interface()); err != nil {
			t.Fatalf("Unmarshal(% x) into %T: %v", b, v, err)
		}
		if got := p.Elem().Interface(); !reflect.DeepEqual(got, v) {
			t.Fatalf("round trip of %#v gave %#v", v, got)
		}
	}
	// Into any: handles inside arrays and maps decode as Handle values.
	b, _ := Marshal(map[string]any{"peers": []any{h1, h2}, "self": h1})
	var a any
	if err := Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"peers": []any{h1, h2}, "self": h1}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("into any: %#v", a)
	}
	// A handle as a map key into map[any]any.
	b, _ = Marshal(map[Handle]int64{h1: 7})
	if err := Unmarshal(b, &a); err != nil || !reflect.DeepEqual(a, map[any]any{h1: int64(7)}) {
		t.Fatalf("handle key into any: %#v, %v", a, err)
	}
}

func TestHandleDepth(t *testing.T) {
	// A handle is two nesting levels (the tag and its array).
	h := Handle{ID: "a", Class: "c"}
	nest := func(n int) any {
		var v any = h
		for range n {
			v = []any{v}
		}
		return v
	}
	if _, err := Marshal(nest(MaxDepth - 2)); err != nil {
		t.Fatalf("handle at depth %d: %v", MaxDepth, err)
	}
	if _, err := Marshal(nest(MaxDepth - 1)); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Fatalf("handle beyond depth %d: %v", MaxDepth, err)
	}
	enc := strings.Repeat("81", MaxDepth-2) + "d9c738826161616"
	var v any
	if err := Unmarshal(unhex(t, enc+"3"), &v); err != nil {
		t.Fatalf("decode at the limit: %v", err)
	}
	if err := Unmarshal(unhex(t, "81"+enc+"3"), &v); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Fatalf("decode beyond the limit: %v", err)
	}
}

func TestHandleDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"no content", "d9c738", "unexpected end"},
		{"text content", "d9c7386161", "actor handle"},
		{"one element", "d9c7388161 61", "actor handle"},
		{"three elements", "d9c73883606060", "actor handle"},
		{"int element", "d9c738826001", "actor handle"},
		{"null element", "d9c73882f660", "actor handle"},
		{"invalid utf8", "d9c7388261ff60", "UTF-8"},
		{"nested handle", "d9c73882d9c73882606060", "actor handle"},
		{"truncated", "d9c738826161", "unexpected end"},
		{"tag 51001", "d9c7398260 60", "tags"},
		{"tag 0", "c0 6161", "tags"},
		{"indefinite array", "d9c7389f6060ff", "indefinite"},
	}
	for _, tt := range tests {
		in := unhex(t, tt.in)
		var h Handle
		var a any
		var r Raw
		for _, target := range []any{&h, &a, &r} {
			if err := Unmarshal(in, target); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s (%s) into %T: error %v, want one containing %q", tt.name, tt.in, target, err, tt.err)
			}
		}
	}
	// Other values into a Handle, and a handle into other types.
	var h Handle
	for _, in := range []string{"01", "f6", "8260 60", "a0", "6161"} {
		if err := Unmarshal(unhex(t, in), &h); err == nil || !strings.Contains(err.Error(), "into actor handle") {
			t.Errorf("%s into Handle: %v", in, err)
		}
	}
	hb, _ := Marshal(Handle{ID: "a", Class: "c"})
	var s string
	var m map[string]any
	var st struct{ ID string }
	var i int64
	for _, target := range []any{&s, &m, &st, &i} {
		if err := Unmarshal(hb, target); err == nil || !strings.Contains(err.Error(), "cannot decode an actor handle into") {
			t.Errorf("handle into %T: %v", target, err)
		}
	}
	// Handle encoding checks its texts.
	if _, err := Marshal(Handle{ID: "\xff"}); err == nil {
		t.Error("a handle with invalid UTF-8 encoded")
	}
}

func TestRaw(t *testing.T) {
	// Raw keeps the bytes of any well-formed item unchanged, including
	// non-shortest forms and handles.
	for _, in := range []string{"00", "1800", "f6", "f97e00", "83010203", "a1616101", "d9c738826161616", "8201d9c73882606"} {
		if len(in)%2 == 1 {
			in += "0"
		}
		b := unhex(t, in)
		var r Raw
		if err := Unmarshal(b, &r); err != nil || !bytes.Equal(r, b) {
			t.Fatalf("Unmarshal(%s) into Raw = % x, %v", in, r, err)
		}
		if out, err := Marshal(r); err != nil || !bytes.Equal(out, b) {
			t.Fatalf("Marshal(Raw %s) = % x, %v", in, out, err)
		}
		if &r[0] == &b[0] {
			t.Fatal("Raw shares the input buffer")
		}
	}
	// Inside containers and structs.
	type withRaw struct {
		Name string `cbor:"name"`
		Data Raw    `cbor:"data"`
	}
	in := unhex(t, "a2 646e616d65 6178 6464617461 821800f6")
	var w withRaw
	if err := Unmarshal(in, &w); err != nil || w.Name != "x" || !bytes.Equal(w.Data, unhex(t, "821800f6")) {
		t.Fatalf("struct with Raw: %+v, %v", w, err)
	}
	if out, err := Marshal(w); err != nil || !bytes.Equal(out, in) {
		t.Fatalf("Marshal(struct with Raw) = % x, %v", out, err)
	}
	if out, err := Marshal([]any{Raw{0x18, 0x01}, Raw(nil)}); err != nil || !bytes.Equal(out, unhex(t, "82 1801 f6")) {
		t.Fatalf("Marshal([Raw, nil Raw]) = % x, %v", out, err)
	}
	// Malformed Raw values are rejected both ways.
	for _, bad := range []string{"ff", "1903", "0101", "5f4101ff", "c001", "61ff"} {
		var r Raw
		if err := Unmarshal(unhex(t, bad), &r); err == nil {
			t.Errorf("Unmarshal(%s) into Raw succeeded", bad)
		}
		if _, err := Marshal(Raw(unhex(t, bad))); err == nil || !strings.Contains(err.Error(), "Raw") {
			t.Errorf("Marshal(Raw %s): %v", bad, err)
		}
	}
	// The depth limit counts where the Raw value is placed.
	deep := Raw(unhex(t, strings.Repeat("81", MaxDepth)+"00"))
	if _, err := Marshal(deep); err != nil {
		t.Fatalf("Raw at the limit: %v", err)
	}
	if _, err := Marshal([]any{deep}); err == nil {
		t.Fatal("Raw beyond the depth limit encoded")
	}
	// Decode.
	var xs []int
	if err := Raw(unhex(t, "820102")).Decode(&xs); err != nil || !reflect.DeepEqual(xs, []int{1, 2}) {
		t.Fatalf("Decode = %v, %v", xs, err)
	}
	var p *int
	if err := Raw(nil).Decode(&p); err != nil || p != nil {
		t.Fatalf("empty Raw decodes as null: %v, %v", p, err)
	}
}

var (
	rawEcho    = Method1("test_raw_echo", func(r Raw) (Raw, error) { return r, nil })
	handleEcho = Method2("test_handle_echo", func(h Handle, hs []Handle) ([]Handle, error) { return append([]Handle{h}, hs...), nil })
)

func TestHandleAndRawMethods(t *testing.T) {
	// Raw passes a non-shortest encoding through a method unchanged.
	env := rawEcho.Invoke(unhex(t, "81 821800d9c73882616161 63"))
	if want := unhex(t, "8200 821800d9c73882616161 63"); !bytes.Equal(env, want) {
		t.Fatalf("raw echo = % x, want % x", env, want)
	}
	wantError(t, invokeRaw(t, rawEcho, unhex(t, "81c001")), "bad_args", "tags")

	h1, h2 := Handle{ID: "a", Class: "x"}, Handle{ID: "b"}
	wantValue(t, invoke(t, handleEcho, h1, []any{h2}), []any{h1, h2})
	wantError(t, invoke(t, handleEcho, "a", []any{}), "bad_args", "argument 1")

	// In the manifest, Handle and Raw parameters are "any".
	for _, m := range manifestValue()["methods"].([]any) {
		mm := m.(map[string]any)
		switch mm["name"] {
		case "test_raw_echo":
			if !reflect.DeepEqual(mm["params"], []any{"any"}) {
				t.Errorf("test_raw_echo params %v", mm["params"])
			}
		case "test_handle_echo":
			if !reflect.DeepEqual(mm["params"], []any{"any", "array"}) {
				t.Errorf("test_handle_echo params %v", mm["params"])
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Envelopes

func TestParseEnvelope(t *testing.T) {
	tests := []struct {
		in      string
		val     string // hex of the Raw value
		code    string // or the error code
		message string
		bad     string // or part of the malformed-envelope error
	}{
		{in: "", val: "f6"},
		{in: "8200f6", val: "f6"},
		{in: "82001800", val: "1800"},
		{in: "8200d9c73882616161 62", val: "d9c73882616161 62"},
		{in: "8201820102", val: "820102"},
		{in: "820180", val: "80"},
		{in: "8302 6f7761 63746f722e646561646c6f636b 63612d3e", code: "wactor.deadlock", message: "a->"},
		{in: "8302 6c696e73756666696369656e74 60", code: "insufficient", message: ""},
		{in: "8301 01 02", bad: "kind 1 with 3"},
		{in: "820301", bad: "kind 3"},
		{in: "8202 61 61", bad: "kind 2 with 2"},
		{in: "8101", bad: "kind 1 with 1"},
		{in: "820105", bad: "without an array"},
		{in: "8302016161", bad: "error code"},
		{in: "8302616101", bad: "error message"},
		{in: "8200", bad: "exceeds the remaining"},
		{in: "01", bad: "cannot decode"},
		{in: "8200f6 00", bad: "trailing"},
		{in: "8302616161 61 00", bad: "trailing"},
		{in: "8200c001", bad: "tags"},
		{in: "82 f6 00", bad: "cannot decode"},
	}
	for _, tt := range tests {
		raw, err := parseEnvelope(unhex(t, tt.in))
		switch {
		case tt.bad != "":
			var ae *Error
			if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("%s: %x, %v; want a malformed-envelope error containing %q", tt.in, raw, err, tt.bad)
			}
		case tt.code != "":
			var ae *Error
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.Message != tt.message || raw != nil {
				t.Errorf("%s: %x, %v; want *Error %s: %s", tt.in, raw, err, tt.code, tt.message)
			}
		default:
			if err != nil || !bytes.Equal(raw, unhex(t, tt.val)) {
				t.Errorf("%s: % x, %v; want % s", tt.in, raw, err, tt.val)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Actor calls through a fake host (the imports' stand-ins in sdk_other.go)

// fakeHost answers the actor-call imports from Go: call and await run
// fn, send queues the call.
type fakeHost struct {
	id      string
	fn      func(target Handle, method string, args []any) []byte // returns an envelope
	pending []byte
	// short makes the imports report a length smaller than the envelope,
	// so take must retry with the larger size it returns.
	short   bool
	futures map[int64]func() []byte
	next    int64
	log     []string
	opts    []byte
	class   string
	args    []any
	takes   int
}

func (f *fakeHost) selfID() string { return f.id }

func (f *fakeHost) hold(env []byte) int32 {
	f.pending = env
	if f.short {
		return 1
	}
	return int32(len(env))
}

func decodeArgs(t testing.TB, b []byte) []any {
	var args []any
	if err := Unmarshal(b, &args); err != nil {
		t.Fatalf("args % x: %v", b, err)
	}
	return args
}

var fakeT testing.TB

func (f *fakeHost) call(target []byte, method string, args []byte) int32 {
	var h Handle
	if err := Unmarshal(target, &h); err != nil {
		return f.hold(mustMarshal(fakeT, []any{2, CodeBadHandle, err.Error()}))
	}
	f.log = append(f.log, "call "+h.ID+"."+method)
	return f.hold(f.fn(h, method, decodeArgs(fakeT, args)))
}

func (f *fakeHost) send(target []byte, method string, args []byte) int64 {
	var h Handle
	if err := Unmarshal(target, &h); err != nil {
		return -int64(f.hold(mustMarshal(fakeT, []any{2, CodeBadHandle, err.Error()})))
	}
	f.log = append(f.log, "send "+h.ID+"."+method)
	if h.ID == "dead" {
		return -int64(f.hold(mustMarshal(fakeT, []any{2, CodeActorNotFound, "no actor dead"})))
	}
	a := decodeArgs(fakeT, args)
	f.next++
	f.futures[f.next] = func() []byte { return f.fn(h, method, a) }
	return f.next
}

func (f *fakeHost) await(id int64) int32 {
	f.log = append(f.log, "await")
	run, ok := f.futures[id]
	if !ok {
		return f.hold(mustMarshal(fakeT, []any{2, CodeBadArgs, "unknown future"}))
	}
	delete(f.futures, id)
	return f.hold(run())
}

func (f *fakeHost) spawn(class string, args, opts []byte) int32 {
	f.log = append(f.log, "spawn "+class)
	f.class, f.args, f.opts = class, decodeArgs(fakeT, args), bytes.Clone(opts)
	if class == "" {
		class = "self-class"
	}
	return f.hold(mustMarshal(fakeT, []any{0, Handle{ID: "child-1", Class: class}}))
}

func (f *fakeHost) getActor(namespace, name string) int32 {
	f.log = append(f.log, "get_actor "+namespace+"/"+name)
	if name != "registry" {
		return f.hold(mustMarshal(fakeT, []any{2, CodeActorNotFound, "no actor named " + name}))
	}
	return f.hold(mustMarshal(fakeT, []any{0, Handle{ID: "reg-1", Class: "kv"}}))
}

func (f *fakeHost) kill(target []byte) int32 {
	var h Handle
	if err := Unmarshal(target, &h); err != nil {
		return f.hold(mustMarshal(fakeT, []any{2, CodeBadHandle, err.Error()}))
	}
	f.log = append(f.log, "kill "+h.ID)
	if h.ID == "dead" {
		return f.hold(mustMarshal(fakeT, []any{2, CodeActorNotFound, "no actor dead"}))
	}
	return f.hold(mustMarshal(fakeT, []any{0, nil}))
}

func (f *fakeHost) take(buf []byte) int32 {
	f.takes++
	if len(buf) < len(f.pending) {
		return -int32(len(f.pending))
	}
	n := copy(buf, f.pending)
	f.pending = nil
	return int32(n)
}

// withFakeHost installs a fake host whose calls are answered by fn.
func withFakeHost(t *testing.T, fn func(target Handle, method string, args []any) []byte) *fakeHost {
	f := &fakeHost{id: "me-1", fn: fn, futures: map[int64]func() []byte{}}
	localHost, fakeT = f, t
	t.Cleanup(func() { localHost, fakeT = nil, nil })
	return f
}

// echoActors answers "echo" with its arguments ([1, args] for several),
// "fail" with an application error, "big" with a large value.
func echoActors(t testing.TB) func(Handle, string, []any) []byte {
	return func(h Handle, method string, args []any) []byte {
		switch method {
		case "echo":
			if len(args) == 1 {
				return mustMarshal(t, []any{0, args[0]})
			}
			return mustMarshal(t, []any{1, args})
		case "fail":
			return mustMarshal(t, []any{2, "insufficient_funds", "balance 3 < 5"})
		case "big":
			return mustMarshal(t, []any{0, strings.Repeat("x", 100000)})
		case "whoami":
			return mustMarshal(t, []any{0, h})
		}
		return mustMarshal(t, []any{2, CodeMethodNotFound, "no method " + method})
	}
}

func TestCallWithoutHost(t *testing.T) {
	if localHost != nil {
		t.Fatal("a fake host is installed")
	}
	h := Handle{ID: "x"}
	_, err := h.Call("m")
	if !IsCode(err, codeUnavailable) {
		t.Fatalf("Call: %v", err)
	}
	if _, err := h.Send("m"); !IsCode(err, codeUnavailable) {
		t.Fatalf("Send: %v", err)
	}
	if _, err := Spawn("c", SpawnOptions{}); !IsCode(err, codeUnavailable) {
		t.Fatalf("Spawn: %v", err)
	}
	if _, err := GetActor("", "n"); !IsCode(err, codeUnavailable) {
		t.Fatalf("GetActor: %v", err)
	}
	if err := Kill(h); !IsCode(err, codeUnavailable) {
		t.Fatalf("Kill: %v", err)
	}
	if Self() != (Handle{}) {
		t.Fatalf("Self() = %v outside a guest", Self())
	}
}

func TestCall(t *testing.T) {
	f := withFakeHost(t, echoActors(t))
	peer := Handle{ID: "peer-1", Class: "echo"}
	raw, err := peer.Call("echo", int64(5), "s", peer, Raw{0x18, 0x07})
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	if err := raw.Decode(&got); err != nil || !reflect.DeepEqual(got, []any{int64(5), "s", peer, int64(7)}) {
		t.Fatalf("echo = %#v, %v", got, err)
	}
	if n, err := CallAs[int](peer, "echo", 42); err != nil || n != 42 {
		t.Fatalf("CallAs[int] = %v, %v", n, err)
	}
	if h, err := CallAs[Handle](peer, "whoami"); err != nil || h != peer {
		t.Fatalf("whoami = %v, %v", h, err)
	}
	if hs, err := CallAs[[]Handle](peer, "echo", []Handle{peer, {ID: "x"}}); err != nil || len(hs) != 2 || hs[1].ID != "x" {
		t.Fatalf("echo []Handle = %v, %v", hs, err)
	}
	// Application errors and host errors arrive as *Error, unchanged.
	_, err = peer.Call("fail")
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != "insufficient_funds" || ae.Message != "balance 3 < 5" {
		t.Fatalf("fail: %v", err)
	}
	if _, err := CallAs[int](peer, "nope"); !IsCode(err, CodeMethodNotFound) {
		t.Fatalf("nope: %v", err)
	}
	// A result that does not fit T.
	if _, err := CallAs[int](peer, "echo", "text"); !IsCode(err, "bad_result") {
		t.Fatalf("CallAs[int] of text: %v", err)
	}
	// A large result grows the take buffer; a host that reports a shorter
	// length makes take retry with the size it says.
	if s, err := CallAs[string](peer, "big"); err != nil || len(s) != 100000 {
		t.Fatalf("big: %d, %v", len(s), err)
	}
	f.short = true
	takeBuf = nil // start again from the smallest buffer
	before := f.takes
	if s, err := CallAs[string](peer, "big"); err != nil || len(s) != 100000 || f.takes != before+2 {
		t.Fatalf("big with a short length: %d, %v (%d takes)", len(s), err, f.takes-before)
	}
	f.short = false
	// Arguments that cannot be encoded, and the zero handle, fail before
	// the host is asked.
	f.log = nil
	if _, err := peer.Call("echo", make(chan int)); !IsCode(err, CodeBadArgs) {
		t.Fatalf("chan argument: %v", err)
	}
	if _, err := (Handle{}).Call("echo"); !IsCode(err, CodeBadHandle) {
		t.Fatalf("zero handle: %v", err)
	}
	if _, err := (Handle{}).Send("echo"); !IsCode(err, CodeBadHandle) {
		t.Fatalf("zero handle: %v", err)
	}
	if err := Kill(Handle{}); !IsCode(err, CodeBadHandle) {
		t.Fatalf("zero handle: %v", err)
	}
	if len(f.log) != 0 {
		t.Fatalf("the host was asked: %v", f.log)
	}
	// Self.
	if s := Self(); s != (Handle{ID: "me-1"}) {
		t.Fatalf("Self() = %v", s)
	}
}

func TestSendAndAwait(t *testing.T) {
	f := withFakeHost(t, echoActors(t))
	peer := Handle{ID: "peer-1"}
	var fs []*Future
	for i := range 5 {
		fu, err := peer.Send("echo", i)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, fu)
	}
	for i := len(fs) - 1; i >= 0; i-- { // any order
		if n, err := Await[int](fs[i]); err != nil || n != i {
			t.Fatalf("future %d = %v, %v", i, n, err)
		}
	}
	// Get twice: the result is kept, the host is asked once.
	awaits := strings.Count(strings.Join(f.log, ","), "await")
	if n, err := Await[int](fs[2]); err != nil || n != 2 {
		t.Fatalf("second Await = %v, %v", n, err)
	}
	if strings.Count(strings.Join(f.log, ","), "await") != awaits {
		t.Fatal("a future was awaited twice")
	}
	fu, _ := peer.Send("fail")
	for range 2 {
		if _, err := fu.Get(); !IsCode(err, "insufficient_funds") {
			t.Fatalf("failed future: %v", err)
		}
	}
	// A send the host refuses at once (-n).
	if fu, err := (Handle{ID: "dead"}).Send("echo", 1); fu != nil || !IsCode(err, CodeActorNotFound) {
		t.Fatalf("send to a dead actor: %v, %v", fu, err)
	}
	var nilFuture *Future
	if _, err := nilFuture.Get(); err == nil {
		t.Fatal("Get on a nil future")
	}
	if len(f.futures) != 0 {
		t.Fatalf("futures left: %v", f.futures)
	}
}

func TestSpawnGetActorKill(t *testing.T) {
	f := withFakeHost(t, echoActors(t))
	h, err := Spawn("counter", SpawnOptions{}, int64(10))
	if err != nil || h != (Handle{ID: "child-1", Class: "counter"}) {
		t.Fatalf("Spawn = %v, %v", h, err)
	}
	if f.class != "counter" || !reflect.DeepEqual(f.args, []any{int64(10)}) || f.opts != nil {
		t.Fatalf("spawn import got %q %v % x", f.class, f.args, f.opts)
	}
	// Every option, as a map of the non-zero keys.
	opts := SpawnOptions{Name: "n", Namespace: "ns", Detached: true, GetIfExists: true,
		MaxRestarts: 3, MemoryPages: 256, CallTimeoutMS: 1500}
	if h, err = Spawn("", opts); err != nil || h.Class != "self-class" {
		t.Fatalf("Spawn own class = %v, %v", h, err)
	}
	var m map[string]any
	if err := Unmarshal(f.opts, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "n", "namespace": "ns", "detached": true, "get_if_exists": true,
		"max_restarts": int64(3), "memory_pages": int64(256), "call_timeout_ms": int64(1500)}
	if f.class != "" || len(f.args) != 0 || !reflect.DeepEqual(m, want) {
		t.Fatalf("spawn import got %q %v %v", f.class, f.args, m)
	}
	if _, err := Spawn("c", SpawnOptions{MaxRestarts: -1, Name: "only"}); err != nil {
		t.Fatal(err)
	}
	var m2 map[string]any
	if err := Unmarshal(f.opts, &m2); err != nil || !reflect.DeepEqual(m2, map[string]any{"name": "only", "max_restarts": int64(-1)}) {
		t.Fatalf("partial options %v, %v", m2, err)
	}
	if _, err := Spawn("c", SpawnOptions{}, make(chan int)); !IsCode(err, CodeBadArgs) {
		t.Fatalf("bad constructor args: %v", err)
	}

	if h, err := GetActor("", "registry"); err != nil || h != (Handle{ID: "reg-1", Class: "kv"}) {
		t.Fatalf("GetActor = %v, %v", h, err)
	}
	if _, err := GetActor("ns", "nobody"); !IsCode(err, CodeActorNotFound) {
		t.Fatalf("GetActor(nobody): %v", err)
	}
	if err := Kill(Handle{ID: "child-1"}); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := Kill(Handle{ID: "dead"}); !IsCode(err, CodeActorNotFound) {
		t.Fatalf("Kill(dead): %v", err)
	}
	if got := strings.Join(f.log, ","); got != "spawn counter,spawn ,spawn c,get_actor /registry,get_actor ns/nobody,kill child-1,kill dead" {
		t.Fatalf("imports %s", got)
	}
}

func TestSpawnResultNotAHandle(t *testing.T) {
	localHost = &badSpawnHost{withFakeHost(t, echoActors(t))}
	if _, err := Spawn("c", SpawnOptions{}); err == nil || !strings.Contains(err.Error(), "not an actor handle") {
		t.Fatalf("Spawn with a bad result: %v", err)
	}
}

type badSpawnHost struct{ *fakeHost }

func (b *badSpawnHost) spawn(class string, args, opts []byte) int32 {
	return b.hold(mustMarshal(fakeT, []any{0, "not a handle"}))
}

func TestIsCode(t *testing.T) {
	err := error(&Error{Code: CodeDeadlock, Message: "a -> a"})
	if !IsCode(err, CodeDeadlock) || IsCode(err, CodeQuota) || IsCode(errors.New(CodeDeadlock), CodeDeadlock) {
		t.Fatal("IsCode")
	}
	if !IsCode(errors.Join(errors.New("x"), err), CodeDeadlock) {
		t.Fatal("IsCode of a wrapped error")
	}
}
