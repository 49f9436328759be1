//go:build wasmtime

package host

// Builds with the tag wasmtime (and cgo) can run hosts on wasmtime
// (Config.Engine "wasmtime").
import _ "github.com/wactor/wactor/internal/engine/wasmtime"
