package host

import "os"

// The suite runs on the engine of the build (wazero; wasmtime with the tag
// wasmtime, see make test-wasmtime), or on $WACTOR_TEST_ENGINE if set.
func init() {
	defaultEngine = buildTestEngine
	if e := os.Getenv("WACTOR_TEST_ENGINE"); e != "" {
		defaultEngine = e
	}
}
