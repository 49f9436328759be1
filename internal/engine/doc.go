// Package engine is an engine-neutral view of a WebAssembly runtime: what the
// wactor host needs from one, so that the host can run its actor classes on
// more than one engine (issue 7).
//
// An Engine compiles modules; a Module lists its imports and exports and is
// instantiated with an InstanceConfig; an Instance calls exports with a
// caller-provided value stack (as wazero's CallWithStack), exposes its linear
// memory through bounds-checked accessors and its exported globals by name,
// meters fuel and can be interrupted from another goroutine.
//
// Host functions are engine-neutral too (HostFunc): the functions of module
// "wactor" come from the InstanceConfig, and WASI preview 1 is implemented in
// this package (wasi.go) on top of the same interface, so every engine gives
// a guest exactly the same clocks, randomness and answers. Engines only link
// what ResolveImports returns.
//
// Implementations live in subpackages and register themselves by name
// (Register) when imported: internal/engine/wazero in every build, and
// internal/engine/wasmtime with the build tag "wasmtime" (it needs cgo).
//
// # Traps
//
// A failed call returns a *TrapError whose Kind tells an interrupt
// (ErrInterrupted), running out of fuel (ErrOutOfFuel), a failing host
// function (ErrHostFunc, or ErrExit with an *ExitError for WASI proc_exit)
// and any other guest trap (ErrTrap) apart; errors.Is works with each
// sentinel. After any trap the guest may be in the middle of an update of its
// own state (a Go guest's runtime in particular): callers should discard the
// instance and restore a snapshot rather than call it again.
//
// # Concurrency
//
// Engines and modules are safe for concurrent use. An instance runs one call
// at a time; only Interrupt may be called from another goroutine while a call
// runs.
package engine
