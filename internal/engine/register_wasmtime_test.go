//go:build wasmtime

package engine_test

// The wasmtime engine needs cgo and the build tag "wasmtime".
import _ "github.com/wactor/wactor/internal/engine/wasmtime"
