package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/scheduler"
)

// The error codes of the API: the single table of docs/API.md ("Errors").
// Every error response carries one of these codes, with the status of
// codeStatus. A guest's fault (a trap, an application error, a deadline) is
// never 500: internal is reserved for bugs in wactor.
const (
	codeBadRequest           = "bad_request"
	codeInvalidArgument      = "invalid_argument"
	codeUnauthorized         = "unauthorized"
	codeForbidden            = "forbidden"
	codeNotFound             = "not_found"
	codeMethodNotAllowed     = "method_not_allowed"
	codeClassNotFound        = "class_not_found"
	codeActorNotFound        = "actor_not_found"
	codeMethodNotFound       = "method_not_found"
	codeFutureNotFound       = "future_not_found"
	codeCheckpointNotFound   = "checkpoint_not_found"
	codeNameTaken            = "name_taken"
	codeClassInUse           = "class_in_use"
	codeDeadlock             = "deadlock"
	codeActorDied            = "actor_died"
	codeActorDamaged         = "actor_damaged"
	codeTooLarge             = "too_large"
	codeUnsupportedMediaType = "unsupported_media_type"
	codeRequestTimeout       = "request_timeout"
	codeArity                = "arity"
	codeInvalidModule        = "invalid_module"
	codeAppError             = "app_error"
	codeReturnCount          = "return_count"
	codeBackpressure         = "backpressure"
	codeQuotaExceeded        = "quota_exceeded"
	codeTrap                 = "trap"
	codeDeadlineExceeded     = "deadline_exceeded"
	codeUnavailable          = "unavailable"
	codeUnschedulable        = "unschedulable"
	codeAdmissionTimeout     = "admission_timeout"
	codeInternal             = "internal"
)

// codeStatus maps every error code to its HTTP status.
var codeStatus = map[string]int{
	codeBadRequest:           http.StatusBadRequest,
	codeInvalidArgument:      http.StatusBadRequest,
	codeUnauthorized:         http.StatusUnauthorized,
	codeForbidden:            http.StatusForbidden,
	codeNotFound:             http.StatusNotFound,
	codeMethodNotAllowed:     http.StatusMethodNotAllowed,
	codeClassNotFound:        http.StatusNotFound,
	codeActorNotFound:        http.StatusNotFound,
	codeMethodNotFound:       http.StatusNotFound,
	codeFutureNotFound:       http.StatusNotFound,
	codeCheckpointNotFound:   http.StatusNotFound,
	codeNameTaken:            http.StatusConflict,
	codeClassInUse:           http.StatusConflict,
	codeDeadlock:             http.StatusConflict,
	codeActorDied:            http.StatusGone,
	codeActorDamaged:         http.StatusConflict,
	codeTooLarge:             http.StatusRequestEntityTooLarge,
	codeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	codeRequestTimeout:       http.StatusRequestTimeout,
	codeArity:                http.StatusUnprocessableEntity,
	codeInvalidModule:        http.StatusUnprocessableEntity,
	codeAppError:             http.StatusUnprocessableEntity,
	codeReturnCount:          http.StatusUnprocessableEntity,
	codeBackpressure:         http.StatusTooManyRequests,
	codeQuotaExceeded:        http.StatusTooManyRequests,
	codeTrap:                 http.StatusBadGateway,
	codeDeadlineExceeded:     http.StatusGatewayTimeout,
	codeUnavailable:          http.StatusServiceUnavailable,
	codeUnschedulable:        http.StatusBadRequest,
	codeAdmissionTimeout:     http.StatusServiceUnavailable,
	codeInternal:             http.StatusInternalServerError,
}

// errFutureNotFound: no future with that ID in the caller's namespace (or its
// result expired).
var errFutureNotFound = errors.New("future not found")

// apiError is an error as the API reports it.
type apiError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// Error returns the code and the message.
func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// status returns the HTTP status of the error's code.
func (e *apiError) status() int {
	if s, ok := codeStatus[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// newError makes an API error with a formatted message.
func newError(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorFor maps any error to its API error: the one place where host errors
// become codes. Typed errors are tested before the sentinels they wrap, and
// a dead actor before the trap that may have killed it (an *ActorDiedError
// unwraps to its cause).
func errorFor(err error) *apiError {
	var (
		ae      *apiError
		mbe     *http.MaxBytesError
		died    *host.ActorDiedError
		trap    *host.TrapError
		app     *host.AppError
		mod     *host.ModuleError
		unsched *scheduler.InsufficientResourcesError
		dmg     *host.DamagedError
	)
	msg := apiMessage(err)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return &apiError{Code: codeTooLarge, Message: fmt.Sprintf("request body over the limit of %d bytes", mbe.Limit)}
	case errors.Is(err, host.ErrClosed):
		return &apiError{Code: codeUnavailable, Message: "the host is shutting down"}
	case errors.As(err, &dmg):
		return &apiError{Code: codeActorDamaged, Message: msg, Details: map[string]any{"reason": dmg.Reason}}
	case errors.Is(err, host.ErrDamaged):
		return &apiError{Code: codeActorDamaged, Message: msg}
	case errors.As(err, &died):
		if died.Reason == host.DeathHostClosed {
			return &apiError{Code: codeUnavailable, Message: msg, Details: map[string]any{"reason": string(died.Reason)}}
		}
		return &apiError{Code: codeActorDied, Message: msg, Details: map[string]any{"reason": string(died.Reason)}}
	case errors.As(err, &trap):
		d := map[string]any{"reason": string(trap.Reason)}
		if trap.GuestOutput != "" {
			d["guest_output"] = trap.GuestOutput
		}
		if trap.Reason == host.TrapDeadline || trap.Reason == host.TrapCancelled {
			// The only cancellation the server applies is timeout_ms.
			return &apiError{Code: codeDeadlineExceeded, Message: msg, Details: d}
		}
		return &apiError{Code: codeTrap, Message: msg, Details: d}
	case errors.As(err, &app):
		return &apiError{Code: codeAppError, Message: msg, Details: map[string]any{"code": app.Code, "message": app.Message}}
	case errors.As(err, &mod):
		return &apiError{Code: codeInvalidModule, Message: msg, Details: map[string]any{"reason": mod.Reason}}
	case errors.Is(err, host.ErrInvalidModule):
		return &apiError{Code: codeInvalidModule, Message: msg, Details: map[string]any{"reason": msg}}
	case errors.As(err, &unsched):
		return &apiError{Code: codeUnschedulable, Message: msg, Details: map[string]any{
			"resource": unsched.Resource, "requested": unsched.Requested, "capacity": unsched.Capacity}}
	case errors.Is(err, scheduler.ErrAdmissionTimeout):
		return &apiError{Code: codeAdmissionTimeout, Message: msg}
	case errors.Is(err, scheduler.ErrInvalidResources):
		return &apiError{Code: codeInvalidArgument, Message: msg}
	case errors.Is(err, host.ErrPersist):
		return &apiError{Code: codeUnavailable, Message: msg}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Code: codeDeadlineExceeded, Message: msg}
	case errors.Is(err, context.Canceled):
		return &apiError{Code: codeUnavailable, Message: "request cancelled: " + msg}
	case errors.Is(err, host.ErrForbidden):
		return &apiError{Code: codeForbidden, Message: msg}
	case errors.Is(err, host.ErrCheckpointNotFound):
		return &apiError{Code: codeCheckpointNotFound, Message: msg}
	case errors.Is(err, host.ErrClassNotFound):
		return &apiError{Code: codeClassNotFound, Message: msg}
	case errors.Is(err, host.ErrActorNotFound):
		return &apiError{Code: codeActorNotFound, Message: msg}
	case errors.Is(err, host.ErrMethodNotFound):
		return &apiError{Code: codeMethodNotFound, Message: msg}
	case errors.Is(err, errFutureNotFound):
		return &apiError{Code: codeFutureNotFound, Message: msg}
	case errors.Is(err, host.ErrNameTaken):
		return &apiError{Code: codeNameTaken, Message: msg}
	case errors.Is(err, host.ErrClassInUse):
		return &apiError{Code: codeClassInUse, Message: msg}
	case errors.Is(err, host.ErrDeadlock):
		return &apiError{Code: codeDeadlock, Message: msg}
	case errors.Is(err, host.ErrTooLarge), errors.Is(err, abi.ErrTooLarge):
		return &apiError{Code: codeTooLarge, Message: msg}
	case errors.Is(err, host.ErrArity):
		return &apiError{Code: codeArity, Message: msg}
	case errors.Is(err, host.ErrReturnCount):
		return &apiError{Code: codeReturnCount, Message: msg}
	case errors.Is(err, host.ErrBackpressure):
		return &apiError{Code: codeBackpressure, Message: msg}
	case errors.Is(err, host.ErrQuota):
		return &apiError{Code: codeQuotaExceeded, Message: msg}
	case errors.Is(err, host.ErrInvalidOptions), errors.Is(err, host.ErrInvalidArgument),
		errors.Is(err, abi.ErrEncode), errors.Is(err, abi.ErrMalformed):
		return &apiError{Code: codeInvalidArgument, Message: msg}
	}
	return &apiError{Code: codeInternal, Message: msg}
}

// apiMessage is err's message without the server's file paths: the file
// errors (*fs.PathError, *os.LinkError) in its tree are shown as their
// operation and cause only ("write: no space left on device"), so a
// response never tells a client where the data directory is.
func apiMessage(err error) string {
	msg := err.Error()
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
			return
		case *fs.PathError:
			msg = strings.ReplaceAll(msg, x.Error(), x.Op+": "+x.Err.Error())
			msg = strings.ReplaceAll(msg, x.Path, "(a file of the data directory)")
		case *os.LinkError:
			msg = strings.ReplaceAll(msg, x.Error(), x.Op+": "+x.Err.Error())
			for _, p := range []string{x.Old, x.New} {
				if p != "" {
					msg = strings.ReplaceAll(msg, p, "(a file of the data directory)")
				}
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		}
	}
	walk(err)
	return msg
}
