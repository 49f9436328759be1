package examples_test

import "os"

// testEngine is the engine the examples run on: the build's (wazero;
// wasmtime with the tag wasmtime, see make test-wasmtime), or
// $WACTOR_TEST_ENGINE if set.
func testEngine() string {
	if e := os.Getenv("WACTOR_TEST_ENGINE"); e != "" {
		return e
	}
	return buildTestEngine
}
