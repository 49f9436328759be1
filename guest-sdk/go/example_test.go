package wactor_test

import (
	"encoding/hex"
	"fmt"

	wactor "github.com/wactor/wactor/guest-sdk/go"
)

func ExampleMarshal() {
	b, err := wactor.Marshal(map[string]any{"n": 1, "tags": []string{"a"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(hex.EncodeToString(b))
	// Output: a2616e016474616773816161
}

func ExampleUnmarshal() {
	type Point struct {
		X int64 `cbor:"x"`
		Y int64 `cbor:"y"`
	}
	b, _ := hex.DecodeString("a26178016179820203") // {"x": 1, "y": [2, 3]}
	var p Point
	err := wactor.Unmarshal(b, &p)
	fmt.Println(err)

	var v any
	_ = wactor.Unmarshal(b, &v)
	fmt.Printf("%v\n", v)
	// Output:
	// cbor: cannot decode array into int64
	// map[x:1 y:[2 3]]
}

// Methods are registered once, at package initialization, in package-level
// variables.
var (
	count int64

	incr = wactor.Method1("example_incr", func(n int64) (int64, error) {
		if n <= 0 {
			return 0, wactor.NewError("invalid_amount", "n must be positive")
		}
		count += n
		return count, nil
	}).Doc("Adds n, returns the new value.")

	divmod = wactor.Method2x2("example_divmod", func(a, b int64) (int64, int64, error) {
		if b == 0 {
			return 0, 0, wactor.NewError("division_by_zero", "b is 0")
		}
		return a / b, a % b, nil
	})
)

// A method is a typed Go function registered in a package-level variable:
//
//	var incr = wactor.Method1("incr", func(n int64) (int64, error) { ... })
//
// In a guest, a //go:wasmexport function serves it:
//
//	//go:wasmexport incr
//	func incrExport(ptr, size uint32) uint64 { return incr.Call(ptr, size) }
//
// Invoke runs the same path on a byte slice, for tests.
func ExampleMethod1() {
	fmt.Println(hex.EncodeToString(incr.Invoke([]byte{0x81, 0x05}))) // [5] -> [0, 5]

	for _, args := range [][]byte{
		{0x81, 0x20},       // [-1]
		{0x81, 0x61, 0x78}, // ["x"]
		{0x80},             // []
	} {
		var e []any
		_ = wactor.Unmarshal(incr.Invoke(args), &e)
		fmt.Printf("[%v %q %q]\n", e[0], e[1], e[2])
	}
	count = 0
	// Output:
	// 820005
	// [2 "invalid_amount" "n must be positive"]
	// [2 "bad_args" "example_incr: argument 1: cbor: cannot decode text string into int64"]
	// [2 "bad_args" "example_incr: expected 1 argument, got 0"]
}

// A method with two results returns the envelope [1, [q, r]] and is listed
// with "returns": 2 in the manifest.
func ExampleMethod2x2() {
	var e []any
	_ = wactor.Unmarshal(divmod.Invoke([]byte{0x82, 0x11, 0x05}), &e) // [17, 5]
	fmt.Println(e)
	// Output: [1 [3 2]]
}

func ExampleErrorf() {
	err := wactor.Errorf("insufficient_funds", "cannot withdraw %d from %d", 50, 20)
	fmt.Println(err.Code, "|", err.Message)
	// Output: insufficient_funds | cannot withdraw 50 from 20
}
