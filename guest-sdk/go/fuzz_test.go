package wactor

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// fuzzTarget exercises the reflect-based decoding paths.
type fuzzTarget struct {
	I  int64            `cbor:"i"`
	U  uint8            `cbor:"u"`
	F  float32          `cbor:"f"`
	S  string           `cbor:"s"`
	B  []byte           `cbor:"b"`
	A  []any            `cbor:"a"`
	M  map[string]int16 `cbor:"m"`
	K  map[any]string   `cbor:"k"`
	P  *fuzzTarget      `cbor:"p"`
	X  [2]int           `cbor:"x"`
	H  [2]byte          `cbor:"h"`
	Ls [][]string       `cbor:"ls"`
	Y  any              `cbor:"y"`
	Hd Handle           `cbor:"hd"`
	Hs []*Handle        `cbor:"hs"`
	R  Raw              `cbor:"r"`
}

// FuzzUnmarshal checks that decoding never panics, and that whatever decodes
// into any re-encodes, decodes again to an equal value and re-encodes to the
// same bytes (the encoding of a decoded value is a fixed point).
func FuzzUnmarshal(f *testing.F) {
	seeds := []string{
		"00", "17", "1818", "1bffffffffffffffff", "3b7fffffffffffffff", "3b8000000000000000",
		"f93c00", "f97e00", "fa7fc00000", "fb3ff199999999999a", "f4", "f5", "f6", "f7",
		"4401020304", "6449455446", "62c3bc", "83010203", "8301820203820405",
		"a201020304", "a26161016162820203", "a1f97e0000", "a1410100",
		"5f4101ff", "9f01ff", "c001", "ff", "1c", "f820", "61ff",
		strings.Repeat("81", 33) + "00", "9a00010000", "5bffffffffffffffff",
		"a561690161750261666103617364616263", // struct-shaped
		"a16170a1617001", "a1617882010261", "a1616b" + "a2010261" + "62" + "6162",
		"d9c73882626131616b", "82d9c7388260608101", "d9c73883606060", "d9c7388160", "da0000c7388260f6",
		"a262686482617862636b6172811819", // {"hd": handle, "r": [25]}
	}
	for _, s := range seeds {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		errAny := Unmarshal(data, &v)

		// Skipping accepts exactly what decoding into any accepts (apart
		// from map keys that any cannot hold) and ends at the same place.
		var d decoder
		d.reset(data)
		errSkip := d.skip()
		if errSkip == nil && d.off != len(data) {
			errSkip = errTrailing
		}
		if errAny == nil && errSkip != nil {
			t.Fatalf("any decoded but skip failed: %v", errSkip)
		}

		// Typed targets must not panic either.
		var ft fuzzTarget
		_ = Unmarshal(data, &ft)
		var ints []int32
		_ = Unmarshal(data, &ints)
		var m map[string]any
		_ = Unmarshal(data, &m)
		var i8 int8
		_ = Unmarshal(data, &i8)
		var arr [3]uint16
		_ = Unmarshal(data, &arr)
		var h Handle
		errHandle := Unmarshal(data, &h)
		if errHandle == nil && errAny != nil {
			t.Fatalf("decoded a handle but not into any: %v", errAny)
		}
		// Raw accepts exactly what skipping accepts, and keeps the bytes.
		var r Raw
		errRaw := Unmarshal(data, &r)
		if (errRaw == nil) != (errSkip == nil) || errRaw == nil && !bytes.Equal(r, data) {
			t.Fatalf("Raw: %v (skip: %v), % x", errRaw, errSkip, r)
		}
		if errRaw == nil {
			if b, err := Marshal(r); err != nil || !bytes.Equal(b, data) {
				t.Fatalf("Raw re-encodes as % x, %v", b, err)
			}
		}

		if errAny != nil {
			return
		}
		b1, err := Marshal(v)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", v, err)
		}
		var v2 any
		if err := Unmarshal(b1, &v2); err != nil {
			t.Fatalf("decode re-encoding %x: %v", b1, err)
		}
		if !valuesEqual(v, v2) {
			t.Fatalf("round trip changed the value:\n%#v\n%#v", v, v2)
		}
		b2, err := Marshal(v2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("encoding is not a fixed point: %x vs %x (%v)", b1, b2, err)
		}
		// Whatever decodes into any also decodes as a method argument
		// list when wrapped in an array, and echoes back unchanged.
		if len(b1) < 1<<16 {
			args := append([]byte{0x81}, b1...)
			env := echoHandler.Invoke(args)
			want := append([]byte{0x82, 0x00}, b1...)
			if depthOf(v) < MaxDepth && !bytes.Equal(env, want) {
				t.Fatalf("echo %x = %x, want %x", args, env, want)
			}
		}
	})
}

var echoHandler = Method1("fuzz_echo", func(x any) (any, error) { return x, nil })

func depthOf(v any) int {
	d := 0
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	case map[string]any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	case map[any]any:
		for _, e := range x {
			d = max(d, depthOf(e))
		}
		return d + 1
	case Handle:
		return 2 // the tag and its array
	}
	return 0
}
