package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound: something named in a request does not exist (or is not
// visible to the caller's namespace). ErrClassNotFound, ErrActorNotFound,
// ErrMethodNotFound, ErrCheckpointNotFound and ErrFutureNotFound wrap it.
var ErrNotFound = errors.New("not found")

// Sentinel errors of the API. Errors returned by the host, the server and
// the client wrap one of these (or are one of the typed errors below), so
// test with errors.Is/As. Codes maps each to its code in the HTTP API.
var (
	// ErrClosed: the host is closed.
	ErrClosed = errors.New("host closed")
	// ErrClassNotFound: no class with that ID is loaded.
	ErrClassNotFound = fmt.Errorf("class %w", ErrNotFound)
	// ErrActorNotFound: no live actor with that ID or name.
	ErrActorNotFound = fmt.Errorf("actor %w", ErrNotFound)
	// ErrMethodNotFound: the class has no such method.
	ErrMethodNotFound = fmt.Errorf("method %w", ErrNotFound)
	// ErrArity: the number of arguments does not match the method's manifest.
	ErrArity = errors.New("wrong number of arguments")
	// ErrInvalidModule: the module cannot be an actor class; *ModuleError says why.
	ErrInvalidModule = errors.New("invalid module")
	// ErrInvalidOptions: Options or Config failed validation.
	ErrInvalidOptions = errors.New("invalid options")
	// ErrInvalidArgument: arguments that cannot be encoded or decoded.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrTooLarge: arguments or a module over the configured size limit.
	ErrTooLarge = errors.New("too large")
	// ErrActorDied: the actor is dead; *ActorDiedError says why.
	ErrActorDied = errors.New("actor died")
	// ErrBackpressure: the actor's mailbox is full; retry later.
	ErrBackpressure = errors.New("actor mailbox full")
	// ErrNameTaken: another live actor has that name.
	ErrNameTaken = errors.New("actor name taken")
	// ErrReturnCount: the method returned a different number of values than
	// the caller asked for.
	ErrReturnCount = errors.New("wrong number of return values")
	// ErrTrap: the guest trapped; *TrapError has the details.
	ErrTrap = errors.New("guest trapped")
	// ErrApp: the guest returned an application error; *AppError has it.
	ErrApp = errors.New("application error")
	// ErrOutOfFuel: a call used up its fuel (Options.Fuel); *TrapError has it.
	ErrOutOfFuel = errors.New("out of fuel")
	// ErrDeadlock: waiting would close a cycle of actors waiting on each other.
	ErrDeadlock = errors.New("deadlock")
	// ErrClassInUse: the class has live actors.
	ErrClassInUse = errors.New("class in use")
	// ErrCheckpointNotFound: no kept checkpoint with that ID.
	ErrCheckpointNotFound = fmt.Errorf("checkpoint %w", ErrNotFound)
	// ErrQuota: a limit was reached, which the message names: an actor's
	// children (MaxChildren) or unresolved futures, the depth of
	// guest-initiated work (Config.MaxDepth), or a namespace's Quota
	// (actors, memory, pending calls, classes).
	ErrQuota = errors.New("quota exceeded")
	// ErrForbidden: an actor asked for something outside its namespace
	// (another namespace's actor, a spawn into another namespace), or a
	// namespace for a class it may use but not change. The message names
	// what was refused.
	ErrForbidden = errors.New("forbidden")
	// ErrPersist: the host could not write what Config.DataDir keeps (a
	// class, a durable actor's journal or checkpoint).
	ErrPersist = errors.New("could not persist")
	// ErrDamaged: the actor's files in Config.DataDir are damaged; it is not
	// served until an operator repairs or discards it (Host.RepairActor,
	// Host.DiscardActor). *DamagedError says why.
	ErrDamaged = errors.New("actor damaged")
)

// Sentinel errors of the HTTP API that the host does not return: the
// server answers with their codes, and the client's *Error unwraps to them.
var (
	// ErrFutureNotFound: no future with that ID in the caller's namespace,
	// or its result expired (the server's future TTL).
	ErrFutureNotFound = fmt.Errorf("future %w", ErrNotFound)
	// ErrBadRequest: a malformed request body or query parameter.
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthorized: a missing or unknown bearer token.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrMethodNotAllowed: a route called with the wrong HTTP method.
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrUnsupportedMediaType: a body of a type the route does not read.
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrRequestTimeout: the request's body did not arrive in time.
	ErrRequestTimeout = errors.New("request timeout")
	// ErrUnavailable: the server is shutting down, or could not persist
	// what it must (ErrClosed and ErrPersist have its code).
	ErrUnavailable = errors.New("unavailable")
	// ErrInternal: a bug in wactor (never a guest's fault).
	ErrInternal = errors.New("internal error")
)

// Errors of resource admission at spawn (Options.NumCPUs, NumGPUs,
// Memory, Resources against the host's Config.Node).
var (
	// ErrUnschedulable: the request can never fit on the host (more than
	// its whole capacity, or a custom resource it lacks);
	// *UnschedulableError says which resource.
	ErrUnschedulable = errors.New("unschedulable")
	// ErrAdmissionTimeout: the spawn waited for resources past the host's
	// admission timeout. Such an error also matches context.DeadlineExceeded.
	ErrAdmissionTimeout = errors.New("admission timed out")
)

// UnschedulableError reports a spawn whose resource request can never fit
// on the host: Requested is more than the host's whole Capacity of
// Resource (zero for a custom resource the host lacks; memory in bytes).
// It wraps ErrUnschedulable and Cause.
type UnschedulableError struct {
	Resource  string
	Requested float64
	Capacity  float64
	// Cause is the scheduler's error, whose message is shown; nil for one
	// decoded from an API response.
	Cause error
}

// Error names the resource, what was asked and what the host has.
func (e *UnschedulableError) Error() string {
	if e.Cause != nil {
		return e.Cause.Error()
	}
	return fmt.Sprintf("unschedulable: requested %g %s, the host has %g in all", e.Requested, e.Resource, e.Capacity)
}

// Unwrap returns ErrUnschedulable and the cause, if any.
func (e *UnschedulableError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrUnschedulable, e.Cause}
	}
	return []error{ErrUnschedulable}
}

// ErrInvalidName: a name that breaks the name grammar (CheckName). It
// wraps ErrInvalidOptions, so callers that test for invalid options see it
// too.
var ErrInvalidName = fmt.Errorf("%w: invalid name", ErrInvalidOptions)

// DamagedError is returned for a damaged actor. It wraps ErrDamaged.
type DamagedError struct {
	// ActorID is the damaged actor.
	ActorID string
	// Reason says what is damaged, in the API's words (Damage.Reason).
	Reason string
}

// Error says which actor is damaged, why, and what an operator can do.
func (e *DamagedError) Error() string {
	return "actor " + e.ActorID + " is damaged (" + e.Reason + "): an operator must repair it from a checkpoint or discard it"
}

// Unwrap returns ErrDamaged.
func (e *DamagedError) Unwrap() error { return ErrDamaged }

// ModuleError says why a module was rejected. It wraps ErrInvalidModule.
type ModuleError struct {
	// Reason says what is wrong with the module, in the ABI's words.
	Reason string
	// Cause is the engine's or decoder's error, if any.
	Cause error
}

// Error says why the module was rejected.
func (e *ModuleError) Error() string { return "invalid module: " + e.Reason }

// Unwrap returns ErrInvalidModule and the underlying cause, if any.
func (e *ModuleError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrInvalidModule, e.Cause}
	}
	return []error{ErrInvalidModule}
}

// ModuleErrorf makes a ModuleError with a formatted reason.
func ModuleErrorf(cause error, format string, args ...any) *ModuleError {
	return &ModuleError{Reason: fmt.Sprintf(format, args...), Cause: cause}
}

// TrapReason classifies a TrapError.
type TrapReason string

// Trap reasons.
const (
	// TrapGuest: the guest trapped (unreachable, out-of-bounds, stack overflow, panic, proc_exit).
	TrapGuest TrapReason = "trap"
	// TrapDeadline: the call ran past its deadline.
	TrapDeadline TrapReason = "deadline"
	// TrapCancelled: the caller's context was cancelled while the call ran.
	TrapCancelled TrapReason = "cancelled"
	// TrapMemory: the guest ran out of memory within its limit.
	TrapMemory TrapReason = "memory"
	// TrapABI: the guest broke the ABI (bad pointer, malformed envelope, oversized result).
	TrapABI TrapReason = "abi"
	// TrapKilled: the actor was killed while the call ran.
	TrapKilled TrapReason = "killed"
	// TrapFuel: the call used up its fuel (Options.Fuel).
	TrapFuel TrapReason = "fuel"
)

// TrapError reports a call (or constructor) that did not complete because the
// guest failed. The sandbox is discarded after it. It wraps ErrTrap, and
// context.DeadlineExceeded or context.Canceled for those reasons.
type TrapError struct {
	ActorID string
	Method  string
	Reason  TrapReason
	// Message is the engine's description (e.g. "wasm error: unreachable").
	Message string
	// GuestOutput holds what the guest wrote to stderr during the call (its
	// first 2 KiB: runtimes put the cause first), then the last error-level
	// lines it logged through wactor.log during the call (at most 2 KiB: an
	// abort message logged before the trap); "" if none.
	GuestOutput string
}

// Error names the actor, the method, the reason and the guest's output.
func (e *TrapError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "actor %s: %s: %s", e.ActorID, e.Method, e.Reason)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.GuestOutput != "" {
		b.WriteString(" (guest: ")
		b.WriteString(strings.TrimSpace(e.GuestOutput))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap lets errors.Is match ErrTrap and the context errors.
func (e *TrapError) Unwrap() []error {
	switch e.Reason {
	case TrapDeadline:
		return []error{ErrTrap, context.DeadlineExceeded}
	case TrapCancelled:
		return []error{ErrTrap, context.Canceled}
	case TrapFuel:
		return []error{ErrTrap, ErrOutOfFuel}
	}
	return []error{ErrTrap}
}

// AppError is an application error returned by a method (docs/ABI.md
// section 4). The actor is still alive. It wraps ErrApp.
type AppError struct {
	Code    string
	Message string
}

// Error gives the guest's code and message.
func (e *AppError) Error() string { return "application error " + e.Code + ": " + e.Message }

// Unwrap returns ErrApp.
func (e *AppError) Unwrap() error { return ErrApp }

// DeathReason says why an actor died.
type DeathReason string

// Death reasons.
const (
	DeathKilled            DeathReason = "killed"
	DeathExited            DeathReason = "exited"
	DeathRestartsExhausted DeathReason = "restarts exhausted"
	DeathHostClosed        DeathReason = "host closed"
	DeathInitFailed        DeathReason = "constructor failed"
	DeathOwnerGone         DeathReason = "owner gone"
	// DeathDiscarded: an operator discarded the damaged actor
	// (Host.DiscardActor); its files are kept aside.
	DeathDiscarded DeathReason = "discarded"
)

// ActorDiedError is returned for calls to (or queued on) an actor that died.
// It wraps ErrActorDied, and the error that killed it if there was one.
type ActorDiedError struct {
	ActorID string
	Reason  DeathReason
	Cause   error
}

// Error names the actor and why it died.
func (e *ActorDiedError) Error() string {
	s := "actor " + e.ActorID + " died: " + string(e.Reason)
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns ErrActorDied and the cause.
func (e *ActorDiedError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrActorDied, e.Cause}
	}
	return []error{ErrActorDied}
}
