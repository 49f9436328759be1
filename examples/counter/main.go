//go:build wasip1

// Command counter is the smallest useful actor class: a counter.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o examples/counter/counter.wasm ./examples/counter
package main

import wactor "github.com/wactor/wactor/guest-sdk/go"

var count int64

func init() { wactor.SetClass("counter", "A counter.") }

// The constructor takes an optional start value (0 when absent).
var _ = wactor.Init1(func(start int64) error {
	count = start
	return nil
}).MinArgs(0).Doc("Starts the counter at start (default 0).")

var incr = wactor.Method1("incr", func(n int64) (int64, error) {
	count += n
	return count, nil
}).Doc("Adds n, returns the new value.")

var get = wactor.Method0("get", func() (int64, error) {
	return count, nil
}).Doc("Returns the value.")

var reset = wactor.Method0("reset", func() (int64, error) {
	old := count
	count = 0
	return old, nil
}).Doc("Sets the value to 0, returns the old value.")

//go:wasmexport incr
func incrExport(ptr, size uint32) uint64 { return incr.Call(ptr, size) }

//go:wasmexport get
func getExport(ptr, size uint32) uint64 { return get.Call(ptr, size) }

//go:wasmexport reset
func resetExport(ptr, size uint32) uint64 { return reset.Call(ptr, size) }

func main() {}
