//go:build wasmtime

package sandbox

const buildTestEngine = EngineWasmtime
