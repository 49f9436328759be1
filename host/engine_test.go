package host

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// The suite runs on the engine of the build (wazero; wasmtime with the tag
// wasmtime, see make test-wasmtime), or on $WACTOR_TEST_ENGINE if set.
func init() {
	defaultEngine = buildTestEngine
	if e := os.Getenv("WACTOR_TEST_ENGINE"); e != "" {
		defaultEngine = e
	}
}

func TestConfig_Engine(t *testing.T) {
	for _, name := range []string{"nope", "Wazero"} {
		if _, err := New(context.Background(), Config{Engine: name}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("engine %q: err = %v, want ErrInvalidOptions", name, err)
		}
	}
	_, err := New(context.Background(), Config{Engine: EngineWasmtime, DataDir: t.TempDir()})
	if slices.Contains(Engines(), EngineWasmtime) != (err == nil) {
		t.Errorf("engine wasmtime (available: %v): err = %v", Engines(), err)
	}
	if err != nil && (!errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "-tags wasmtime")) {
		t.Errorf("err = %v, want ErrInvalidOptions naming the build tag", err)
	}
	h := newTestHost(t, Config{})
	if h.Config().Engine != defaultEngine || h.eng.Name() != defaultEngine {
		t.Errorf("default engine: config %q, running %q, want %q", h.Config().Engine, h.eng.Name(), defaultEngine)
	}
}
