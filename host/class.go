package host

import (
	"github.com/wactor/wactor/host/sandbox"
	"github.com/wactor/wactor/host/tenancy"
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

// standInClass is the class of a damaged actor whose class is not loaded:
// it names the class ID and cannot run.
func standInClass(id string) *tenancy.Class { return tenancy.StandIn(id) }
