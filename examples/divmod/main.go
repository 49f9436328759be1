//go:build wasip1

// Command divmod is a stateless actor class with a method that returns two
// values (manifest returns: 2).
package main

import (
	"math"

	wactor "github.com/wactor/wactor/guest-sdk/go"
)

func init() { wactor.SetClass("divmod", "Integer arithmetic with two results.") }

var divmod = wactor.Method2x2("divmod", func(a, b int64) (q, r int64, err error) {
	if b == 0 {
		return 0, 0, wactor.NewError("division_by_zero", "divmod by zero")
	}
	if a == math.MinInt64 && b == -1 {
		return 0, 0, wactor.NewError("overflow", "the quotient overflows int64")
	}
	return a / b, a % b, nil
}).Doc("Returns the quotient and remainder of a / b (truncated, as in Go).")

var sum = wactor.Method1("sum", func(xs []int64) (int64, error) {
	var s int64
	for _, x := range xs {
		t := s + x
		if (x > 0 && t < s) || (x < 0 && t > s) {
			return 0, wactor.NewError("overflow", "the sum overflows int64")
		}
		s = t
	}
	return s, nil
}).Doc("Returns the sum of xs.")

//go:wasmexport divmod
func divmodExport(ptr, size uint32) uint64 { return divmod.Call(ptr, size) }

//go:wasmexport sum
func sumExport(ptr, size uint32) uint64 { return sum.Call(ptr, size) }

func main() {}
