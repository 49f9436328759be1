package client

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wactor/wactor/api"
)

// Error is an error reported by the server: the HTTP status and the API's
// stable error code (docs/API.md, "Errors"), with the server's message and
// details. It unwraps to the code's sentinel in package api (api.Codes), so
// errors.Is(err, api.ErrActorNotFound) holds for a client's error as for the
// host's; and, where the details allow, to the api's typed error
// (*api.AppError, *api.TrapError, *api.ActorDiedError, *api.DamagedError,
// *api.ModuleError, *api.UnschedulableError) for errors.As.
type Error struct {
	// Status is the HTTP status (for errors inside batch results and log
	// streams, the status the code has in the API's table).
	Status int
	// Code is the stable error code, such as "arity" or "actor_not_found".
	Code string
	// Message is the server's human-readable text.
	Message string
	// Details holds the code's details: for app_error the guest's "code" and
	// "message"; for trap "reason" and "guest_output"; for actor_died and
	// invalid_module "reason".
	Details map[string]any
	// RetryAfter is the server's Retry-After hint (backpressure), or 0.
	RetryAfter time.Duration
}

// Error returns "code: message".
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Detail returns a detail as a string ("" if absent or not a string).
func (e *Error) Detail(key string) string {
	s, _ := e.Details[key].(string)
	return s
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Unwrap returns the api error of e's code: the typed error its details
// describe, else the code's sentinel (api.ErrNotFound for a *_not_found
// code this client does not know; nil for another unknown code).
func (e *Error) Unwrap() error {
	switch e.Code {
	case "app_error":
		return &api.AppError{Code: e.Detail("code"), Message: e.Detail("message")}
	case "trap", "deadline_exceeded":
		// A call cancelled under its timeout is deadline_exceeded too, and
		// matches context.DeadlineExceeded, not a cancelled trap.
		if r := api.TrapReason(e.Detail("reason")); r != "" && (e.Code == "trap" || r == api.TrapDeadline) {
			return &api.TrapError{Reason: r, Message: e.Message, GuestOutput: e.Detail("guest_output")}
		}
	case "actor_died":
		return &api.ActorDiedError{Reason: api.DeathReason(e.Detail("reason"))}
	case "actor_damaged":
		return &api.DamagedError{Reason: e.Detail("reason")}
	case "invalid_module":
		return &api.ModuleError{Reason: e.Detail("reason")}
	case "unschedulable":
		req, _ := e.Details["requested"].(float64)
		capa, _ := e.Details["capacity"].(float64)
		return &api.UnschedulableError{Resource: e.Detail("resource"), Requested: req, Capacity: capa}
	}
	if c, ok := api.CodeNamed(e.Code); ok {
		return c.Err
	}
	if strings.HasSuffix(e.Code, "_not_found") {
		return api.ErrNotFound
	}
	return nil
}

func statusForCode(code string) int {
	if c, ok := api.CodeNamed(code); ok {
		return c.Status
	}
	return 0
}

// codeForStatus guesses a code for an error response without an error body
// (a proxy in between, or a server that is not wactor).
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusTooManyRequests:
		return "backpressure"
	case http.StatusNotImplemented:
		return "not_implemented"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusGatewayTimeout:
		return "deadline_exceeded"
	}
	return fmt.Sprintf("http_%d", status)
}
