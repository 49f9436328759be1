package host

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/wactor/wactor/abi"
)

// TestHostile_ImportInputSizes: a guest passes every actor-call import 48
// MiB of its memory as one input (testdata/hostile_import_sizes.wat). Each
// import refuses it with an error envelope before copying it (the host
// allocates far less than the input per call), nothing else happens (no
// call queued, no child spawned, no actor killed), the attacker stays
// alive and a bystander in another namespace keeps answering.
func TestHostile_ImportInputSizes(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, Config{})
	by := startBystander(t, h)
	base := takeBaseline(h)
	a := spawn(t, h, fixture(t, "hostile_import_sizes"), Options{Name: "self", Namespace: "attacker", MaxRestarts: ptr(-1)})
	const input = 48 << 20
	for _, tt := range []struct{ method, code string }{
		{"call_target", abi.CodeBadArgs},
		{"call_method", abi.CodeMethodNotFound},
		{"call_args", abi.CodeBadArgs},
		{"send_args", abi.CodeBadArgs},
		{"spawn_class", abi.CodeBadArgs},
		{"spawn_args", abi.CodeBadArgs},
		{"spawn_opts", abi.CodeBadArgs},
		{"get_actor_ns", abi.CodeForbidden},
		{"get_actor_name", abi.CodeBadArgs},
		{"kill_target", abi.CodeBadArgs},
	} {
		// The least the host allocated over a few calls: other goroutines
		// (the bystander's calls) only add to it.
		least := uint64(1 << 63)
		for range 3 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := a.Invoke(ctx, tt.method)
			runtime.ReadMemStats(&after)
			var ae *AppError
			if !errors.As(err, &ae) || ae.Code != tt.code {
				t.Fatalf("%s: %v, want application error %s", tt.method, err, tt.code)
			}
			least = min(least, after.TotalAlloc-before.TotalAlloc)
		}
		if least >= input/4 {
			t.Errorf("%s: the host allocated %d bytes for the call: the input was copied", tt.method, least)
		}
	}
	if st := a.Info().State; st != StateAlive {
		t.Fatalf("attacker state %s, want alive", st)
	}
	if u := h.NamespaceUsage("attacker"); u.Actors != 1 || u.PendingCalls != 0 {
		t.Errorf("attacker's namespace holds %d actors and %d pending calls, want 1 and 0", u.Actors, u.PendingCalls)
	}
	by.progress(t, 10)
	by.finish(t)
	if err := a.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	base.settled(t, h, 1<<20)
}
