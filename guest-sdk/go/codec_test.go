package wactor

import (
	"bytes"
	"encoding/hex"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 8949 appendix A vectors (and a few more), decoded into any.
func TestDecodeAny(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		in   string
		want any
	}{
		{"00", int64(0)},
		{"01", int64(1)},
		{"17", int64(23)},
		{"1818", int64(24)},
		{"1903e8", int64(1000)},
		{"1a000f4240", int64(1000000)},
		{"1b000000e8d4a51000", int64(1000000000000)},
		{"1b7fffffffffffffff", int64(math.MaxInt64)},
		{"1b8000000000000000", uint64(1 << 63)},
		{"1bffffffffffffffff", uint64(math.MaxUint64)},
		{"20", int64(-1)},
		{"29", int64(-10)},
		{"3863", int64(-100)},
		{"3903e7", int64(-1000)},
		{"3b7fffffffffffffff", int64(math.MinInt64)},
		{"1800", int64(0)}, // not in shortest form: accepted
		{"f90000", 0.0},
		{"f98000", math.Copysign(0, -1)},
		{"f93c00", 1.0},
		{"fb3ff199999999999a", 1.1},
		{"f93e00", 1.5},
		{"f97bff", 65504.0},
		{"fa47c35000", 100000.0},
		{"fa7f7fffff", 3.4028234663852886e+38},
		{"fb7e37e43c8800759c", 1.0e+300},
		{"f90001", 5.960464477539063e-8},
		{"f90400", 0.00006103515625},
		{"f9c400", -4.0},
		{"fbc010666666666666", -4.1},
		{"f97c00", math.Inf(1)},
		{"f9fc00", math.Inf(-1)},
		{"f97e00", nan},
		{"fa7fc00000", nan},
		{"fb7ff8000000000000", nan},
		{"f4", false},
		{"f5", true},
		{"f6", nil},
		{"f7", nil},
		{"40", []byte{}},
		{"4401020304", []byte{1, 2, 3, 4}},
		{"60", ""},
		{"6161", "a"},
		{"6449455446", "IETF"},
		{"62225c", "\"\\"},
		{"62c3bc", "ü"},
		{"63e6b0b4", "水"},
		{"64f0908591", "𐅑"},
		{"80", []any{}},
		{"83010203", []any{int64(1), int64(2), int64(3)}},
		{"8301820203820405", []any{int64(1), []any{int64(2), int64(3)}, []any{int64(4), int64(5)}}},
		{"a0", map[string]any{}},
		{"a201020304", map[any]any{int64(1): int64(2), int64(3): int64(4)}},
		{"a26161016162820203", map[string]any{"a": int64(1), "b": []any{int64(2), int64(3)}}},
		{"826161a161626163", []any{"a", map[string]any{"b": "c"}}},
		{"a2616101f502", map[any]any{"a": int64(1), true: int64(2)}},
		{"a1f600", map[any]any{nil: int64(0)}},
	}
	for _, tt := range tests {
		var got any
		if err := Unmarshal(unhex(t, tt.in), &got); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !valuesEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat("81", MaxDepth+1) + "00"
	tests := []struct {
		name, in, err string
	}{
		{"empty", "", "unexpected end"},
		{"truncated head", "1903", "unexpected end"},
		{"truncated text", "6261", "exceeds the remaining"},
		{"truncated array", "8201", "exceeds the remaining"},
		{"truncated nested", "820181", "exceeds the remaining"},
		{"truncated nested head", "820119", "unexpected end"},
		{"indefinite bytes", "5f4101ff", "indefinite"},
		{"indefinite text", "7f6161ff", "indefinite"},
		{"indefinite array", "9f01ff", "indefinite"},
		{"indefinite map", "bf616101ff", "indefinite"},
		{"break", "ff", "break"},
		{"tag 0", "c074323031332d30332d32315432303a30343a30305a", "tags"},
		{"tag 51000 without an array", "d9c73800", "actor handle"},
		{"tag 51001", "d9c73980", "tags"},
		{"tag in array", "81c101", "tags"},
		{"reserved ai 28", "1c", "reserved"},
		{"reserved ai 30", "7e", "reserved"},
		{"simple 0", "e0", "simple"},
		{"simple 32", "f820", "simple"},
		{"reserved float width", "fc", "reserved"},
		{"invalid utf8", "61ff", "UTF-8"},
		{"surrogate utf8", "63eda080", "UTF-8"},
		{"too deep", deep, "nesting"},
		{"too many", "9a00010001" + strings.Repeat("00", 65537), "65536"},
		{"too many pairs", "ba00010001" + strings.Repeat("00", 2*65537), "65536"},
		{"count beyond data", "9a00010000", "exceeds the remaining"},
		{"map count beyond data", "a30102", "exceeds the remaining"},
		{"huge byte string", "5bffffffffffffffff", "exceeds the remaining"},
		{"huge text", "7a7fffffff61", "exceeds the remaining"},
		{"trailing", "0102", "trailing"},
		{"negative beyond int64", "3b8000000000000000", "overflows int64"},
		{"bytes map key", "a1410100", "map keys"},
		{"array map key", "a1800000", "map keys"},
		{"NaN map key", "a1f97e0000", "NaN"},
	}
	for _, tt := range tests {
		var v any
		err := Unmarshal(unhex(t, tt.in), &v)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s (%s): error %v, want one containing %q", tt.name, tt.in, err, tt.err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	ok := strings.Repeat("81", MaxDepth) + "00"
	var v any
	if err := Unmarshal(unhex(t, ok), &v); err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	b, err := Marshal(v)
	if err != nil {
		t.Fatalf("re-encode depth %d: %v", MaxDepth, err)
	}
	if hex.EncodeToString(b) != ok {
		t.Fatalf("re-encoded %x", b)
	}
	// One more level fails both ways.
	if _, err := Marshal([]any{v}); err == nil || !strings.Contains(err.Error(), "nesting") {
		t.Fatalf("Marshal depth %d: %v", MaxDepth+1, err)
	}
	var s struct{ A any }
	if err := Unmarshal(unhex(t, "a16141"+strings.Repeat("81", MaxDepth)+"00"), &s); err == nil {
		t.Fatal("struct holding depth 33 decoded")
	}
	// Skipped values are checked too.
	if err := Unmarshal(unhex(t, "a1617a"+strings.Repeat("81", MaxDepth)+"00"), &s); err == nil {
		t.Fatal("skipped value of depth 33 accepted")
	}
}

func TestElementLimit(t *testing.T) {
	arr := make([]any, MaxElements)
	for i := range arr {
		arr[i] = int64(0)
	}
	b, err := Marshal(arr)
	if err != nil {
		t.Fatal(err)
	}
	var back []int8
	if err := Unmarshal(b, &back); err != nil || len(back) != MaxElements {
		t.Fatalf("decode %d elements: %v (%d)", MaxElements, err, len(back))
	}
	if _, err := Marshal(append(arr, int64(0))); err == nil {
		t.Fatal("Marshal of 65537 elements succeeded")
	}
	m := make(map[string]any, MaxElements+1)
	for i := range MaxElements + 1 {
		m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+hex.EncodeToString([]byte{byte(i >> 16), byte(i >> 8), byte(i)})] = true
	}
	if _, err := Marshal(m); err == nil {
		t.Fatal("Marshal of 65537 pairs succeeded")
	}
}

// TestHostileAllocation checks that lengths that the input cannot back are
// rejected before anything is allocated for them.
func TestHostileAllocation(t *testing.T) {
	inputs := []string{
		"9a00010000",               // array of 65536, no elements
		"9b00000000ffffffff",       // array of 2^32-1
		"ba00010000",               // map of 65536 pairs
		"5affffffff",               // byte string of 4 GiB
		"7b7fffffffffffffff",       // text of 2^63-1 bytes
		"81" + "9a00010000",        // nested
		"a1616b" + "9a00010000",    // in a struct field
		"a1617a" + "9a00010000",    // in a skipped field
		"82" + "00" + "9a0000ffff", // 65535 claimed, 0 present
	}
	var big struct {
		K [][64]int64
	}
	for _, in := range inputs {
		b := unhex(t, in)
		for _, target := range []any{new(any), new([]any), new([]int64), new([][64]int64), &big, new(map[string]any)} {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := Unmarshal(b, target)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Errorf("%s into %T: no error", in, target)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
				t.Errorf("%s into %T: allocated %d bytes", in, target, d)
			}
		}
	}
}

func TestIntegerOverflow(t *testing.T) {
	enc := func(v any) []byte {
		b, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		in     any
		target any
		ok     bool
	}{
		{int64(127), new(int8), true},
		{int64(128), new(int8), false},
		{int64(-128), new(int8), true},
		{int64(-129), new(int8), false},
		{int64(255), new(uint8), true},
		{int64(256), new(uint8), false},
		{int64(-1), new(uint8), false},
		{int64(-1), new(uint), false},
		{int64(-1), new(uint64), false},
		{int64(math.MaxInt16 + 1), new(int16), false},
		{int64(math.MaxUint16 + 1), new(uint16), false},
		{int64(math.MaxInt32), new(int32), true},
		{int64(math.MaxInt32 + 1), new(int32), false},
		{int64(math.MinInt32 - 1), new(int32), false},
		{int64(math.MaxUint32 + 1), new(uint32), false},
		{uint64(math.MaxInt64 + 1), new(int64), false},
		{uint64(math.MaxInt64 + 1), new(int), false},
		{uint64(math.MaxUint64), new(uint64), true},
		{int64(math.MinInt64), new(int64), true},
		{1.5, new(int64), false},
		{3.0, new(int64), true},
		{-3.0, new(int8), true},
		{-129.0, new(int8), false},
		{math.Inf(1), new(int64), false},
		{math.NaN(), new(int64), false},
		{1e19, new(int64), false},
		{1e19, new(uint64), true},
		{-1.0, new(uint64), false},
		{1e300, new(float32), false},
		{math.Inf(1), new(float32), true},
		{int64(7), new(float64), true},
		{int64(7), new(float32), true},
		{int64(300), new(namedInt8), false},
		{int64(100), new(namedInt8), true},
		{"x", new(int64), false},
		{true, new(int64), false},
		{nil, new(int64), false},
		{int64(1), new(string), false},
		{int64(1), new(bool), false},
		{[]byte{1}, new(string), false},
		{"x", new([]byte), false},
	}
	for _, tt := range tests {
		err := Unmarshal(enc(tt.in), tt.target)
		if (err == nil) != tt.ok {
			t.Errorf("%#v into %T: err %v, want ok=%v", tt.in, tt.target, err, tt.ok)
		}
	}
	// Reflect-path targets get the same checks.
	var s struct{ A int8 }
	if err := Unmarshal(enc(map[string]any{"A": int64(200)}), &s); err == nil || !strings.Contains(err.Error(), "overflows int8") {
		t.Errorf("struct field overflow: %v", err)
	}
	var arr []uint16
	if err := Unmarshal(enc([]any{int64(1), int64(-1)}), &arr); err == nil {
		t.Errorf("[]uint16 with -1 decoded: %v", arr)
	}
}

type namedInt8 int8

type inner struct {
	N int    `cbor:"n"`
	S string `cbor:"s,omitempty"`
}

type record struct {
	Name    string            `cbor:"name"`
	Age     int               `cbor:"age"`
	Tags    []string          `cbor:"tags"`
	Scores  map[string]int64  `cbor:"scores"`
	Inner   inner             `cbor:"inner"`
	Ptr     *inner            `cbor:"ptr"`
	Skip    string            `cbor:"-"`
	Raw     []byte            `cbor:"raw"`
	Fixed   [3]int            `cbor:"fixed"`
	Hash    [4]byte           `cbor:"hash"`
	Any     any               `cbor:"any"`
	Plain   float32           // named by its Go name
	ByInt   map[int]string    `cbor:"by_int"`
	Nested  [][]int8          `cbor:"nested"`
	Opt     *int              `cbor:"opt,omitempty"`
	Named   namedInt8         `cbor:"named"`
	Set     map[string]bool   `cbor:"set"`
	Structs []inner           `cbor:"structs"`
	IfaceM  map[any]float64   `cbor:"iface_m"`
	Bytes2  map[string][]byte `cbor:"bytes2"`
}

func TestRoundTrip(t *testing.T) {
	seven := 7
	values := []any{
		int64(0), int64(-1), int64(23), int64(24), int64(-24), int64(-25), int64(255), int64(256),
		int64(65535), int64(65536), int64(math.MaxUint32), int64(math.MaxUint32 + 1),
		int64(math.MaxInt64), int64(math.MinInt64),
		int(42), int8(-8), int16(-300), int32(1 << 30),
		uint(7), uint8(200), uint16(60000), uint32(1 << 31), uint64(math.MaxUint64),
		float32(1.5), float64(-2.25), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64,
		true, false,
		"", "hello", "ünïcödé", strings.Repeat("x", 70000),
		[]byte{}, []byte{0, 1, 2}, bytes.Repeat([]byte{9}, 300),
		[]any{}, []any{int64(1), "two", 3.0, nil, []any{true}},
		map[string]any{}, map[string]any{"a": int64(1), "bb": []any{}, "c": map[string]any{"d": nil}},
		map[any]any{int64(1): "x", "y": int64(2), false: 1.5},
		[]string{"a", "b"}, []int64{1, -2, 3}, []int{4, 5}, []float64{0.5},
		map[string]int{"x": 1}, map[string]string{"k": "v"},
		[2]bool{true, false},
		record{
			Name: "Ada", Age: 36, Tags: []string{"x"}, Scores: map[string]int64{"m": 3},
			Inner: inner{N: 1, S: "s"}, Ptr: &inner{N: 2}, Raw: []byte("raw"), Fixed: [3]int{1, 2, 3},
			Hash: [4]byte{1, 2, 3, 4}, Any: map[string]any{"k": []any{int64(1)}}, Plain: 0.25,
			ByInt: map[int]string{1: "one", -2: "minus two"}, Nested: [][]int8{{1}, {}, {-1, 2}},
			Opt: &seven, Named: -3, Set: map[string]bool{"a": true}, Structs: []inner{{N: 5}},
			IfaceM: map[any]float64{"a": 1, int64(2): 2}, Bytes2: map[string][]byte{"b": {1}},
		},
		&inner{N: 9, S: "p"},
	}
	for _, v := range values {
		b, err := Marshal(v)
		if err != nil {
			t.Errorf("Marshal(%#v): %v", v, err)
			continue
		}
		target := reflect.New(reflect.TypeOf(v))
		if err := Unmarshal(b, target.Interface()); err != nil {
			t.Errorf("Unmarshal(%T, %x): %v", v, b, err)
			continue
		}
		if got := target.Elem().Interface(); !reflect.DeepEqual(got, v) {
			t.Errorf("round trip of %T:\n got %#v\nwant %#v", v, got, v)
		}
		// Decoding into any and re-encoding gives the same bytes (except
		// for types whose shape any does not keep: structs keep field
		// order, float32 widens).
		var a any
		if err := Unmarshal(b, &a); err != nil {
			t.Errorf("Unmarshal(any, %x): %v", b, err)
		}
	}
}

func TestEncoding(t *testing.T) {
	var nilPtr *inner
	var nilSlice []int
	var nilMap map[string]int
	tests := []struct {
		in   any
		want string
	}{
		{nil, "f6"},
		{int64(0), "00"},
		{int64(23), "17"},
		{int64(24), "1818"},
		{int64(1000), "1903e8"},
		{int64(-1), "20"},
		{int64(-1000), "3903e7"},
		{int64(math.MinInt64), "3b7fffffffffffffff"},
		{uint64(math.MaxUint64), "1bffffffffffffffff"},
		{1.5, "fb3ff8000000000000"},
		{float32(1.5), "fa3fc00000"},
		{true, "f5"},
		{"IETF", "6449455446"},
		{[]byte{1, 2}, "420102"},
		{[]any{int64(1), []any{}}, "820180"},
		{map[string]any{"b": int64(1), "a": int64(2), "aa": int64(3)}, "a3616102616201626161" + "03"},
		{map[int]string{10: "a", 1: "b", -1: "c"}, "a3016162" + "0a6161" + "206163"},
		{nilPtr, "f6"},
		{nilSlice, "80"},
		{nilMap, "a0"},
		{[]byte(nil), "40"},
		{inner{N: 1}, "a1616e01"},
		{inner{N: 1, S: "x"}, "a2616e01617361" + "78"},
		{[3]byte{1, 2, 3}, "43010203"},
		{struct {
			A int `cbor:"-"`
			B int
			c int
		}{1, 2, 3}, "a1614202"},
	}
	for _, tt := range tests {
		b, err := Marshal(tt.in)
		if err != nil {
			t.Errorf("Marshal(%#v): %v", tt.in, err)
			continue
		}
		if got := hex.EncodeToString(b); got != tt.want {
			t.Errorf("Marshal(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	type cyc struct{ Next *cyc }
	loop := &cyc{}
	loop.Next = loop
	var self any
	selfPtr := &self
	self = selfPtr
	tests := []struct {
		name string
		in   any
		err  string
	}{
		{"invalid utf8", "a\xffb", "UTF-8"},
		{"invalid utf8 key", map[string]any{"\xff": 1}, "UTF-8"},
		{"chan", make(chan int), "cannot encode"},
		{"func", func() {}, "cannot encode"},
		{"complex", complex(1, 2), "cannot encode"},
		{"struct cycle", loop, "nesting"},
		{"pointer cycle", selfPtr, "nesting"},
	}
	for _, tt := range tests {
		_, err := Marshal(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.err)
		}
	}
}

func TestStructDecoding(t *testing.T) {
	// Unknown keys (of any type) are ignored; keys match case-sensitively;
	// fields absent from the input keep their value.
	b, err := Marshal(map[any]any{
		"n": int64(5), "N": int64(6), "s": "x", "zz": []any{map[string]any{"deep": true}},
		int64(7): "int key", "S": "y",
	})
	if err != nil {
		t.Fatal(err)
	}
	v := inner{S: "old"}
	if err := Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v != (inner{N: 5, S: "x"}) {
		t.Fatalf("got %+v", v)
	}
	// null into pointers, slices, maps, interfaces; not into scalars.
	var r record
	r.Ptr = &inner{}
	r.Tags = []string{"x"}
	b, _ = Marshal(map[string]any{"ptr": nil, "tags": nil, "any": nil, "scores": nil})
	if err := Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Ptr != nil || r.Tags != nil || r.Any != nil || r.Scores != nil {
		t.Fatalf("nulls not applied: %+v", r)
	}
	b, _ = Marshal(map[string]any{"age": nil})
	if err := Unmarshal(b, &r); err == nil {
		t.Fatal("null decoded into int")
	}
	// Wrong lengths for arrays.
	b, _ = Marshal(map[string]any{"fixed": []any{int64(1)}})
	if err := Unmarshal(b, &r); err == nil {
		t.Fatal("short array decoded into [3]int")
	}
	b, _ = Marshal(map[string]any{"hash": []byte{1, 2}})
	if err := Unmarshal(b, &r); err == nil {
		t.Fatal("2 bytes decoded into [4]byte")
	}
	// A byte array also decodes from an array of small integers.
	b, _ = Marshal(map[string]any{"hash": []any{int64(1), int64(2), int64(3), int64(4)}})
	if err := Unmarshal(b, &r); err != nil || r.Hash != [4]byte{1, 2, 3, 4} {
		t.Fatalf("hash from array: %v %v", err, r.Hash)
	}
	// Not a map.
	if err := Unmarshal([]byte{0x80}, &r); err == nil {
		t.Fatal("array decoded into struct")
	}
}

func TestUnmarshalTargets(t *testing.T) {
	if err := Unmarshal([]byte{0x01}, nil); err == nil {
		t.Error("nil target accepted")
	}
	var x int
	if err := Unmarshal([]byte{0x01}, x); err == nil {
		t.Error("non-pointer target accepted")
	}
	var np *int
	if err := Unmarshal([]byte{0x01}, np); err == nil {
		t.Error("nil pointer target accepted")
	}
	var fs fmtStringer
	if err := Unmarshal([]byte{0x01}, &fs); err == nil {
		t.Error("non-empty interface target accepted")
	}
	var pp **int
	if err := Unmarshal([]byte{0x05}, &pp); err != nil || **pp != 5 {
		t.Errorf("**int: %v", err)
	}
}

type fmtStringer interface{ String() string }

func TestHalfFloats(t *testing.T) {
	// Every half-precision value converts exactly: check against float32
	// arithmetic for all 65536 bit patterns.
	for h := range 1 << 16 {
		got := halfToFloat64(uint16(h))
		sign := 1.0
		if h&0x8000 != 0 {
			sign = -1
		}
		exp := (h >> 10) & 0x1f
		mant := float64(h & 0x3ff)
		var want float64
		switch exp {
		case 0:
			want = sign * mant * math.Pow(2, -24)
		case 31:
			if mant == 0 {
				want = math.Inf(int(sign))
			} else {
				want = math.NaN()
			}
		default:
			want = sign * (1 + mant/1024) * math.Pow(2, float64(exp-15))
		}
		if math.IsNaN(want) {
			if !math.IsNaN(got) {
				t.Fatalf("%04x: got %v, want NaN", h, got)
			}
			continue
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%04x: got %v, want %v", h, got, want)
		}
	}
}

func TestDeterministicMaps(t *testing.T) {
	m := map[string]any{}
	for i := range 100 {
		m[strings.Repeat("z", i%5)+string(rune('a'+i%26))+string(rune('A'+i/26))] = int64(i)
	}
	first, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		b, _ := Marshal(m)
		if !bytes.Equal(b, first) {
			t.Fatal("map encoding is not deterministic")
		}
	}
	// Keys come out sorted by their encoding: shorter first, then bytewise.
	var d decoder
	d.reset(first)
	n, _ := d.mapHead("")
	prev := ""
	for i := range n {
		k, _ := d.string()
		if i > 0 && compareTextKeys(prev, k) >= 0 {
			t.Fatalf("key %q after %q", k, prev)
		}
		prev = k
		if err := d.skip(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSortFunc(t *testing.T) {
	for n := range 50 {
		s := make([]int, n)
		for i := range s {
			s[i] = (i * 7919) % 31
		}
		sortFunc(s, func(a, b int) int { return a - b })
		for i := 1; i < n; i++ {
			if s[i-1] > s[i] {
				t.Fatalf("n=%d: not sorted: %v", n, s)
			}
		}
	}
}

// valuesEqual compares decoded values, treating NaN as equal to NaN and
// comparing floats by bits otherwise.
func valuesEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false
		}
		if x != x && y != y {
			return true
		}
		return math.Float64bits(x) == math.Float64bits(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !valuesEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !valuesEqual(v, w) {
				return false
			}
		}
		return true
	case map[any]any:
		y, ok := b.(map[any]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !valuesEqual(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
