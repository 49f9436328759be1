package host

import (
	"context"
	"errors"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/snapshots"
)

// peek captures the actor's state between calls without keeping it (a
// checkpoint would empty the journal).
func peek(t *testing.T, a *Actor) *snapshots.State {
	t.Helper()
	var st *snapshots.State
	if _, err := a.control(context.Background(), func(sb *box) (abi.Value, error) {
		var err error
		st, err = sb.Capture(a.a.id, 0)
		return abi.Null(), err
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

func sameState(t *testing.T, what string, want, got *snapshots.State) {
	t.Helper()
	if !want.Memory.Equal(got.Memory) {
		n := len(snapshots.DiffPages(want.Memory, got.Memory))
		t.Fatalf("%s: memory differs (%d vs %d bytes, %d pages differ)", what, want.Memory.Len(), got.Memory.Len(), n)
	}
	for idx, v := range want.Globals {
		if got.Globals[idx] != v {
			t.Fatalf("%s: global %d = %d, want %d", what, idx, got.Globals[idx], v)
		}
	}
}

// TestActor_ReplayExact: after a trap, the rebuilt sandbox is bit for bit
// the one before the trap — for a Go guest too, whose runtime reads the
// clock and random source (replayed from the journal).
func TestActor_ReplayExact(t *testing.T) {
	tests := []struct {
		name, path string
		init       []any
		calls      func(t *testing.T, a *Actor)
		crash      string
	}{
		{"c", cCounterPath, []any{1}, func(t *testing.T, a *Actor) {
			invoke[int64](t, a, "incr", 5)
			invoke[int64](t, a, "grow", 3)
			invoke[int64](t, a, "incr", 2)
		}, "trap"},
		{"go", misbehavePath, nil, func(t *testing.T, a *Actor) {
			invoke[int64](t, a, "bomb", 4)
			invoke[bool](t, a, "log", "before the crash")
			invoke[string](t, a, "whoami")
			invoke[any](t, a, "echo", map[string]any{"k": []int{1, 2, 3}})
		}, "crash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHost(t, Config{})
			a := spawn(t, h, readWasm(t, tt.path), Options{MaxRestarts: ptr(1)}, tt.init...)
			tt.calls(t, a)
			before := peek(t, a)
			_, err := a.Invoke(context.Background(), tt.crash)
			var te *TrapError
			if !errors.As(err, &te) {
				t.Fatalf("%s: %v", tt.crash, err)
			}
			after := peek(t, a)
			sameState(t, "after replay", before, after)
			lines, _ := a.Logs(0)
			if !hasLine(lines, "replayed") {
				t.Fatalf("no replay logged: %+v", lines)
			}
		})
	}
}

// TestActor_ReplayFromCheckpoint: checkpoint, more calls, trap: the actor is
// the checkpoint plus the later calls, bit for bit.
func TestActor_ReplayFromCheckpoint(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, readWasm(t, misbehavePath), Options{MaxRestarts: ptr(-1)})
	invoke[int64](t, a, "bomb", 2)
	if _, err := a.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	invoke[int64](t, a, "bomb", 1)
	invoke[any](t, a, "echo", "after the checkpoint")
	before := peek(t, a)
	if _, err := a.Invoke(ctx, "crash"); !errors.Is(err, ErrTrap) {
		t.Fatalf("crash: %v", err)
	}
	sameState(t, "after replay from checkpoint", before, peek(t, a))
	if got := invoke[int64](t, a, "bomb", 0); got != 3 {
		t.Fatalf("held %d MiB after the restart, want 3", got)
	}
	// A second trap replays again from the same checkpoint.
	if _, err := a.Invoke(ctx, "crash"); !errors.Is(err, ErrTrap) {
		t.Fatalf("second crash: %v", err)
	}
	if got := invoke[int64](t, a, "bomb", 0); got != 3 {
		t.Fatalf("held %d MiB after the second restart, want 3", got)
	}
}

// TestActor_NoJournalWithoutRestarts: an actor that cannot restart keeps no
// journal (it would only cost memory).
func TestActor_NoJournalWithoutRestarts(t *testing.T) {
	h := newTestHost(t, Config{})
	a := spawn(t, h, readWasm(t, cCounterPath), Options{}, 0)
	invoke[int64](t, a, "incr", 1)
	var n int
	_, _ = a.control(context.Background(), func(*box) (abi.Value, error) { n = len(a.a.journal); return abi.Null(), nil })
	if n != 0 {
		t.Fatalf("journal of %d entries without restarts", n)
	}
}
