package host

import (
	"runtime"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/scheduler"
)

// The documented defaults and bounds of Config (its doc comments,
// docs/API.md), as the tests use them.
const (
	defaultLogLines       = 1000
	defaultLogBytes       = 1 << 20
	defaultDeadLogBytes   = 32 << 10
	defaultMaxCallTimeout = 5 * time.Minute
	maxLoadTimeout        = 10 * time.Minute
	defaultKeepDeadFor    = 10 * time.Minute
	maxKeepDead           = 1_000_000
	maxKeepDeadFor        = 30 * 24 * time.Hour
	maxTimeSlice          = time.Second
	maxMaxCallTimeout     = 24 * time.Hour
	maxMaxDepth           = 1_000_000
	maxMaxWaiting         = 10_000_000
)

// TestConfigDefaults: the zero Config resolves to the documented defaults.
func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"workers", c.Workers, runtime.GOMAXPROCS(0)},
		{"max_class_bytes", c.MaxClassBytes, 64 << 20},
		{"max_arg_bytes", c.MaxArgBytes, abi.DefaultMaxArgBytes},
		{"max_result_bytes", c.MaxResultBytes, abi.DefaultMaxResultBytes},
		{"log_lines", c.LogLines, defaultLogLines},
		{"log_bytes", c.LogBytes, defaultLogBytes},
		{"dead_log_bytes", c.DeadLogBytes, defaultDeadLogBytes},
		{"log_budget", c.LogBudget, int64(256 << 20)},
		{"keep_dead", c.KeepDead, 1000},
		{"keep_dead_for", c.KeepDeadFor, 10 * time.Minute},
		{"keep_checkpoints", c.KeepCheckpoints, 3},
		{"passivate_after", c.PassivateAfter, time.Duration(0)},
		{"memory_budget", c.MemoryBudget, int64(0)},
		{"max_queued_calls", c.MaxQueuedCalls, 1_000_000},
		{"load_timeout", c.LoadTimeout, 5 * time.Second},
		{"class_memory_budget", c.ClassMemoryBudget, int64(2 << 30)},
		{"admission_timeout", c.AdmissionTimeout, 30 * time.Second},
		{"time_slice", c.TimeSlice, scheduler.DefaultSlice},
		{"max_call_timeout", c.MaxCallTimeout, defaultMaxCallTimeout},
		{"max_depth", c.MaxDepth, 32},
		{"max_waiting", c.MaxWaiting, map[string]int{EngineWazero: 100_000, EngineWasmtime: 4000}[c.Engine]},
		{"engine", c.Engine, defaultEngine}, // wazero; wasmtime in the tests built with -tags wasmtime
		{"durability", c.Durability, DurabilityWrite},
		{"defaults.call_timeout", *c.Defaults.CallTimeout, 30 * time.Second},
		{"defaults.max_children", *c.Defaults.MaxChildren, 1000},
		{"defaults.memory_pages", c.Defaults.MemoryPages, uint32(4096)},
	} {
		if f.got != f.want {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	// -1 where it means something; below it, refused.
	for _, ok := range []Config{{LogBudget: -1}, {KeepDead: -1}, {MaxDepth: -1}, {MaxWaiting: -1}} {
		if _, err := ok.withDefaults(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, bad := range []Config{{Workers: -1}, {LogBudget: -2}, {KeepDead: -2}, {TimeSlice: time.Microsecond},
		{LoadTimeout: -1}, {PassivateAfter: -1}, {AdmissionTimeout: -time.Second}, {MaxCallTimeout: -1}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
