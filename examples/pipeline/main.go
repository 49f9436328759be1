//go:build wasip1

// Command pipeline is a stage class used to show futures flowing between
// actors: the result of one actor's call is passed as the argument of
// another's before it has been computed.
package main

import wactor "github.com/wactor/wactor/guest-sdk/go"

var items []int64

func init() { wactor.SetClass("pipeline", "A pipeline stage.") }

var square = wactor.Method1("square", func(x int64) (int64, error) {
	const limit = 3037000499 // floor(sqrt(math.MaxInt64))
	if x > limit || x < -limit {
		return 0, wactor.NewError("overflow", "the square overflows int64")
	}
	return x * x, nil
}).Doc("Returns x*x.")

var add = wactor.Method2("add", func(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, wactor.NewError("overflow", "the sum overflows int64")
	}
	return s, nil
}).Doc("Returns a+b.")

var collect = wactor.Method1("collect", func(x int64) (int64, error) {
	items = append(items, x)
	return int64(len(items)), nil
}).Doc("Appends x to the collected values, returns how many there are.")

var collected = wactor.Method0("collected", func() ([]int64, error) {
	return items, nil
}).Doc("Returns the collected values, in arrival order.")

//go:wasmexport square
func squareExport(ptr, size uint32) uint64 { return square.Call(ptr, size) }

//go:wasmexport add
func addExport(ptr, size uint32) uint64 { return add.Call(ptr, size) }

//go:wasmexport collect
func collectExport(ptr, size uint32) uint64 { return collect.Call(ptr, size) }

//go:wasmexport collected
func collectedExport(ptr, size uint32) uint64 { return collected.Call(ptr, size) }

func main() {}
