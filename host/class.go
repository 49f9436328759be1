package host

import (
	"crypto/sha256"
	"encoding/hex"
	"sync/atomic"

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

// class is a loaded class: the compiled class its sandboxes are made of,
// with the host's accounting of it.
type class struct {
	*sandbox.Class
	// budgeted is the module's size as counted in the class budget (0 once
	// given back).
	budgeted atomic.Int64

	// global: loaded by LoadClass, visible to every namespace; owners:
	// the namespaces that loaded it (LoadClassIn). Guarded by Host.mu.
	global bool
	owners map[string]struct{}
}

// ClassID computes the content address of module bytes, as LoadClass does.
func ClassID(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// standInClass is the class of a damaged actor whose class is not loaded:
// it names the class ID and cannot run.
func standInClass(id string) *class {
	return &class{Class: &sandbox.Class{Info: ClassInfo{ID: id}}}
}
