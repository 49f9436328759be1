package host

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// An actor whose constructor calls exit ends right after the constructor
// returns: Spawn returns its handle, the actor is dead (exited), its name
// released, and a call to it fails with ActorDiedError reason exited.
func TestActor_ExitInConstructor(t *testing.T) {
	rec := &eventRecorder{}
	h := newTestHost(t, Config{Observer: rec})
	ctx := context.Background()
	a := spawn(t, h, fixture(t, "init_exit"), Options{Name: "brief"})
	if st := a.Info().State; st != StateDead {
		t.Fatalf("state after an exiting constructor: %s, want dead", st)
	}
	var de *ActorDiedError
	_, err := a.Invoke(ctx, "get")
	if !errors.As(err, &de) || de.Reason != DeathExited || de.ActorID != a.ID() {
		t.Fatalf("call after an exiting constructor: %v, want ActorDiedError reason exited", err)
	}
	if _, err := h.Lookup(ctx, DefaultNamespace, "brief"); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("the name is kept: %v", err)
	}
	info, err := h.Info(ctx, a.ID())
	if err != nil || info.State != StateDead || info.Death != DeathExited {
		t.Fatalf("Info: %+v, %v", info, err)
	}
	// The name is free for a new actor (and that one exits too).
	b := spawn(t, h, fixture(t, "init_exit"), Options{Name: "brief"})
	if b.ID() == a.ID() || b.Info().Death != DeathExited {
		t.Fatalf("second spawn of the name: %+v", b.Info())
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var got []string
	for _, e := range rec.actors {
		if e.ActorID == a.ID() {
			got = append(got, fmt.Sprint(e.State, "/", e.Death))
		}
	}
	if want := fmt.Sprint([]string{fmt.Sprint(StateAlive, "/", DeathReason("")), fmt.Sprint(StateDead, "/", DeathExited)}); fmt.Sprint(got) != want {
		t.Fatalf("events %v, want %v", got, want)
	}
}

// The reply to a call that made the actor exit comes after its name is
// released: an immediate get-or-create makes a new live actor, every time.
func TestActor_ExitReleasesNameBeforeReply(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	c, err := h.LoadClass(ctx, fixture(t, "log"))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Name: "phoenix", GetIfExists: true}
	a, err := h.Spawn(ctx, c.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if v, err := a.Invoke(ctx, "bye"); err != nil || string(v) != "\x63bye" {
			t.Fatalf("round %d: bye = %x, %v", i, v, err)
		}
		b, err := h.Spawn(ctx, c.ID, opts)
		if err != nil {
			t.Fatalf("round %d: get-or-create right after exit: %v", i, err)
		}
		if b.ID() == a.ID() || b.Info().State != StateAlive {
			t.Fatalf("round %d: got the exited actor (%s, %s)", i, b.ID(), b.Info().State)
		}
		a = b
	}
}

// A constructor that fails leaves a dead actor (reason constructor failed):
// an observer event, an entry in Actors and Info with its error, and its
// log (with the constructor's own lines) through Host.Logs.
func TestHost_FailedConstructorIsKept(t *testing.T) {
	rec := &eventRecorder{}
	h := newTestHost(t, Config{Observer: rec})
	ctx := context.Background()
	c, err := h.LoadClass(ctx, fixture(t, "init_log_error"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Spawn(ctx, c.ID, Options{Name: "stillborn"})
	var ae *AppError
	if !errors.As(err, &ae) || ae.Code != "bad_init" {
		t.Fatalf("Spawn: %v, want AppError bad_init", err)
	}
	list := h.Actors()
	if len(list) != 1 {
		t.Fatalf("Actors lists %d, want the dead one: %+v", len(list), list)
	}
	dead := list[0]
	if dead.State != StateDead || dead.Death != DeathInitFailed || dead.Name != "stillborn" || dead.Class != c.ID {
		t.Fatalf("listed %+v", dead)
	}
	info, err := h.Info(ctx, dead.ID)
	if err != nil || info.Death != DeathInitFailed || info.DeathError != ae.Error() {
		t.Fatalf("Info: %+v, %v (want death error %q)", info, err, ae.Error())
	}
	page, err := h.Logs(ctx, dead.ID, 0)
	if err != nil || !hasLine(page.Lines, "constructing") || !hasLine(page.Lines, string(DeathInitFailed)) {
		t.Fatalf("Logs: %+v, %v", page.Lines, err)
	}
	if _, err := h.Lookup(ctx, DefaultNamespace, "stillborn"); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("the name is kept: %v", err)
	}
	rec.mu.Lock()
	events := append([]ActorEvent(nil), rec.actors...)
	rec.mu.Unlock()
	if len(events) != 1 || events[0].ActorID != dead.ID || events[0].State != StateDead || events[0].Death != DeathInitFailed || events[0].Class != c.ID {
		t.Fatalf("events %+v, want one: dead, constructor failed", events)
	}
	// A trapping constructor too.
	if _, err := h.Spawn(ctx, mustLoad(t, h, "init_trap"), Options{}); err == nil {
		t.Fatal("init_trap spawned")
	}
	if list := h.Actors(); len(list) != 2 || list[1].Death != DeathInitFailed || list[1].DeathError == "" {
		t.Fatalf("after a trapping constructor: %+v", list)
	}
}

func mustLoad(t *testing.T, h *Host, name string) string {
	t.Helper()
	c, err := h.LoadClass(context.Background(), fixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}
