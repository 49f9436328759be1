package host

import (
	"context"
	"errors"
	"testing"

	"github.com/wactor/wactor/abi"
)

// TestGuestCalls_BadInput: malformed requests to the actor-call imports give
// the guest an error envelope; out-of-bounds pointers trap the call.
func TestGuestCalls_BadInput(t *testing.T) {
	h := newTestHost(t, Config{})
	a := spawn(t, h, fixture(t, "calls"), Options{MaxRestarts: ptr(-1)})
	for _, tt := range []struct {
		method, code string
	}{
		{"await_unknown", abi.CodeBadArgs},
		{"bad_handle", abi.CodeBadHandle},
		{"missing", abi.CodeActorNotFound},
		{"take_short", abi.CodeActorNotFound},
	} {
		_, err := a.Invoke(context.Background(), tt.method)
		var ae *AppError
		if !errors.As(err, &ae) || ae.Code != tt.code {
			t.Errorf("%s: %v, want application error %s", tt.method, err, tt.code)
		}
	}
	for _, method := range []string{"bad_call_ptr", "take_oob"} {
		_, err := a.Invoke(context.Background(), method)
		var te *TrapError
		if !errors.As(err, &te) || te.Reason != TrapABI {
			t.Errorf("%s: %v, want an abi trap", method, err)
		}
	}
	if st := a.Info().State; st != StateAlive {
		t.Fatalf("state %s after bad inputs", st)
	}
}
