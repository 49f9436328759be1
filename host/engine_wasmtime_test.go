//go:build wasmtime

package host

const buildTestEngine = EngineWasmtime
