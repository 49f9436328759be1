package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"github.com/wactor/wactor/api"
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

// codeStatus maps every error code to its HTTP status: api.Codes as a map.
var codeStatus = func() map[string]int {
	m := make(map[string]int, len(api.Codes))
	for _, c := range api.Codes {
		m[c.Name] = c.Status
	}
	return m
}()

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

// errorFor maps any error to its API error: its code is api.CodeOf's (the
// table of codes is data, in package api), its details are the fields of
// the typed error behind it. The server's own errors (*apiError) and a
// body over its limit are taken as they are.
func errorFor(err error) *apiError {
	var (
		ae  *apiError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return &apiError{Code: codeTooLarge, Message: fmt.Sprintf("request body over the limit of %d bytes", mbe.Limit)}
	}
	e := &apiError{Code: api.CodeOf(err).Name, Message: apiMessage(err)}
	var (
		died  *api.ActorDiedError
		trap  *api.TrapError
		app   *api.AppError
		mod   *api.ModuleError
		dmg   *api.DamagedError
		unsch *api.UnschedulableError
	)
	switch e.Code {
	case codeUnavailable:
		switch {
		case errors.As(err, &died):
			e.Details = map[string]any{"reason": string(died.Reason)}
		case errors.Is(err, api.ErrClosed):
			e.Message = "the host is shutting down"
		case errors.Is(err, context.Canceled):
			e.Message = "request cancelled: " + e.Message
		}
	case codeActorDamaged:
		if errors.As(err, &dmg) {
			e.Details = map[string]any{"reason": dmg.Reason}
		}
	case codeActorDied:
		if errors.As(err, &died) {
			e.Details = map[string]any{"reason": string(died.Reason)}
		}
	case codeTrap, codeDeadlineExceeded:
		if errors.As(err, &trap) {
			e.Details = map[string]any{"reason": string(trap.Reason)}
			if trap.GuestOutput != "" {
				e.Details["guest_output"] = trap.GuestOutput
			}
		}
	case codeAppError:
		if errors.As(err, &app) {
			e.Details = map[string]any{"code": app.Code, "message": app.Message}
		}
	case codeInvalidModule:
		reason := e.Message
		if errors.As(err, &mod) {
			reason = mod.Reason
		}
		e.Details = map[string]any{"reason": reason}
	case codeUnschedulable:
		if errors.As(err, &unsch) {
			e.Details = map[string]any{"resource": unsch.Resource, "requested": unsch.Requested, "capacity": unsch.Capacity}
		}
	}
	return e
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
