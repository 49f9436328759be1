package api

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/wactor/wactor/abi"
)

// codeCases: an error and the code it takes. The pairs that match several
// rows are the ones that test the ranks.
var codeCases = []struct {
	err  error
	code string
}{
	{ErrClosed, "unavailable"},
	{fmt.Errorf("spawn: %w", ErrClosed), "unavailable"},
	{&ActorDiedError{Reason: DeathHostClosed}, "unavailable"},
	{&ActorDiedError{Reason: DeathKilled, Cause: &TrapError{Reason: TrapGuest}}, "actor_died"},
	{&ActorDiedError{Reason: DeathRestartsExhausted, Cause: fmt.Errorf("%w: x", ErrPersist)}, "actor_died"},
	{&ActorDiedError{Reason: DeathKilled, Cause: &TrapError{Reason: TrapDeadline}}, "actor_died"},
	{&DamagedError{ActorID: "a", Reason: "r"}, "actor_damaged"},
	{fmt.Errorf("x: %w", ErrDamaged), "actor_damaged"},
	{&TrapError{Reason: TrapMemory}, "trap"},
	{&TrapError{Reason: TrapABI}, "trap"},
	{&TrapError{Reason: TrapFuel}, "trap"},
	{&TrapError{Reason: TrapDeadline}, "deadline_exceeded"},
	{&TrapError{Reason: TrapCancelled}, "deadline_exceeded"},
	{fmt.Errorf("argument 0 (future x): %w", &AppError{Code: "c", Message: "m"}), "app_error"},
	{&ModuleError{Reason: "r"}, "invalid_module"},
	{ModuleErrorf(abi.ErrMalformed, "bad manifest"), "invalid_module"},
	{&UnschedulableError{Resource: "gpu", Requested: 1}, "unschedulable"},
	{fmt.Errorf("spawn: %w", errors.Join(ErrAdmissionTimeout, context.DeadlineExceeded)), "admission_timeout"},
	{fmt.Errorf("%w: x", ErrPersist), "unavailable"},
	{context.Canceled, "unavailable"},
	{context.DeadlineExceeded, "deadline_exceeded"},
	{fmt.Errorf("x: %w", ErrForbidden), "forbidden"},
	{fmt.Errorf("x: %w", ErrCheckpointNotFound), "checkpoint_not_found"},
	{fmt.Errorf("x: %w", ErrClassNotFound), "class_not_found"},
	{fmt.Errorf("x: %w", ErrActorNotFound), "actor_not_found"},
	{fmt.Errorf("x: %w", ErrMethodNotFound), "method_not_found"},
	{ErrFutureNotFound, "future_not_found"},
	{ErrNotFound, "not_found"},
	{fmt.Errorf("x: %w", ErrNameTaken), "name_taken"},
	{fmt.Errorf("x: %w", ErrClassInUse), "class_in_use"},
	{fmt.Errorf("x: %w", ErrDeadlock), "deadlock"},
	{fmt.Errorf("x: %w", ErrTooLarge), "too_large"},
	{fmt.Errorf("%w: %w", ErrInvalidArgument, abi.ErrTooLarge), "too_large"},
	{fmt.Errorf("x: %w", ErrArity), "arity"},
	{fmt.Errorf("x: %w", ErrReturnCount), "return_count"},
	{fmt.Errorf("x: %w", ErrBackpressure), "backpressure"},
	{fmt.Errorf("x: %w", ErrQuota), "quota_exceeded"},
	{fmt.Errorf("x: %w", ErrInvalidOptions), "invalid_argument"},
	{&NameError{Kind: "actor name", Name: "", Reason: "empty"}, "invalid_argument"},
	{fmt.Errorf("x: %w", ErrInvalidArgument), "invalid_argument"},
	{fmt.Errorf("%w: %w", ErrInvalidArgument, abi.ErrEncode), "invalid_argument"},
	{abi.ErrMalformed, "invalid_argument"},
	{ErrBadRequest, "bad_request"},
	{ErrUnauthorized, "unauthorized"},
	{ErrMethodNotAllowed, "method_not_allowed"},
	{ErrUnsupportedMediaType, "unsupported_media_type"},
	{ErrRequestTimeout, "request_timeout"},
	{errors.New("a bug"), "internal"},
}

// TestCodeOf: every error takes its code, whatever the order of the table.
func TestCodeOf(t *testing.T) {
	saved := Codes
	defer func() { Codes = saved }()
	for round := range 20 {
		if round > 0 {
			Codes = append([]Code(nil), saved...)
			rand.Shuffle(len(Codes), func(i, j int) { Codes[i], Codes[j] = Codes[j], Codes[i] })
		}
		for _, tc := range codeCases {
			if got := CodeOf(tc.err); got.Name != tc.code {
				t.Fatalf("round %d: CodeOf(%v) = %s, want %s", round, tc.err, got.Name, tc.code)
			}
		}
	}
}

// TestCodesTable: ranks are unique (so order cannot matter), every code
// has one row with its sentinel, rows of one code agree on its status, a
// code's sentinel takes that code, and statuses are errors.
func TestCodesTable(t *testing.T) {
	ranks := map[int]string{}
	status := map[string]int{}
	sentinels := map[string]int{}
	for _, c := range Codes {
		if other, ok := ranks[c.Rank]; ok {
			t.Errorf("%s and %s share rank %d", c.Name, other, c.Rank)
		}
		ranks[c.Rank] = c.Name
		if s, ok := status[c.Name]; ok && s != c.Status {
			t.Errorf("%s: statuses %d and %d", c.Name, s, c.Status)
		}
		status[c.Name] = c.Status
		if c.Status < 400 || c.Status > 599 {
			t.Errorf("%s: status %d", c.Name, c.Status)
		}
		if c.Err != nil {
			sentinels[c.Name]++
			if got := CodeOf(c.Err); got.Name != c.Name {
				t.Errorf("CodeOf(%s's sentinel %v) = %s", c.Name, c.Err, got.Name)
			}
			if got, ok := CodeNamed(c.Name); !ok || got.Err != c.Err {
				t.Errorf("CodeNamed(%s) = %v, %v", c.Name, got.Err, ok)
			}
		}
		for _, e := range c.Also {
			if got := CodeOf(e); got.Name != c.Name {
				t.Errorf("CodeOf(%v) = %s, want %s", e, got.Name, c.Name)
			}
		}
	}
	for name := range status {
		if sentinels[name] != 1 {
			t.Errorf("%s: %d rows with a sentinel, want 1", name, sentinels[name])
		}
	}
	if _, ok := CodeNamed("no_such_code"); ok {
		t.Error("CodeNamed(no_such_code) ok")
	}
	if !errors.Is(ErrActorNotFound, ErrNotFound) || ErrActorNotFound.Error() != "actor not found" {
		t.Errorf("ErrActorNotFound %q does not wrap ErrNotFound", ErrActorNotFound)
	}
}

// guestCases: an error and the code a guest sees for it (the outcome of an
// import). The pairs that match several rows are the ones the host makes.
var guestCases = []struct {
	err  error
	code string
}{
	{&AppError{Code: "my.code", Message: "m"}, "my.code"},
	{fmt.Errorf("argument 0 (future x): %w", &AppError{Code: "c", Message: "m"}), "c"},
	{&ActorDiedError{Reason: DeathKilled, Cause: &AppError{Code: "c", Message: "m"}}, "c"},
	{fmt.Errorf("x: %w", ErrForbidden), abi.CodeForbidden},
	{fmt.Errorf("%w: %w", ErrForbidden, ErrClassNotFound), abi.CodeForbidden},
	{fmt.Errorf("x: %w", ErrDeadlock), abi.CodeDeadlock},
	{&ActorDiedError{Reason: DeathKilled}, abi.CodeActorDied},
	{&ActorDiedError{Reason: DeathHostClosed}, abi.CodeActorDied},
	{&ActorDiedError{Reason: DeathInitFailed, Cause: &TrapError{Reason: TrapGuest}}, abi.CodeActorDied},
	{&TrapError{Reason: TrapGuest}, abi.CodeTrap},
	{&TrapError{Reason: TrapDeadline}, abi.CodeTrap},
	{&TrapError{Reason: TrapCancelled}, abi.CodeTrap},
	{&TrapError{Reason: TrapFuel}, abi.CodeTrap},
	{fmt.Errorf("x: %w", ErrActorNotFound), abi.CodeActorNotFound},
	{fmt.Errorf("x: %w", ErrMethodNotFound), abi.CodeMethodNotFound},
	{fmt.Errorf("x: %w", ErrArity), abi.CodeArity},
	{fmt.Errorf("x: %w", ErrBackpressure), abi.CodeBackpressure},
	{fmt.Errorf("x: %w", ErrQuota), abi.CodeQuota},
	{fmt.Errorf("x: %w", ErrNameTaken), abi.CodeNameTaken},
	{fmt.Errorf("x: %w", ErrInvalidArgument), abi.CodeBadArgs},
	{fmt.Errorf("%w: %w", ErrInvalidArgument, abi.ErrTooLarge), abi.CodeBadArgs},
	{fmt.Errorf("%w: %w", ErrInvalidArgument, abi.ErrMalformed), abi.CodeBadArgs},
	{fmt.Errorf("%w: %w", ErrInvalidArgument, abi.ErrEncode), abi.CodeBadArgs},
	{fmt.Errorf("x: %w", ErrTooLarge), abi.CodeBadArgs},
	{fmt.Errorf("x: %w", ErrInvalidOptions), abi.CodeBadArgs},
	{fmt.Errorf("x: %w", ErrClassNotFound), abi.CodeBadArgs},
	{abi.ErrMalformed, abi.CodeBadArgs},
	{&NameError{Kind: "actor name", Name: "", Reason: "empty"}, abi.CodeBadArgs},
	{fmt.Errorf("spawn: interrupted: %w", context.Canceled), abi.CodeCancelled},
	{context.DeadlineExceeded, abi.CodeCancelled},
	{fmt.Errorf("spawn: %w", errors.Join(ErrAdmissionTimeout, context.DeadlineExceeded)), abi.CodeCancelled},
	{ErrClosed, abi.CodeError},
	{fmt.Errorf("%w: x", ErrPersist), abi.CodeError},
	{&UnschedulableError{Resource: "gpu", Requested: 1}, abi.CodeError},
	{fmt.Errorf("x: %w", ErrReturnCount), abi.CodeError},
	{fmt.Errorf("x: %w", ErrDamaged), abi.CodeError},
	{abi.ErrEncode, abi.CodeError},
	{errors.New("a bug"), abi.CodeError},
}

// TestGuestCodeOf: every error gives a guest its code, whatever the order
// of the table, with the error's message (an application error's own).
func TestGuestCodeOf(t *testing.T) {
	saved := Codes
	defer func() { Codes = saved }()
	for round := range 20 {
		if round > 0 {
			Codes = append([]Code(nil), saved...)
			rand.Shuffle(len(Codes), func(i, j int) { Codes[i], Codes[j] = Codes[j], Codes[i] })
		}
		for _, tc := range guestCases {
			code, msg := GuestCodeOf(tc.err)
			if code != tc.code {
				t.Fatalf("round %d: GuestCodeOf(%v) = %s, want %s", round, tc.err, code, tc.code)
			}
			var ae *AppError
			if want := tc.err.Error(); errors.As(tc.err, &ae) {
				if msg != ae.Message {
					t.Fatalf("GuestCodeOf(%v): message %q, want the application's %q", tc.err, msg, ae.Message)
				}
			} else if msg != want {
				t.Fatalf("GuestCodeOf(%v): message %q, want %q", tc.err, msg, want)
			}
		}
	}
}
