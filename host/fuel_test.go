package host

import (
	"context"
	"errors"
	"testing"
)

func TestActor_Fuel(t *testing.T) {
	tests := []struct {
		name, path string
		init       []any
		spin       string
	}{
		{"wat", "testdata/loop.wasm", nil, "spin"},
		{"c", cCounterPath, []any{0}, "spin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHost(t, Config{})
			a := spawn(t, h, readWasm(t, tt.path), Options{Fuel: ptr[uint64](50_000_000), MaxRestarts: ptr(1)}, tt.init...)
			_, err := a.Invoke(context.Background(), tt.spin)
			var te *TrapError
			if !errors.As(err, &te) || te.Reason != TrapFuel || !errors.Is(err, ErrOutOfFuel) || !errors.Is(err, ErrTrap) {
				t.Fatalf("spin with fuel: %v", err)
			}
			if st := a.Info().State; st != StateAlive {
				t.Fatalf("state %s after running out of fuel with a restart left", st)
			}
		})
	}
}

// TestActor_FuelDeterministic: the same call on the same state uses the same
// fuel, in two actors and across calls.
func TestActor_FuelDeterministic(t *testing.T) {
	rec := &eventRecorder{}
	h := newTestHost(t, Config{Observer: rec})
	wasm := readWasm(t, goCounterPath)
	a := spawn(t, h, wasm, Options{Fuel: ptr[uint64](1 << 40)})
	b := spawn(t, h, wasm, Options{Fuel: ptr[uint64](1 << 40)})
	for _, x := range []*Actor{a, b} {
		invoke[int64](t, x, "incr", 7)
		invoke[int64](t, x, "reset")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.calls) != 4 {
		t.Fatalf("%d call events", len(rec.calls))
	}
	for i := 0; i < 2; i++ {
		x, y := rec.calls[i], rec.calls[i+2]
		if x.Fuel == 0 || x.Fuel != y.Fuel {
			t.Fatalf("%s used %d fuel in one actor and %d in the other", x.Method, x.Fuel, y.Fuel)
		}
	}
}
