package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/wactor/wactor/abi"
)

// Code is one row of the API's table of error codes (docs/API.md,
// "Errors"): the stable code an error response carries, its HTTP status,
// and the errors that take it.
type Code struct {
	// Name is the code, such as "actor_not_found".
	Name string
	// Status is the HTTP status of a response with this code.
	Status int
	// Err is the code's sentinel: an error that wraps it takes the code,
	// and a client's error of this code unwraps to it. Nil for a row that
	// only adds errors to a code another row names.
	Err error
	// Also lists other errors that take this code.
	Also []error
	// Match, if set, selects more errors: it is asked about each error in
	// err's tree (for typed errors whose fields decide the code).
	Match func(error) bool
	// Rank decides between rows that all match an error: the highest wins.
	// Ranks are unique, so the table's order does not matter.
	Rank int
	// Guest is the code (abi.Code*) a guest sees for the row's errors as
	// the outcome of one of its imports (GuestCodeOf); empty for errors a
	// guest sees as abi.CodeError.
	Guest string
}

// Codes is the API's table of error codes. A code may have several rows
// when the errors that take it rank differently against other codes' (a
// dead actor wins over the trap that killed it, but a host that closed
// wins over the dead actor).
var Codes = []Code{
	// Shutting down: the host closed, or an actor died because it did.
	{Name: "unavailable", Status: http.StatusServiceUnavailable, Err: ErrUnavailable, Also: []error{ErrClosed}, Match: diedOfHostClose, Rank: 100},
	{Name: "actor_damaged", Status: http.StatusConflict, Err: ErrDamaged, Rank: 95},
	{Name: "actor_died", Status: http.StatusGone, Err: ErrActorDied, Rank: 90, Guest: abi.CodeActorDied},
	// The only cancellation the server applies to a call is its timeout,
	// so a call cancelled while it ran is one that ran out of time.
	{Name: "deadline_exceeded", Status: http.StatusGatewayTimeout, Match: trapTimedOut, Rank: 87},
	{Name: "trap", Status: http.StatusBadGateway, Err: ErrTrap, Rank: 85, Guest: abi.CodeTrap},
	{Name: "app_error", Status: http.StatusUnprocessableEntity, Err: ErrApp, Rank: 80},
	{Name: "invalid_module", Status: http.StatusUnprocessableEntity, Err: ErrInvalidModule, Rank: 75},
	{Name: "unschedulable", Status: http.StatusBadRequest, Err: ErrUnschedulable, Rank: 70},
	{Name: "admission_timeout", Status: http.StatusServiceUnavailable, Err: ErrAdmissionTimeout, Rank: 65},
	// Could not persist, or the request was cancelled: try again later.
	{Name: "unavailable", Status: http.StatusServiceUnavailable, Also: []error{ErrPersist}, Rank: 55},
	{Name: "unavailable", Status: http.StatusServiceUnavailable, Also: []error{context.Canceled}, Rank: 54, Guest: abi.CodeCancelled},
	{Name: "deadline_exceeded", Status: http.StatusGatewayTimeout, Err: context.DeadlineExceeded, Rank: 50, Guest: abi.CodeCancelled},
	{Name: "forbidden", Status: http.StatusForbidden, Err: ErrForbidden, Rank: 45, Guest: abi.CodeForbidden},
	{Name: "checkpoint_not_found", Status: http.StatusNotFound, Err: ErrCheckpointNotFound, Rank: 44},
	{Name: "class_not_found", Status: http.StatusNotFound, Err: ErrClassNotFound, Rank: 43, Guest: abi.CodeBadArgs},
	{Name: "actor_not_found", Status: http.StatusNotFound, Err: ErrActorNotFound, Rank: 42, Guest: abi.CodeActorNotFound},
	{Name: "method_not_found", Status: http.StatusNotFound, Err: ErrMethodNotFound, Rank: 41, Guest: abi.CodeMethodNotFound},
	{Name: "future_not_found", Status: http.StatusNotFound, Err: ErrFutureNotFound, Rank: 40},
	{Name: "name_taken", Status: http.StatusConflict, Err: ErrNameTaken, Rank: 39, Guest: abi.CodeNameTaken},
	{Name: "class_in_use", Status: http.StatusConflict, Err: ErrClassInUse, Rank: 38},
	{Name: "deadlock", Status: http.StatusConflict, Err: ErrDeadlock, Rank: 37, Guest: abi.CodeDeadlock},
	{Name: "too_large", Status: http.StatusRequestEntityTooLarge, Err: ErrTooLarge, Also: []error{abi.ErrTooLarge}, Rank: 36, Guest: abi.CodeBadArgs},
	{Name: "arity", Status: http.StatusUnprocessableEntity, Err: ErrArity, Rank: 35, Guest: abi.CodeArity},
	{Name: "return_count", Status: http.StatusUnprocessableEntity, Err: ErrReturnCount, Rank: 34},
	{Name: "backpressure", Status: http.StatusTooManyRequests, Err: ErrBackpressure, Rank: 33, Guest: abi.CodeBackpressure},
	{Name: "quota_exceeded", Status: http.StatusTooManyRequests, Err: ErrQuota, Rank: 32, Guest: abi.CodeQuota},
	{Name: "invalid_argument", Status: http.StatusBadRequest, Err: ErrInvalidArgument,
		Also: []error{ErrInvalidOptions, abi.ErrMalformed}, Rank: 31, Guest: abi.CodeBadArgs},
	// A guest sees a value that did not encode as wactor.error: the
	// host's fault, not its arguments'.
	{Name: "invalid_argument", Status: http.StatusBadRequest, Also: []error{abi.ErrEncode}, Rank: 29},
	// Codes of the HTTP layer: the server answers them itself.
	{Name: "not_found", Status: http.StatusNotFound, Err: ErrNotFound, Rank: 20},
	{Name: "bad_request", Status: http.StatusBadRequest, Err: ErrBadRequest, Rank: 19},
	{Name: "unauthorized", Status: http.StatusUnauthorized, Err: ErrUnauthorized, Rank: 18},
	{Name: "method_not_allowed", Status: http.StatusMethodNotAllowed, Err: ErrMethodNotAllowed, Rank: 17},
	{Name: "unsupported_media_type", Status: http.StatusUnsupportedMediaType, Err: ErrUnsupportedMediaType, Rank: 16},
	{Name: "request_timeout", Status: http.StatusRequestTimeout, Err: ErrRequestTimeout, Rank: 15},
	// Anything else is a bug in wactor, never a guest's fault.
	{Name: "internal", Status: http.StatusInternalServerError, Err: ErrInternal, Rank: 0},
}

// CodeOf returns the row of Codes for err: of the rows that match it (err
// wraps the row's Err or one of its Also, or the row's Match accepts an
// error in its tree), the one with the highest Rank; the "internal" row if
// none does.
func CodeOf(err error) Code {
	best, found := Code{}, false
	for _, c := range Codes {
		if (!found || c.Rank > best.Rank) && c.matches(err) {
			best, found = c, true
		}
	}
	if !found {
		best, _ = CodeNamed("internal")
	}
	return best
}

// GuestCodeOf returns the code and message a guest sees for err as the
// outcome of one of its imports (docs/ABI.md section 6): an application
// error's own code and message; else err's message with the Guest code of
// the highest-ranked row that matches err and has one, or abi.CodeError if
// none does.
func GuestCodeOf(err error) (code, message string) {
	var ae *AppError
	if errors.As(err, &ae) {
		return ae.Code, ae.Message
	}
	best, found := Code{}, false
	for _, c := range Codes {
		if c.Guest != "" && (!found || c.Rank > best.Rank) && c.matches(err) {
			best, found = c, true
		}
	}
	if !found {
		return abi.CodeError, err.Error()
	}
	return best.Guest, err.Error()
}

// CodeNamed returns the row that names code's sentinel (the row with an
// Err); ok is false for a code not in the table.
func CodeNamed(code string) (c Code, ok bool) {
	for _, c := range Codes {
		if c.Name == code && c.Err != nil {
			return c, true
		}
	}
	return Code{}, false
}

func (c Code) matches(err error) bool {
	if err == nil {
		return false
	}
	if c.Err != nil && errors.Is(err, c.Err) {
		return true
	}
	for _, e := range c.Also {
		if errors.Is(err, e) {
			return true
		}
	}
	return c.Match != nil && anyInTree(err, c.Match)
}

// anyInTree reports whether f accepts err or an error it wraps.
func anyInTree(err error, f func(error) bool) bool {
	for err != nil {
		if f(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if anyInTree(e, f) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// diedOfHostClose: an actor that died because its host closed.
func diedOfHostClose(err error) bool {
	d, ok := err.(*ActorDiedError)
	return ok && d.Reason == DeathHostClosed
}

// trapTimedOut: a call stopped at its deadline or cancelled.
func trapTimedOut(err error) bool {
	t, ok := err.(*TrapError)
	return ok && (t.Reason == TrapDeadline || t.Reason == TrapCancelled)
}
