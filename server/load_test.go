package server

import (
	"strings"
	"testing"
	"time"
)

// TestUpload_LoadHookLoop: a class whose load-time code never returns is
// answered 422 invalid_module naming the export, after the load deadline
// (not 504 after a call's).
func TestUpload_LoadHookLoop(t *testing.T) {
	e := newEnv(t, func(c *testCfg) { c.Host.LoadTimeout = 200 * time.Millisecond })
	for _, tt := range []struct{ fixture, names string }{
		{"hostile_start_loop", "start function"},
		{"hostile_initialize_loop", "_initialize"},
		{"hostile_version_loop", "wactor_abi_version"},
		{"hostile_manifest_loop", "wactor_manifest"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			wasm := readWasm(t, "host/testdata/"+tt.fixture+".wasm")
			ae := e.c.do("POST", "/v1/classes", wasm, "Content-Type", "application/wasm").apiErr(422, codeInvalidModule)
			if !strings.Contains(ae.Message, tt.names) || !strings.Contains(ae.Message, "load deadline") {
				t.Errorf("message %q does not name %q and the load deadline", ae.Message, tt.names)
			}
		})
	}
}
