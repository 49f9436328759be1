package api

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestOptionBounds: every numeric option is bounded, and the message names
// the field and the bound.
func TestOptionBounds(t *testing.T) {
	for _, tc := range []struct {
		opts  Options
		field string
		bound string
	}{
		{Options{MaxPending: 1 << 62}, "max_pending", "10000000"},
		{Options{MaxPending: -1}, "max_pending", "10000000"},
		{Options{MemoryPages: 1 << 20}, "memory_pages", "65536"},
		{Options{Fuel: Ptr[uint64](1<<62 + 1)}, "fuel", "4611686018427387904"},
		{Options{MaxChildren: Ptr(1 << 40)}, "max_children", "1000000"},
		{Options{MaxRestarts: Ptr(1 << 40)}, "max_restarts", "1000000"},
		{Options{CheckpointEvery: Ptr(1 << 40)}, "checkpoint_every", "1000000000"},
		{Options{CheckpointInterval: Ptr(366 * 24 * time.Hour)}, "checkpoint_interval", "8760h"},
		{Options{NumCPUs: 1e10}, "num_cpus", "1e+09"},
		{Options{NumGPUs: 1e10}, "num_gpus", "1e+09"},
		{Options{Memory: 1 << 60}, "memory", "1125899906842624"},
		{Options{Resources: map[string]float64{"fpga": 1e12}}, "resources[fpga]", "1e+09"},
		{Options{Resources: manyResources(65)}, "resources", "64"},
	} {
		tc.opts.Namespace = DefaultNamespace
		err := tc.opts.Validate()
		if !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%s: %v, want ErrInvalidOptions", tc.field, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), tc.bound) {
			t.Errorf("%s: message %q does not name the field and the bound %s", tc.field, err, tc.bound)
		}
	}
	// At the bounds: accepted.
	ok := Options{Namespace: DefaultNamespace, MaxPending: maxMaxPending, MemoryPages: MaxMemoryPages, Fuel: Ptr[uint64](maxFuel),
		MaxChildren: Ptr(maxMaxChildren), MaxRestarts: Ptr(maxMaxRestarts), CheckpointEvery: Ptr(maxCheckpointEvery),
		CheckpointInterval: Ptr(maxCheckpointInterval), NumCPUs: maxQuantity, Memory: maxMemoryRequest, Resources: manyResources(maxResources)}
	if err := ok.Validate(); err != nil {
		t.Errorf("options at their bounds: %v", err)
	}
}

func manyResources(n int) map[string]float64 {
	m := make(map[string]float64, n)
	for i := range n {
		m["r"+strings.Repeat("x", i)] = 1
	}
	return m
}

// TestCheckResourceName: the one check of custom resource names refuses the
// built-in resources' names in any case (before, "Gpu" passed the options
// check and failed later as a scheduler error) and names that break the
// name grammar.
func TestCheckResourceName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"fpga", true}, {"TPU", true}, {"gpu_ram", true},
		{"CPU", false}, {"cpu", false}, {"Gpu", false}, {"GPU", false}, {"Memory", false},
		{"object_store_memory", false}, {"OBJECT_STORE_MEMORY", false},
		{"", false}, {"a/b", false}, {" x", false},
	} {
		err := CheckResourceName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckResourceName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("CheckResourceName(%q) = %v, want an error wrapping ErrInvalidOptions", tc.name, err)
		}
		o := Options{Namespace: DefaultNamespace, Resources: map[string]float64{tc.name: 1}}
		if err := o.Validate(); (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("Options{Resources: {%q: 1}}.Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
