package host

import (
	"context"
	"errors"
	"sync"
	"testing"
)

type eventRecorder struct {
	mu     sync.Mutex
	calls  []CallEvent
	actors []ActorEvent
}

func (r *eventRecorder) CallDone(e CallEvent) {
	r.mu.Lock()
	r.calls = append(r.calls, e)
	r.mu.Unlock()
}
func (r *eventRecorder) ActorChanged(e ActorEvent) {
	r.mu.Lock()
	r.actors = append(r.actors, e)
	r.mu.Unlock()
}

func TestHost_Observer(t *testing.T) {
	rec := &eventRecorder{}
	h := newTestHost(t, Config{Observer: rec})
	a := spawn(t, h, readWasm(t, cCounterPath), Options{MaxRestarts: ptr(1)}, 0)
	invoke[int64](t, a, "incr", 1)
	_, _ = a.Invoke(context.Background(), "fail")
	_, _ = a.Invoke(context.Background(), "trap")
	_ = a.Kill(context.Background())

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.calls) != 3 {
		t.Fatalf("%d call events, want 3", len(rec.calls))
	}
	var ae *AppError
	var te *TrapError
	if rec.calls[0].Err != nil || rec.calls[0].Method != "incr" || rec.calls[0].Class != a.Class() ||
		!errors.As(rec.calls[1].Err, &ae) || !errors.As(rec.calls[2].Err, &te) {
		t.Fatalf("call events: %+v", rec.calls)
	}
	var states []State
	for _, e := range rec.actors {
		states = append(states, e.State)
	}
	want := []State{StateAlive, StateRestarting, StateAlive, StateDead}
	if len(states) != len(want) {
		t.Fatalf("actor events %v, want %v", states, want)
	}
	for i := range want {
		if states[i] != want[i] {
			t.Fatalf("actor events %v, want %v", states, want)
		}
	}
}

func TestHost_UnloadClass(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, fixture(t, "minimal"), Options{})
	if err := h.UnloadClass(ctx, a.Class()); !errors.Is(err, ErrClassInUse) {
		t.Fatalf("unload with a live actor: %v", err)
	}
	_ = a.Kill(ctx)
	if err := h.UnloadClass(ctx, a.Class()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Class(ctx, a.Class()); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("class still there: %v", err)
	}
	if err := h.UnloadClass(ctx, a.Class()); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("second unload: %v", err)
	}
	if _, err := h.LoadClass(ctx, fixture(t, "minimal")); err != nil {
		t.Fatalf("reload after unload: %v", err)
	}
}
