package host

import (
	"github.com/wactor/wactor/host/sandbox"
)

// Engine names for Config.Engine.
const (
	// EngineWazero is the pure-Go engine, in every build (the default).
	EngineWazero = sandbox.EngineWazero
	// EngineWasmtime is wasmtime (Cranelift), only in builds with the tag
	// "wasmtime" (it needs cgo).
	EngineWasmtime = sandbox.EngineWasmtime
)

// Engines returns the names of the engines this build can run, sorted.
func Engines() []string { return sandbox.Engines() }

// defaultEngine is the engine of a Config without one: EngineWazero. The
// tests set it (from the build tag wasmtime or $WACTOR_TEST_ENGINE) to run
// the whole suite on either engine.
var defaultEngine = EngineWazero
