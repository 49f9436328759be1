//go:build wasmtime

package wasmtime

// This file holds only the Go function the epoch callback (capi.go) calls:
// a file with an //export may declare, not define, C functions in its
// preamble.

/*
#include <stdint.h>
*/
import "C"

import "runtime/cgo"

// wactorYield runs an instance's OnYield from its store's epoch callback, on
// the thread running the guest, which stays paused until it returns.
//
//export wactorYield
func wactorYield(h C.uintptr_t) {
	if i, ok := cgo.Handle(h).Value().(*instance); ok && i.onYield != nil {
		i.onYield()
	}
}
