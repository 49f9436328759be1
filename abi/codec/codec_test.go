package codec

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/wactor/wactor/abi"
)

func TestEncodeArgs(t *testing.T) {
	b, err := EncodeArgs([]any{1, "a", abi.Value{0xf5}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x83, 0x01, 0x61, 'a', 0xf5}; !bytes.Equal(b, want) {
		t.Fatalf("got %x, want %x", b, want)
	}
	n, err := abi.ArgCount(b)
	if err != nil || n != 3 {
		t.Fatalf("ArgCount = %d, %v", n, err)
	}
	if _, err := EncodeArgs([]any{make(chan int)}); !errors.Is(err, abi.ErrEncode) {
		t.Fatalf("channel: err = %v", err)
	}
	if _, err := abi.ArgCount([]byte{0x01}); err == nil {
		t.Fatal("ArgCount accepted a non-array")
	}
}

func TestDecode(t *testing.T) {
	var m map[string]any
	if err := Decode(MustEncode(map[string]int{"a": 1}), &m); err != nil || m["a"] != int64(1) {
		t.Fatalf("map: %v %v", m, err)
	}
	var s string
	if err := Decode(abi.Value{0xff}, &s); !errors.Is(err, abi.ErrMalformed) {
		t.Fatalf("malformed: %v", err)
	}
	if got := MustEncode([]int{1, 2}).String(); got != "[1, 2]" {
		t.Fatalf("String = %q", got)
	}
	var x struct {
		N int `cbor:"n"`
	}
	err := Decode(MustEncode(map[string]any{"n": "text"}), &x)
	if err == nil || err.Error() != "abi: field n: UTF-8 text string is not of the expected type" {
		t.Fatalf("type error = %v", err)
	}
}

func FuzzValueInterface(f *testing.F) {
	f.Add([]byte{0x83, 0x01, 0x61, 'a', 0xf5})
	f.Add([]byte{0xa1, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Interface(abi.Value(b))
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

// TestHandle: the codec encodes a Handle as tag 51000 around [id, class],
// which abi.DecodeHandle reads, and decodes the tag back into a Handle.
func TestHandle(t *testing.T) {
	h := abi.Handle{ID: "a1", Class: "sha256:x"}
	b := MustEncode(h)
	if b[0] != 0xd9 || b[1] != 0xc7 || b[2] != 0x38 { // tag 51000
		t.Fatalf("handle encoding %x does not start with tag 51000", b)
	}
	if got, err := abi.DecodeHandle(b); err != nil || got != h {
		t.Fatalf("DecodeHandle = %+v, %v", got, err)
	}
	var x any
	if err := Decode(MustEncode([]any{h}), &x); err != nil {
		t.Fatal(err)
	}
	if hs, ok := x.([]any); !ok || hs[0] != h {
		t.Fatalf("handle in any = %#v", x)
	}
}

// TestManifest_MatchesCodec: abi's hand-written manifest encoder writes what
// the reflection-based encoder writes, and its decoder reads what that one
// reads.
func TestManifest_MatchesCodec(t *testing.T) {
	for _, m := range []*abi.Manifest{
		{ABI: 1},
		{ABI: 1, Name: "c", Doc: "d", Init: &abi.MethodSpec{Params: []string{"int"}},
			Methods: []abi.MethodSpec{{Name: "get", Params: []string{}}, {Name: "pair", Params: []string{"int", "any"}, Variadic: true, Returns: 2, Doc: "x"}}},
	} {
		got, err := abi.EncodeManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		if want := MustEncode(m); !bytes.Equal(got, want) {
			t.Errorf("EncodeManifest(%+v) = %x, codec %x", m, got, want)
		}
	}
}

// FuzzDecodeManifest_MatchesCodec: on any bytes abi.DecodeManifest accepts,
// the reflection-based decoder yields the same manifest.
func FuzzDecodeManifest_MatchesCodec(f *testing.F) {
	seed, _ := abi.EncodeManifest(&abi.Manifest{ABI: 1, Name: "n", Init: &abi.MethodSpec{}, Methods: []abi.MethodSpec{{Name: "get", Params: []string{"int"}, Returns: 2}}})
	f.Add(seed)
	f.Add([]byte(MustEncode(map[string]any{"ABI": 1, "Methods": []any{map[string]any{"NAME": "f", "params": nil}}, "x": []int{1}})))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := abi.DecodeManifest(b)
		if err != nil {
			return
		}
		var want abi.Manifest
		if err := Decode(b, &want); err != nil {
			t.Fatalf("abi accepted %x, codec: %v", b, err)
		}
		if !reflect.DeepEqual(*m, want) {
			t.Fatalf("abi decoded %+v, codec %+v", *m, want)
		}
	})
}

// FuzzDiagnose_MatchesCodec: abi's diagnostic printer agrees with
// fxamacker's on every well-formed ABI value short enough not to be cut.
func FuzzDiagnose_MatchesCodec(f *testing.F) {
	for _, v := range []any{1, -1, uint64(1 << 63), "hé\n\"", []byte{1, 2}, []any{1.5, nil, true}, map[string]any{"k": []int{}},
		abi.Handle{ID: "a", Class: "b"}, float32(0.1), 1e300, 1e-7} {
		f.Add([]byte(MustEncode(v)))
	}
	f.Add([]byte{0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // -2^64
	f.Add([]byte{0xf9, 0x7c, 0x00})                                     // half Infinity
	f.Add([]byte{0xf9, 0x00, 0x01})                                     // smallest half subnormal
	f.Add([]byte{0xf0})                                                 // simple(16)
	f.Fuzz(func(t *testing.T, b []byte) {
		got := abi.Diagnose(b)
		if len(got) > abi.MaxDiagnosticBytes+3 {
			t.Fatalf("Diagnose returned %d bytes", len(got))
		}
		if abi.Validate(b) != nil {
			return
		}
		want, err := cbor.Diagnose(b)
		if err != nil {
			t.Fatalf("abi validated %x, cbor.Diagnose: %v", b, err)
		}
		if len(want) <= abi.MaxDiagnosticBytes && got != want {
			t.Fatalf("Diagnose(%x) = %q, cbor.Diagnose %q", b, got, want)
		}
	})
}

// TestDepth_MatchesWalker: abi's walker and the codec draw the nesting
// limit at the same place for arrays; for a handle the walker counts the tag
// as a level too (docs/ABI.md section 2, as the guest SDK does), so whatever
// it accepts the codec decodes.
func TestDepth_MatchesWalker(t *testing.T) {
	h := MustEncode(abi.Handle{ID: "a", Class: "b"})
	for levels := abi.MaxDepth - 3; levels <= abi.MaxDepth+1; levels++ {
		for _, inner := range [][]byte{{0x01}, {0x80}, h} {
			b := append(bytes.Repeat([]byte{0x81}, levels), inner...)
			var x any
			walkerOK, codecOK := abi.Validate(b) == nil, Decode(b, &x) == nil
			if walkerOK && !codecOK || inner[0] != 0xd9 && walkerOK != codecOK {
				t.Errorf("%d levels around %x: walker accepts %v, codec %v", levels, inner, walkerOK, codecOK)
			}
		}
	}
}
