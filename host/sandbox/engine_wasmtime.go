//go:build wasmtime

package sandbox

// Builds with the tag wasmtime (and cgo) can run hosts on wasmtime
// (NewEngine with EngineWasmtime).
import _ "github.com/wactor/wactor/internal/engine/wasmtime"
