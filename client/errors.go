package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Error is an error reported by the server: the HTTP status and the API's
// stable error code (docs/API.md, "Errors"), with the server's message and
// details. errors.Is matches it against this package's sentinels by code.
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

// Is reports whether target is the sentinel for e's code. ErrNotFound matches
// every *_not_found code; a deadline_exceeded error also matches
// context.DeadlineExceeded.
func (e *Error) Is(target error) bool {
	if t, ok := target.(*Error); ok {
		return t.Code == e.Code
	}
	switch target {
	case ErrNotFound:
		return e.Code == "not_found" || strings.HasSuffix(e.Code, "_not_found")
	case context.DeadlineExceeded:
		return e.Code == "deadline_exceeded"
	}
	if s, ok := sentinelByCode[e.Code]; ok {
		return s == target
	}
	return false
}

// Sentinel errors: errors.Is(err, ErrX) is true when err is (or wraps) an
// *Error whose code is X's.
var (
	// ErrBadRequest: bad_request (malformed body or query parameter).
	ErrBadRequest = errors.New("bad_request")
	// ErrInvalidArgument: invalid_argument (arguments or options that do not
	// encode or validate).
	ErrInvalidArgument = errors.New("invalid_argument")
	// ErrUnauthorized: unauthorized (missing or unknown token).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: forbidden.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: not_found and every *_not_found code (class, actor,
	// method, future). An actor of another namespace is not found.
	ErrNotFound = errors.New("not_found")
	// ErrClassNotFound: class_not_found.
	ErrClassNotFound = errors.New("class_not_found")
	// ErrActorNotFound: actor_not_found.
	ErrActorNotFound = errors.New("actor_not_found")
	// ErrMethodNotFound: method_not_found.
	ErrMethodNotFound = errors.New("method_not_found")
	// ErrFutureNotFound: future_not_found (unknown, or expired after the
	// server's future TTL).
	ErrFutureNotFound = errors.New("future_not_found")
	// ErrMethodNotAllowed: method_not_allowed (a route called with the wrong
	// HTTP method).
	ErrMethodNotAllowed = errors.New("method_not_allowed")
	// ErrNameTaken: name_taken (another live actor has the name).
	ErrNameTaken = errors.New("name_taken")
	// ErrClassInUse: class_in_use (live actors use the class).
	ErrClassInUse = errors.New("class_in_use")
	// ErrDeadlock: deadlock (waiting would close a cycle of actors).
	ErrDeadlock = errors.New("deadlock")
	// ErrActorDied: actor_died; Details["reason"] says why.
	ErrActorDied = errors.New("actor_died")
	// ErrActorDamaged: actor_damaged, the actor's files on disk are damaged
	// and it is not served until repaired or discarded; Details["reason"]
	// says why.
	ErrActorDamaged = errors.New("actor_damaged")
	// ErrUnsupportedMediaType: unsupported_media_type (a body of a type the
	// route does not read).
	ErrUnsupportedMediaType = errors.New("unsupported_media_type")
	// ErrRequestTimeout: request_timeout (the body did not arrive within the
	// server's body timeout).
	ErrRequestTimeout = errors.New("request_timeout")
	// ErrUnschedulable: unschedulable (a spawn's resource request can never
	// fit on the server).
	ErrUnschedulable = errors.New("unschedulable")
	// ErrAdmissionTimeout: admission_timeout (a spawn waited for resources
	// past the server's admission timeout).
	ErrAdmissionTimeout = errors.New("admission_timeout")
	// ErrTooLarge: too_large (body, module or arguments over the limit).
	ErrTooLarge = errors.New("too_large")
	// ErrArity: arity (wrong number of arguments).
	ErrArity = errors.New("arity")
	// ErrInvalidModule: invalid_module; Details["reason"] says why.
	ErrInvalidModule = errors.New("invalid_module")
	// ErrAppError: app_error, the method returned an error; Details["code"]
	// and Details["message"] are the guest's.
	ErrAppError = errors.New("app_error")
	// ErrReturnCount: return_count.
	ErrReturnCount = errors.New("return_count")
	// ErrBackpressure: backpressure, the actor's mailbox is full. The client
	// never retries it; see Error.RetryAfter.
	ErrBackpressure = errors.New("backpressure")
	// ErrQuotaExceeded: quota_exceeded (an actor's limit of children or
	// outstanding futures).
	ErrQuotaExceeded = errors.New("quota_exceeded")
	// ErrTrap: trap, the guest failed; Details["reason"] and
	// Details["guest_output"] say how.
	ErrTrap = errors.New("trap")
	// ErrDeadline: deadline_exceeded (the call or request ran past its deadline).
	ErrDeadline = errors.New("deadline_exceeded")
	// ErrUnavailable: unavailable (the server is shutting down).
	ErrUnavailable = errors.New("unavailable")
	// ErrNotImplemented: not_implemented (a route an older or newer server lacks).
	ErrNotImplemented = errors.New("not_implemented")
	// ErrInternal: internal (a bug in wactor).
	ErrInternal = errors.New("internal")
)

var sentinelByCode = map[string]error{
	"bad_request":            ErrBadRequest,
	"invalid_argument":       ErrInvalidArgument,
	"unauthorized":           ErrUnauthorized,
	"forbidden":              ErrForbidden,
	"not_found":              ErrNotFound,
	"class_not_found":        ErrClassNotFound,
	"actor_not_found":        ErrActorNotFound,
	"method_not_found":       ErrMethodNotFound,
	"future_not_found":       ErrFutureNotFound,
	"method_not_allowed":     ErrMethodNotAllowed,
	"name_taken":             ErrNameTaken,
	"deadlock":               ErrDeadlock,
	"quota_exceeded":         ErrQuotaExceeded,
	"class_in_use":           ErrClassInUse,
	"actor_died":             ErrActorDied,
	"actor_damaged":          ErrActorDamaged,
	"unsupported_media_type": ErrUnsupportedMediaType,
	"request_timeout":        ErrRequestTimeout,
	"unschedulable":          ErrUnschedulable,
	"admission_timeout":      ErrAdmissionTimeout,
	"too_large":              ErrTooLarge,
	"arity":                  ErrArity,
	"invalid_module":         ErrInvalidModule,
	"app_error":              ErrAppError,
	"return_count":           ErrReturnCount,
	"backpressure":           ErrBackpressure,
	"trap":                   ErrTrap,
	"deadline_exceeded":      ErrDeadline,
	"unavailable":            ErrUnavailable,
	"not_implemented":        ErrNotImplemented,
	"checkpoint_not_found":   ErrNotFound,
	"internal":               ErrInternal,
}

// statusByCode is the API's table of codes and statuses.
var statusByCode = map[string]int{
	"bad_request":            http.StatusBadRequest,
	"invalid_argument":       http.StatusBadRequest,
	"unauthorized":           http.StatusUnauthorized,
	"forbidden":              http.StatusForbidden,
	"not_found":              http.StatusNotFound,
	"class_not_found":        http.StatusNotFound,
	"actor_not_found":        http.StatusNotFound,
	"method_not_found":       http.StatusNotFound,
	"future_not_found":       http.StatusNotFound,
	"method_not_allowed":     http.StatusMethodNotAllowed,
	"name_taken":             http.StatusConflict,
	"deadlock":               http.StatusConflict,
	"quota_exceeded":         http.StatusTooManyRequests,
	"class_in_use":           http.StatusConflict,
	"actor_died":             http.StatusGone,
	"actor_damaged":          http.StatusConflict,
	"unsupported_media_type": http.StatusUnsupportedMediaType,
	"request_timeout":        http.StatusRequestTimeout,
	"unschedulable":          http.StatusBadRequest,
	"admission_timeout":      http.StatusServiceUnavailable,
	"too_large":              http.StatusRequestEntityTooLarge,
	"arity":                  http.StatusUnprocessableEntity,
	"invalid_module":         http.StatusUnprocessableEntity,
	"app_error":              http.StatusUnprocessableEntity,
	"return_count":           http.StatusUnprocessableEntity,
	"backpressure":           http.StatusTooManyRequests,
	"trap":                   http.StatusBadGateway,
	"deadline_exceeded":      http.StatusGatewayTimeout,
	"unavailable":            http.StatusServiceUnavailable,
	"not_implemented":        http.StatusNotImplemented,
	"checkpoint_not_found":   http.StatusNotFound,
	"internal":               http.StatusInternalServerError,
}

func statusForCode(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
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
