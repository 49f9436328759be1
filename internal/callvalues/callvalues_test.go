package callvalues

import (
	"errors"
	"reflect"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
)

type fut struct {
	id    string
	ready bool
	v     abi.Value
	err   error
}

func (f *fut) Ready() bool                     { return f.ready }
func (f *fut) ID() string                      { return f.id }
func result(f *fut) (abi.Value, error)         { return f.v, f.err }
func mustEncode(t *testing.T, v any) abi.Value { b, err := codec.Encode(v); must(t, err); return b }
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestArgs: arguments without futures encode at once; with futures, once
// they are resolved, their values in place; bounds and failures hold.
func TestArgs(t *testing.T) {
	var plain Args[*fut]
	must(t, plain.Encode([]any{int64(1), "x"}, 1<<10))
	want, _ := codec.EncodeArgs([]any{int64(1), "x"})
	if string(plain.Encoded) != string(want) || !plain.Ready() || plain.Deps() != nil {
		t.Fatalf("plain: %x", plain.Encoded)
	}
	must(t, plain.Resolve(result, 1<<10)) // nothing to do

	f := &fut{id: "f1"}
	var a Args[*fut]
	must(t, a.Encode([]any{int64(1), f}, 1<<10))
	if a.Encoded != nil || a.Ready() || len(a.Deps()) != 2 || a.Deps()[1] != f {
		t.Fatal("with a future: encoded before it resolved")
	}
	f.ready, f.v = true, mustEncode(t, "x")
	if !a.Ready() {
		t.Fatal("not ready once resolved")
	}
	must(t, a.Resolve(result, 1<<10))
	if string(a.Encoded) != string(want) || a.Deps() != nil {
		t.Fatalf("resolved: %x, want %x", a.Encoded, want)
	}

	var failed Args[*fut]
	g := &fut{id: "g", ready: true, err: api.ErrTrap}
	must(t, failed.Encode([]any{g}, 1<<10))
	if err := failed.Resolve(result, 1<<10); !errors.Is(err, api.ErrTrap) || err.Error() != "argument 0 (future g): "+api.ErrTrap.Error() {
		t.Fatalf("failed future: %v", err)
	}

	var bad Args[*fut]
	if err := bad.Encode([]any{(*fut)(nil)}, 1<<10); !errors.Is(err, api.ErrInvalidArgument) {
		t.Fatalf("nil future: %v", err)
	}
	if err := bad.Encode([]any{make([]byte, 100)}, 10); !errors.Is(err, api.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if err := bad.Encode([]any{make([]byte, 100), f}, 10); !errors.Is(err, api.ErrTooLarge) {
		t.Fatalf("too large, with a future: %v", err)
	}
	var grows Args[*fut]
	big := &fut{id: "big", ready: true, v: mustEncode(t, make([]byte, 100))}
	must(t, grows.Encode([]any{big}, 10))
	if err := grows.Resolve(result, 10); !errors.Is(err, api.ErrTooLarge) {
		t.Fatalf("too large once resolved: %v", err)
	}
}

// TestSplitResults: the values of an envelope go to k futures, or the
// call fails with ErrReturnCount before any is set.
func TestSplitResults(t *testing.T) {
	one, two := mustEncode(t, int64(1)), mustEncode(t, int64(2))
	pair := mustEncode(t, []int64{1, 2})
	cases := []struct {
		name string
		env  abi.Envelope
		k    int
		want []abi.Value // nil: ErrReturnCount
	}{
		{"one value", abi.Envelope{Kind: abi.KindValue, Values: []abi.Value{one}}, 1, []abi.Value{one}},
		{"values as one array", abi.Envelope{Kind: abi.KindValues, Values: []abi.Value{one, two}}, 1, []abi.Value{pair}},
		{"values", abi.Envelope{Kind: abi.KindValues, Values: []abi.Value{one, two}}, 2, []abi.Value{one, two}},
		{"an array split", abi.Envelope{Kind: abi.KindValue, Values: []abi.Value{pair}}, 2, []abi.Value{one, two}},
		{"not an array", abi.Envelope{Kind: abi.KindValue, Values: []abi.Value{one}}, 2, nil},
		{"array of the wrong length", abi.Envelope{Kind: abi.KindValue, Values: []abi.Value{pair}}, 3, nil},
		{"too few values", abi.Envelope{Kind: abi.KindValues, Values: []abi.Value{one, two}}, 3, nil},
	}
	for _, tc := range cases {
		got := make([]abi.Value, tc.k)
		set := 0
		err := SplitResults(tc.env, tc.k, "m", func(i int, v abi.Value) { got[i] = v; set++ })
		if tc.want == nil {
			if !errors.Is(err, api.ErrReturnCount) || set != 0 {
				t.Errorf("%s: %v, %d set", tc.name, err, set)
			}
			continue
		}
		if err != nil || set != tc.k {
			t.Errorf("%s: %v, %d set", tc.name, err, set)
			continue
		}
		for i := range got {
			if string(got[i]) != string(tc.want[i]) {
				t.Errorf("%s: value %d = %x, want %x", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

// MarshalCBOR encodes the test future as a reference, as host.Future does.
func (f *fut) MarshalCBOR() ([]byte, error) {
	return abi.AppendText(abi.AppendHead(nil, 6, abi.TagFutureRef), f.id), nil
}

// TestArgs_Nested: futures inside arguments are found (lists, maps,
// pointers, struct fields), waited for, and replaced by their values; the
// call waits while one is unresolved; a value that nests too deep once
// spliced in is refused.
func TestArgs_Nested(t *testing.T) {
	a1 := &fut{id: "a/1", ready: true, v: mustEncode(t, int64(7))}
	a2 := &fut{id: "a/2", v: mustEncode(t, []any{"x", "y"})}
	type s struct {
		F *fut
		G []any
	}
	var args Args[*fut]
	must(t, args.Encode([]any{int64(1), []any{a1, map[string]any{"k": a2}}, &s{F: a1, G: []any{a2}}}, 1<<10))
	if len(args.Deps()) != 3+4 || args.Ready() {
		t.Fatalf("deps %d, ready %v: want a slot per argument plus the 4 nested futures, not ready", len(args.Deps()), args.Ready())
	}
	a2.ready = true
	must(t, args.Resolve(result, 1<<10))
	got, err := codec.Interface(args.Encoded)
	must(t, err)
	want, _ := codec.Interface(mustEncode(t, []any{int64(1), []any{int64(7), map[string]any{"k": []any{"x", "y"}}}, map[string]any{"F": int64(7), "G": []any{[]any{"x", "y"}}}}))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resolved %v, want %v", got, want)
	}
	// A failed nested future fails the arguments.
	boom := errors.New("boom")
	var failed Args[*fut]
	must(t, failed.Encode([]any{[]any{&fut{id: "b/1", ready: true, err: boom}}}, 1<<10))
	if err := failed.Resolve(result, 1<<10); !errors.Is(err, boom) {
		t.Fatalf("failed nested future: %v", err)
	}
	// Too deep once the value is in place.
	deep := any("leaf")
	for range abi.MaxDepth {
		deep = []any{deep}
	}
	var tooDeep Args[*fut]
	must(t, tooDeep.Encode([]any{[]any{&fut{id: "c/1", ready: true, v: mustEncode(t, deep)}}}, 1<<20))
	if err := tooDeep.Resolve(result, 1<<20); !errors.Is(err, api.ErrInvalidArgument) {
		t.Fatalf("too deep: %v, want ErrInvalidArgument", err)
	}
}

// TestArgs_RefBytesInAString: the bytes that start a future reference
// inside a string are not a future: the arguments encode as they are.
func TestArgs_RefBytesInAString(t *testing.T) {
	var args Args[*fut]
	s := string(futureRefHead) + "abc"
	must(t, args.Encode([]any{s, []any{[]byte(s)}}, 1<<10))
	want, _ := codec.EncodeArgs([]any{s, []any{[]byte(s)}})
	if string(args.Encoded) != string(want) || args.Deps() != nil {
		t.Fatalf("encoded %x, deps %d; want %x and none", args.Encoded, len(args.Deps()), want)
	}
}
