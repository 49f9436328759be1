package host

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wactor/wactor/abi/codec"
)

// TestFutures_NestedInArguments: futures anywhere in an argument (a list,
// a map, a struct field, a pointer) are replaced by their values before
// the method runs, as whole-argument futures are; one that failed fails
// the call. (Before, they were encoded as empty maps: silent data loss.)
func TestFutures_NestedInArguments(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	a := spawn(t, h, readWasm(t, cCounterPath), Options{}, 0)
	var five []*Future
	for range 5 {
		f, err := a.Call(ctx, "incr", 1) // 1, 2, 3, 4, 5
		if err != nil {
			t.Fatal(err)
		}
		five = append(five, f)
	}
	type pair struct {
		Left  *Future `cbor:"left"`
		Right any     `cbor:"right"`
	}
	for _, tc := range []struct {
		name string
		arg  any
		want any
	}{
		{"a list of 5 futures", five, []any{int64(1), int64(2), int64(3), int64(4), int64(5)}},
		{"a []any mixing futures and values", []any{"x", five[0], []any{five[4]}}, []any{"x", int64(1), []any{int64(5)}}},
		{"a map of futures", map[string]any{"a": five[1], "b": map[string]any{"c": five[2]}}, map[string]any{"a": int64(2), "b": map[string]any{"c": int64(3)}}},
		{"a struct field", pair{Left: five[3], Right: &five[4]}, map[string]any{"left": int64(4), "right": int64(5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := a.Call(ctx, "echo", tc.arg)
			if err != nil {
				t.Fatal(err)
			}
			v, err := f.Get(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := codec.Interface(v)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := codec.Interface(codec.MustEncode(tc.want))
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("echo(%s) = %s, want %s", tc.name, v, codec.MustEncode(tc.want))
			}
		})
	}
	// A nested future that failed fails the call with its error.
	bad, err := a.Call(ctx, "fail")
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.Call(ctx, "echo", []any{five[0], bad})
	if err != nil {
		t.Fatal(err)
	}
	var ae *AppError
	if _, err := f.Get(ctx); !errors.As(err, &ae) || ae.Code != "c_error" {
		t.Fatalf("echo of a list holding a failed future: %v, want its application error", err)
	}
	// The actor is fine: the failed call never ran.
	if got := invoke[int64](t, a, "get"); got != 5 {
		t.Fatalf("get = %d, want 5", got)
	}
}

// TestWait: Ray's ray.wait. Wait returns once n futures are ready, split
// into ready (at most n) and pending in the order given; with a timeout it
// returns what is ready; a done ctx is an error.
func TestWait(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{Workers: 2})
	looper := spawn(t, h, fixture(t, "loop"), Options{MaxRestarts: ptr(1)})
	c := spawn(t, h, readWasm(t, cCounterPath), Options{}, 0)
	spin, err := looper.Call(ctx, "spin") // never ready until killed
	if err != nil {
		t.Fatal(err)
	}
	var quick []*Future
	for range 3 {
		f, err := c.Call(ctx, "incr", 1)
		if err != nil {
			t.Fatal(err)
		}
		quick = append(quick, f)
	}
	all := []*Future{spin, quick[0], quick[1], quick[2]}
	ready, pending, err := Wait(ctx, all, 2, 0)
	if err != nil || len(ready) != 2 || len(pending) != 2 || ready[0] != quick[0] || ready[1] != quick[1] || pending[0] != spin || pending[1] != quick[2] {
		t.Fatalf("Wait(n=2): ready %d, pending %d, %v", len(ready), len(pending), err)
	}
	if _, err := quick[2].Get(ctx); err != nil {
		t.Fatal(err)
	}
	ready, pending, err = Wait(ctx, all, 0, 20*time.Millisecond) // all: times out on the spinner
	if err != nil || len(ready) != 3 || len(pending) != 1 || pending[0] != spin {
		t.Fatalf("Wait(all, 20ms): ready %d, pending %d, %v", len(ready), len(pending), err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := Wait(done, all, 0, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a done ctx: %v", err)
	}
	if err := looper.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if ready, _, err := Wait(ctx, all, 0, 0); err != nil || len(ready) != 4 {
		t.Fatalf("Wait(all) after the kill: %d ready, %v", len(ready), err)
	}
}
