package abi

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Envelope
		wantErr error
	}{
		{"empty is null", nil, Envelope{Kind: KindValue, Values: []Value{{0xf6}}}, nil},
		{"value 42", []byte{0x82, 0x00, 0x18, 0x2a}, Envelope{Kind: KindValue, Values: []Value{{0x18, 0x2a}}}, nil},
		{"two values", []byte{0x82, 0x01, 0x82, 0x01, 0x02}, Envelope{Kind: KindValues, Values: []Value{{0x01}, {0x02}}}, nil},
		{"error", []byte{0x83, 0x02, 0x61, 'c', 0x61, 'm'}, Envelope{Kind: KindError, Code: "c", Message: "m"}, nil},
		{"garbage", []byte{0xff, 0xff, 0xff, 0xff}, Envelope{}, ErrEnvelope},
		{"not array", []byte{0x01}, Envelope{}, ErrEnvelope},
		{"short array", []byte{0x81, 0x00}, Envelope{}, ErrEnvelope},
		{"unknown kind", []byte{0x82, 0x07, 0x00}, Envelope{}, ErrEnvelope},
		{"value with 3 items", []byte{0x83, 0x00, 0x00, 0x00}, Envelope{}, ErrEnvelope},
		{"error code not text", []byte{0x83, 0x02, 0x01, 0x61, 'm'}, Envelope{}, ErrEnvelope},
		{"indefinite array", []byte{0x9f, 0x00, 0x00, 0xff}, Envelope{}, ErrEnvelope},
		{"truncated", []byte{0x82, 0x00, 0x19, 0x01}, Envelope{}, ErrEnvelope},
		{"trailing bytes", []byte{0x82, 0x00, 0x00, 0x00}, Envelope{}, ErrEnvelope},
		{"tag", []byte{0x82, 0x00, 0xc1, 0x00}, Envelope{}, ErrEnvelope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeEnvelope(tt.in, 0)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeEnvelope_Limits(t *testing.T) {
	deep := bytes.Repeat([]byte{0x81}, MaxDepth+2)
	deep = append(deep, 0x00)
	env := append([]byte{0x82, 0x00}, deep...)
	if _, err := DecodeEnvelope(env, 0); !errors.Is(err, ErrEnvelope) {
		t.Errorf("nesting %d: err = %v", MaxDepth+2, err)
	}
	big := append([]byte{0x82, 0x00, 0x9a, 0x00, 0x01, 0x00, 0x01}, make([]byte, MaxElements+1)...)
	if _, err := DecodeEnvelope(big, 0); !errors.Is(err, ErrEnvelope) {
		t.Errorf("%d elements: err = %v", MaxElements+1, err)
	}
	if _, err := DecodeEnvelope(make([]byte, 100), 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over byte limit: err = %v", err)
	}
	// A huge claimed length with no data must not allocate it.
	if _, err := DecodeEnvelope([]byte{0x82, 0x00, 0x5b, 0x7f, 0, 0, 0, 0, 0, 0, 0}, 0); !errors.Is(err, ErrEnvelope) {
		t.Errorf("lying length: err = %v", err)
	}
}

func TestEnvelope_RoundTrip(t *testing.T) {
	for _, e := range []Envelope{
		{Kind: KindValue, Values: []Value{MustEncode("hi")}},
		{Kind: KindValues, Values: []Value{MustEncode(1), MustEncode([]int{2, 3})}},
		{Kind: KindError, Code: "insufficient_funds", Message: "balance 3, need 5"},
	} {
		b, err := EncodeEnvelope(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeEnvelope(b, 0)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(e) {
			t.Errorf("round trip: got %v, want %v", got, e)
		}
	}
}

func TestEncodeArgs(t *testing.T) {
	b, err := EncodeArgs([]any{1, "a", Value{0xf5}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x83, 0x01, 0x61, 'a', 0xf5}; !bytes.Equal(b, want) {
		t.Fatalf("got %x, want %x", b, want)
	}
	n, err := ArgCount(b)
	if err != nil || n != 3 {
		t.Fatalf("ArgCount = %d, %v", n, err)
	}
	if _, err := EncodeArgs([]any{make(chan int)}); !errors.Is(err, ErrEncode) {
		t.Fatalf("channel: err = %v", err)
	}
	if _, err := ArgCount([]byte{0x01}); err == nil {
		t.Fatal("ArgCount accepted a non-array")
	}
}

func TestValue_Decode(t *testing.T) {
	var m map[string]any
	if err := MustEncode(map[string]int{"a": 1}).Decode(&m); err != nil || m["a"] != int64(1) {
		t.Fatalf("map: %v %v", m, err)
	}
	var s string
	if err := (Value{0xff}).Decode(&s); !errors.Is(err, ErrMalformed) {
		t.Fatalf("malformed: %v", err)
	}
	if got := MustEncode([]int{1, 2}).String(); got != "[1, 2]" {
		t.Fatalf("String = %q", got)
	}
}

func TestDecodeManifest(t *testing.T) {
	ok := &Manifest{ABI: 1, Name: "c", Methods: []MethodSpec{{Name: "get", Params: []string{}}, {Name: "pair", Params: []string{"int", "int"}, Returns: 2}}}
	tests := []struct {
		name    string
		m       any
		wantErr bool
	}{
		{"ok", ok, false},
		{"wrong abi", &Manifest{ABI: 2}, true},
		{"bad type", &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "f", Params: []string{"widget"}}}}, true},
		{"reserved name", &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "wactor_x"}}}, true},
		{"duplicate", &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "f"}, {Name: "f"}}}, true},
		{"returns out of range", &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "f", Returns: 65}}}, true},
		{"not a map", []int{1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeManifest(MustEncode(tt.m))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrManifest) {
				t.Fatalf("err %v does not wrap ErrManifest", err)
			}
		})
	}
	m, _ := DecodeManifest(MustEncode(ok))
	if !m.Methods[1].CheckArity(2) || m.Methods[1].CheckArity(1) || m.Methods[1].DefaultReturns() != 2 || m.Methods[0].DefaultReturns() != 1 {
		t.Fatal("arity/returns helpers disagree with the manifest")
	}
}

func TestIsReservedExport(t *testing.T) {
	for name, want := range map[string]bool{"_initialize": true, "wactor_alloc": true, "incr": false, "wactorx": false} {
		if IsReservedExport(name) != want {
			t.Errorf("IsReservedExport(%q) != %v", name, want)
		}
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range [][]byte{{0x82, 0x00, 0x18, 0x2a}, {0x82, 0x01, 0x82, 0x01, 0x02}, {0x83, 0x02, 0x61, 'c', 0x61, 'm'}, {0x82, 0x00, 0xa1, 0x61, 'k', 0x80}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := DecodeEnvelope(b, 1<<16)
		if err != nil {
			return
		}
		out, err := EncodeEnvelope(env)
		if err != nil {
			t.Fatalf("decoded envelope does not re-encode: %v", err)
		}
		again, err := DecodeEnvelope(out, 1<<16)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(env) {
			t.Fatalf("re-encoded envelope differs: %v vs %v (%v)", again, env, err)
		}
	})
}

func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(MustEncode(&Manifest{ABI: 1, Methods: []MethodSpec{{Name: "get"}}})))
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err != nil {
			return
		}
		if _, err := EncodeManifest(m); err != nil {
			t.Fatalf("decoded manifest does not encode: %v", err)
		}
	})
}

func FuzzValueInterface(f *testing.F) {
	f.Add([]byte{0x83, 0x01, 0x61, 'a', 0xf5})
	f.Add([]byte{0xa1, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Value(b).Interface()
		if err != nil {
			return
		}
		if _, err := Encode(v); err != nil {
			t.Fatalf("decoded value %#v does not re-encode: %v", v, err)
		}
	})
}

// TestEncodeArgs_FastPaths: the hand-written scalar encodings match the
// reflection-based encoder byte for byte.
func TestEncodeArgs_FastPaths(t *testing.T) {
	for _, v := range []any{0, 1, 23, 24, 255, 256, 65535, 65536, -1, -24, -25, -256, -257, int64(-1 << 63), int64(1<<63 - 1),
		int32(-5), uint64(1 << 63), "", "hé", true, false, nil} {
		got, err := EncodeArgs([]any{v})
		if err != nil {
			t.Fatal(err)
		}
		want, err := encMode.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[1:], want) {
			t.Errorf("%#v: fast path %x, encoder %x", v, got[1:], want)
		}
	}
}

func FuzzEncodeArgs_Int(f *testing.F) {
	f.Add(int64(0))
	f.Add(int64(-1 << 63))
	f.Fuzz(func(t *testing.T, v int64) {
		got, _ := EncodeArgs([]any{v})
		want, _ := encMode.Marshal(v)
		if !bytes.Equal(got[1:], want) {
			t.Fatalf("%d: fast path %x, encoder %x", v, got[1:], want)
		}
	})
}

func TestHandle(t *testing.T) {
	h := Handle{ID: "a1", Class: "sha256:x"}
	b := MustEncode(h)
	if b[0] != 0xd9 || b[1] != 0xc7 || b[2] != 0x38 { // tag 51000
		t.Fatalf("handle encoding %x does not start with tag 51000", b)
	}
	if err := Validate(b); err != nil {
		t.Fatalf("Validate(handle): %v", err)
	}
	got, err := DecodeHandle(b)
	if err != nil || got.ID != h.ID || got.Class != h.Class {
		t.Fatalf("DecodeHandle = %+v, %v", got, err)
	}
	var x any
	if err := MustEncode([]any{h}).Decode(&x); err != nil {
		t.Fatal(err)
	}
	if hs, ok := x.([]any); !ok || hs[0] != h {
		t.Fatalf("handle in any = %#v", x)
	}
	for name, bad := range map[string][]byte{
		"other tag":      {0xc1, 0x00},
		"tag over int":   {0xd9, 0xc7, 0x38, 0x01},
		"one element":    {0xd9, 0xc7, 0x38, 0x81, 0x61, 'a'},
		"non-text ID":    {0xd9, 0xc7, 0x38, 0x82, 0x01, 0x61, 'a'},
		"empty ID":       {0xd9, 0xc7, 0x38, 0x82, 0x60, 0x60},
		"truncated":      {0xd9, 0xc7, 0x38, 0x82, 0x61},
		"not a handle":   {0x01},
		"handle trailer": append(append([]byte{}, b...), 0x00),
	} {
		if _, err := DecodeHandle(bad); err == nil {
			t.Errorf("%s: DecodeHandle accepted %x", name, bad)
		}
	}
}

func FuzzDecodeHandle(f *testing.F) {
	f.Add([]byte(MustEncode(Handle{ID: "a", Class: "b"})))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHandle(b)
		if err != nil {
			return
		}
		if again, err := DecodeHandle(MustEncode(h)); err != nil || again != h {
			t.Fatalf("round trip: %+v, %v", again, err)
		}
	})
}

func TestAppendHead(t *testing.T) {
	for _, tc := range []struct {
		major byte
		n     uint64
		want  []byte
	}{
		{0, 23, []byte{0x17}},
		{1, 24, []byte{0x38, 24}},
		{3, 256, []byte{0x79, 0x01, 0x00}},
		{6, TagActorHandle, []byte{0xd9, 0xc7, 0x38}},
		{4, 1 << 32, []byte{0x9b, 0, 0, 0, 1, 0, 0, 0, 0}},
	} {
		if got := AppendHead(nil, tc.major, tc.n); !bytes.Equal(got, tc.want) {
			t.Errorf("AppendHead(%d, %d) = %x, want %x", tc.major, tc.n, got, tc.want)
		}
	}
	if got := AppendText(nil, "hé"); !bytes.Equal(got, MustEncode("hé")) {
		t.Errorf("AppendText = %x", got)
	}
}
