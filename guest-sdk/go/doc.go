// Package wactor is the Go guest SDK for wactor: it turns plain typed Go
// functions into the methods of a WebAssembly actor class, following the
// guest ABI in docs/ABI.md (CBOR values, one reusable input and output
// buffer, the wactor_* exports and the "wactor" host imports).
//
// # Writing a class
//
// A class is a main package built for GOOS=wasip1 as a reactor (c-shared).
// Each method is registered in a package-level variable and served from a
// //go:wasmexport function whose name is the method name:
//
//	//go:build wasip1
//
//	package main
//
//	import wactor "github.com/wactor/wactor/guest-sdk/go"
//
//	var count int64
//
//	var _ = wactor.Init1(func(start int64) error { count = start; return nil }).MinArgs(0)
//
//	var incr = wactor.Method1("incr", func(n int64) (int64, error) {
//		count += n
//		return count, nil
//	}).Doc("Adds n.")
//
//	//go:wasmexport incr
//	func incrExport(ptr, size uint32) uint64 { return incr.Call(ptr, size) }
//
//	func main() {}
//
// Build it with the stock toolchain:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o counter.wasm ./counter
//
// Importing the package is enough for the ABI exports it provides itself:
// wactor_abi_version, wactor_alloc, wactor_init (the constructor registered
// with Init0, Init1 or Init2; without one it accepts an empty argument list)
// and wactor_manifest (the registered methods with their parameter types,
// default number of results and documentation, plus SetClass's name and
// doc). //go:wasmexport works in a non-main package, but the export of each
// method must be written in the class: the Go toolchain only exports
// functions named in a //go:wasmexport directive, and a directive cannot be
// generated at run time. The manifest lists every registered method, and
// the host refuses a class whose manifest names a method it does not
// export, so a forgotten export is caught when the class is loaded.
//
// # Methods and values
//
// Method0 to Method3 register methods with zero to three arguments and one
// result; Method0x2, Method1x2 and Method2x2 return two results (envelope
// [1, [r1, r2]], "returns": 2 in the manifest). Arguments and results are
// converted between CBOR and Go by the package's own codec (Marshal and
// Unmarshal describe the mapping): int64, int, float64, bool, string,
// []byte, any and the other common types take fast paths with no
// reflection; other slices, arrays, maps, structs and pointers use package
// reflect. An argument that does not decode into its parameter's type, or a
// wrong number of arguments, is answered with the application error
// "bad_args"; a result that cannot be encoded (a string that is not UTF-8, a
// channel, a cycle) with "bad_result".
//
// A method's error becomes an application error: an *Error (see NewError and
// Errorf, also when wrapped) gives its Code and Message; an error with a
// `Code() string` method gives that code and its Error text; any other error
// the code "error". The actor stays alive and keeps its state. A panic is not
// recovered: it is a trap, and the host discards the sandbox.
//
// Handler.MinArgs makes trailing parameters optional (zero values when
// absent). The manifest cannot say "at most n", so such a method is listed
// with its required parameters only and "variadic": true.
//
// # Calling other actors
//
// A Handle refers to an actor (CBOR tag 51000 around [ID, Class]); it can be
// a parameter or a result, or sit inside one, like any other value. Self
// returns this actor's handle. Handle.Call calls a method of another actor
// and waits for the result (CallAs decodes it); Handle.Send queues the call
// and returns a Future, whose Get (or Await) waits for the result later.
// Spawn creates a child actor (of this class when the class is ""),
// GetActor finds a named actor and Kill kills one. Results come back as Raw
// (one encoded CBOR value; Raw.Decode converts it) and failures as *Error:
// the host's codes (CodeDeadlock, CodeActorDied, CodeActorNotFound,
// CodeQuota, ...) or the called method's own application error, unchanged,
// so a method can return it to its caller as it is. An actor waiting for a
// result runs nothing else: a call back into it fails with CodeDeadlock.
// These functions use the wactor imports call, send, await, spawn,
// get_actor, kill and take (docs/ABI.md section 6), which are linked only
// into guests that use them; outside a wasip1 build they fail with an
// *Error.
//
// # Cost
//
// Function calls are expensive in a Go wasm guest (20 to 50 ns per call
// level under wazero), so the call path is short: Handler.Call is inlined
// into the export, an argument list of up to 23 items goes straight to the
// method's typed closure, and small int64 arguments and int64 results are
// handled inline. A call incr(1) costs a few hundred nanoseconds inside the
// guest; see sdk_bench_test.go.
//
// # Memory
//
// Arguments are written by the host into one reusable input buffer that
// wactor_alloc grows on demand (and gives back after a call that needed
// more than 1 MiB); results are encoded into one reusable output buffer that
// stays valid until the next call into the guest. Decoded strings and byte
// slices are copies, so a method may keep them. A guest that runs out of
// memory is aborted by the Go runtime (a trap), whatever wactor_alloc would
// have returned.
//
// Outside a wasip1 build (unit tests of a class's functions on the
// development machine) the package compiles too: Log writes to standard
// error, SelfID returns "", Exit does nothing, the actor-call functions
// fail with an *Error of code "wactor.unavailable", and Handler.Invoke runs
// a method on CBOR bytes the way Handler.Call does in a guest.
package wactor
