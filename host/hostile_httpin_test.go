package host

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wactor/wactor/abi"
)

// TestHostile_GuestNames: a guest asking get_actor or spawn for names
// outside the name grammar (NUL, '/', invalid UTF-8) gets wactor.bad_args
// naming the rule (another namespace, valid or not, wactor.forbidden),
// nothing is created or found, and a bystander in another namespace keeps
// answering.
func TestHostile_GuestNames(t *testing.T) {
	h := newTestHost(t, Config{})
	by := startBystander(t, h)
	base := takeBaseline(h)
	// An actor whose name the NUL lookup would hit if names were not
	// checked ("a" + NUL + "b" used to be a valid name).
	a := spawn(t, h, fixture(t, "hostile_names"), Options{MaxRestarts: ptr(-1)})
	for _, tc := range []struct{ method, code, says string }{
		{"get_nul", abi.CodeBadArgs, "invalid actor name"},
		{"get_slash", abi.CodeBadArgs, "invalid actor name"},
		{"get_utf8", abi.CodeBadArgs, "invalid actor name"},
		{"spawn_bad_name", abi.CodeBadArgs, "invalid actor name"},
		// Another namespace, valid or not, is refused first: namespaces
		// are walls for guests.
		{"get_in_dotdot", abi.CodeForbidden, "namespace"},
		{"spawn_bad_namespace", abi.CodeForbidden, "namespace"},
	} {
		_, err := a.Invoke(context.Background(), tc.method)
		var ae *AppError
		if !errors.As(err, &ae) || ae.Code != tc.code || !strings.Contains(ae.Message, tc.says) {
			t.Errorf("%s: %v, want application error %s saying %q", tc.method, err, tc.code, tc.says)
		}
		by.progress(t, 1)
	}
	if n := len(h.Actors()); n != 2 { // the bystander and a
		t.Errorf("%d actors after the refused spawns, want 2", n)
	}
	by.finish(t)
	if err := a.Kill(context.Background()); err != nil {
		t.Fatal(err)
	}
	base.settled(t, h, 1<<20)
}
