//go:build !wasmtime

package examples_test

const buildTestEngine = "wazero"
