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
		{Kind: KindValue, Values: []Value{{0x62, 'h', 'i'}}},
		{Kind: KindValues, Values: []Value{{0x01}, {0x82, 0x02, 0x03}}},
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

func TestDecodeManifest(t *testing.T) {
	ok := &Manifest{ABI: 1, Name: "c", Methods: []MethodSpec{{Name: "get", Params: []string{}}, {Name: "pair", Params: []string{"int", "int"}, Returns: 2}}}
	tests := []struct {
		name    string
		m       *Manifest
		wantErr bool
	}{
		{"ok", ok, false},
		{"wrong abi", &Manifest{ABI: 2}, true},
		{"bad type", &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "f", Params: []string{"widget"}}}}, true},
		{"reserved name", &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "wactor_x"}}}, true},
		{"duplicate", &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "f"}, {Name: "f"}}}, true},
		{"returns out of range", &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "f", Returns: 65}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeManifest(mustEncodeManifest(t, tt.m))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrManifest) {
				t.Fatalf("err %v does not wrap ErrManifest", err)
			}
		})
	}
	if _, err := DecodeManifest([]byte{0x81, 0x01}); !errors.Is(err, ErrManifest) {
		t.Fatalf("not a map: err = %v", err)
	}
	m, _ := DecodeManifest(mustEncodeManifest(t, ok))
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
	f.Add(mustEncodeManifest(f, &Manifest{ABI: 1, Methods: []MethodSpec{{Name: "get"}}}))
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

func TestHandle(t *testing.T) {
	h := Handle{ID: "a1", Class: "sha256:x"}
	b := encodeHandle(h)
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
	f.Add(encodeHandle(Handle{ID: "a", Class: "b"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := DecodeHandle(b)
		if err != nil {
			return
		}
		if again, err := DecodeHandle(encodeHandle(h)); err != nil || again != h {
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
	if got := AppendText(nil, "hé"); !bytes.Equal(got, []byte{0x63, 'h', 0xc3, 0xa9}) {
		t.Errorf("AppendText = %x", got)
	}
}

func mustEncodeManifest(t testing.TB, m *Manifest) []byte {
	t.Helper()
	b, err := EncodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encodeHandle encodes h as the ABI does: tag 51000 around [id, class].
func encodeHandle(h Handle) []byte {
	b := AppendHead(nil, 6, TagActorHandle)
	b = AppendArrayHeader(b, 2)
	return AppendText(AppendText(b, h.ID), h.Class)
}

// TestSkipItem_Handles: a handle's tag and its array are two levels of
// nesting (docs/ABI.md section 2), its array head may take any width, and
// each malformed shape names its rule.
func TestSkipItem_Handles(t *testing.T) {
	h := encodeHandle(Handle{ID: "a", Class: "b"})
	nest := func(levels int) []byte {
		return append(bytes.Repeat([]byte{0x81}, levels), h...)
	}
	if err := Validate(nest(MaxDepth - 2)); err != nil {
		t.Errorf("handle inside %d arrays: %v", MaxDepth-2, err)
	}
	if err := Validate(nest(MaxDepth - 1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("handle inside %d arrays: err = %v", MaxDepth-1, err)
	}
	wide := []byte{0xd9, 0xc7, 0x38, 0x98, 0x02, 0x61, 'a', 0x61, 'b'} // array head in two bytes
	if got, err := DecodeHandle(wide); err != nil || got != (Handle{ID: "a", Class: "b"}) {
		t.Errorf("DecodeHandle(%x) = %+v, %v", wide, got, err)
	}
	for _, tc := range []struct {
		in   []byte
		rule Rule
	}{
		{[]byte{0xd9, 0xc7, 0x38}, RuleTruncated},
		{[]byte{0xd9, 0xc7, 0x38, 0x61, 'a'}, RuleHandle},
		{[]byte{0xd9, 0xc7, 0x38, 0x83, 0x60, 0x60, 0x60}, RuleHandle},
		{[]byte{0xd9, 0xc7, 0x38, 0x82, 0x60, 0x01}, RuleHandle},
		{[]byte{0xd9, 0xc7, 0x38, 0x82, 0x61, 'a'}, RuleTruncated},
		{[]byte{0xd9, 0xc7, 0x38, 0x82, 0x60}, RuleLength},
		{[]byte{0xd9, 0xc7, 0x38, 0x9f, 0x60, 0x60, 0xff}, RuleIndefinite},
		{[]byte{0xc1, 0x00}, RuleTag},
		{[]byte{0xff}, RuleBreak},
		{[]byte{0x5f, 0xff}, RuleIndefinite},
		{[]byte{0x1c}, RuleReserved},
		{[]byte{0x19, 0x01}, RuleTruncated},
		{[]byte{0x62, 'a'}, RuleLength},
		{[]byte{0x61, 0xff}, RuleUTF8},
		{[]byte{0x9a, 0x00, 0x01, 0x00, 0x01}, RuleElements},
		{[]byte{0xf8, 0x10}, RuleSimple},
		{[]byte{0x01, 0x02}, RuleTrailing},
		{nest(MaxDepth + 1), RuleDepth},
	} {
		var se *SyntaxError
		if err := Validate(tc.in); !errors.As(err, &se) || se.Rule != tc.rule || !errors.Is(err, ErrMalformed) {
			t.Errorf("Validate(%x) = %v, want rule %d", tc.in, err, tc.rule)
		}
	}
}

// FuzzItemLen: on any bytes ItemLen stays within them, and on bytes the
// walker accepts it agrees with the walker.
func FuzzItemLen(f *testing.F) {
	f.Add([]byte{0x82, 0x01, 0x61, 'a'})
	f.Add(encodeHandle(Handle{ID: "a", Class: "b"}))
	f.Add([]byte{0x5b, 0x7f, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		n := ItemLen(b)
		if n < 0 || n > len(b) {
			t.Fatalf("ItemLen(%x) = %d", b, n)
		}
		if k, err := SkipItem(b, 0); err == nil && k != n {
			t.Fatalf("SkipItem(%x) = %d, ItemLen %d", b, k, n)
		}
	})
}
