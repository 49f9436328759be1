package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of the API. Errors returned by the host, the server and
// the client wrap one of these (or are one of the typed errors below), so test with errors.Is/As.
var (
	// ErrClosed: the host is closed.
	ErrClosed = errors.New("host closed")
	// ErrClassNotFound: no class with that ID is loaded.
	ErrClassNotFound = errors.New("class not found")
	// ErrActorNotFound: no live actor with that ID or name.
	ErrActorNotFound = errors.New("actor not found")
	// ErrMethodNotFound: the class has no such method.
	ErrMethodNotFound = errors.New("method not found")
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
	ErrCheckpointNotFound = errors.New("checkpoint not found")
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
