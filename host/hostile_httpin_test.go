package host

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestHostile_GuestNames: a guest asking get_actor or spawn for names
// outside the name grammar (NUL, '/', invalid UTF-8, "..") gets
// wactor.bad_args naming the rule, nothing is created or found, and a
// bystander in another namespace keeps answering.
func TestHostile_GuestNames(t *testing.T) {
	h := newTestHost(t, Config{})
	by := startBystander(t, h)
	base := takeBaseline(h)
	// An actor whose name the NUL lookup would hit if names were not
	// checked ("a" + NUL + "b" used to be a valid name).
	a := spawn(t, h, fixture(t, "hostile_names"), Options{MaxRestarts: -1})
	for _, method := range []string{"get_nul", "get_slash", "get_utf8", "get_in_dotdot", "spawn_bad_name", "spawn_bad_namespace"} {
		_, err := a.Invoke(context.Background(), method)
		var ae *AppError
		if !errors.As(err, &ae) || ae.Code != codeBadArgs || !strings.Contains(ae.Message, "invalid ") {
			t.Errorf("%s: %v, want application error %s naming the rule", method, err, codeBadArgs)
		}
		by.progress(t, 1)
	}
	if n := len(h.Actors(context.Background())); n != 2 { // the bystander and a
		t.Errorf("%d actors after the refused spawns, want 2", n)
	}
	by.finish(t)
	if err := a.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	base.settled(t, h, 1<<20)
}
