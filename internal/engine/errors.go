package engine

import (
	"errors"
	"fmt"
	"strings"
)

// Errors returned by engines wrap one of these (test with errors.Is).
var (
	// ErrUnknownEngine: New was given a name no package registered.
	ErrUnknownEngine = errors.New("engine: unknown engine")
	// ErrCompile: the module is not valid, or uses a feature the engine or
	// its instrumentation does not support.
	ErrCompile = errors.New("engine: cannot compile module")
	// ErrLink: an import is not provided, or is provided with another type.
	ErrLink = errors.New("engine: cannot link module")
	// ErrInstantiate: instantiation failed for another reason (memory limit,
	// a trapping start function, a closed engine).
	ErrInstantiate = errors.New("engine: cannot instantiate module")
	// ErrNoFunc: Call named no exported function.
	ErrNoFunc = errors.New("engine: no such exported function")
	// ErrStack: the stack given to Call is too short for the function.
	ErrStack = errors.New("engine: stack too short for the call")
	// ErrClosed: the instance or module was closed.
	ErrClosed = errors.New("engine: closed")
	// ErrNoFuel: fuel was asked of an instance or engine without metering.
	ErrNoFuel = errors.New("engine: fuel metering not enabled")
	// ErrImmutable: Set on a constant global.
	ErrImmutable = errors.New("engine: global is immutable")

	// ErrTrap: the guest trapped (unreachable, out-of-bounds access, stack
	// overflow, ...). Every *TrapError matches it.
	ErrTrap = errors.New("engine: guest trapped")
	// ErrInterrupted: the call was stopped by Instance.Interrupt.
	ErrInterrupted = errors.New("engine: call interrupted")
	// ErrOutOfFuel: the call used up its fuel.
	ErrOutOfFuel = errors.New("engine: call ran out of fuel")
	// ErrHostFunc: a host function failed (panicked).
	ErrHostFunc = errors.New("engine: host function failed")
	// ErrExit: the guest called WASI proc_exit.
	ErrExit = errors.New("engine: guest exited")
)

// TrapKind says why a call trapped.
type TrapKind int

// Trap kinds.
const (
	// TrapGuest is a trap of the guest's own making.
	TrapGuest TrapKind = iota
	// TrapInterrupted is a call stopped by Instance.Interrupt.
	TrapInterrupted
	// TrapOutOfFuel is a call that used up its fuel.
	TrapOutOfFuel
	// TrapHost is a host function that failed.
	TrapHost
	// TrapExit is a guest that called WASI proc_exit (Cause is an *ExitError).
	TrapExit
)

// String names the kind.
func (k TrapKind) String() string {
	switch k {
	case TrapGuest:
		return "guest"
	case TrapInterrupted:
		return "interrupted"
	case TrapOutOfFuel:
		return "out of fuel"
	case TrapHost:
		return "host function"
	case TrapExit:
		return "exit"
	}
	return fmt.Sprintf("TrapKind(%d)", int(k))
}

// sentinel returns the sentinel error of the kind.
func (k TrapKind) sentinel() error {
	switch k {
	case TrapInterrupted:
		return ErrInterrupted
	case TrapOutOfFuel:
		return ErrOutOfFuel
	case TrapHost:
		return ErrHostFunc
	case TrapExit:
		return ErrExit
	}
	return ErrTrap
}

// TrapError is a call that trapped. errors.Is matches ErrTrap for every
// kind, and the kind's own sentinel (ErrInterrupted, ErrOutOfFuel,
// ErrHostFunc, ErrExit); errors.As finds the Cause.
type TrapError struct {
	Kind TrapKind
	// Func is the export called.
	Func string
	// Message is the engine's description of the trap (its first line).
	Message string
	// Cause is the error a host function panicked with (TrapHost, TrapExit),
	// else the engine's own error, if any.
	Cause error
}

// Error formats the trap.
func (e *TrapError) Error() string {
	var b strings.Builder
	b.WriteString("engine: ")
	b.WriteString(e.Func)
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	b.WriteString(" trap")
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the kind's sentinel, ErrTrap and the cause.
func (e *TrapError) Unwrap() []error {
	errs := []error{e.Kind.sentinel()}
	if e.Kind != TrapGuest {
		errs = append(errs, ErrTrap)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// ExitError is the cause of a TrapExit: the guest called WASI proc_exit.
type ExitError struct {
	Code uint32
}

// Error formats the exit.
func (e *ExitError) Error() string { return fmt.Sprintf("guest exited with code %d", e.Code) }

// FirstLine returns the first line of s, cut to 1 KiB: engines' trap messages
// carry a multi-line stack trace after the cause.
func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 1024 {
		s = s[:1024] + "..."
	}
	return s
}

// PanicError turns a recovered panic value into an error (the value itself
// when it is one).
func PanicError(r any) error {
	if err, ok := r.(error); ok {
		return err
	}
	return fmt.Errorf("%w: panic: %v", ErrHostFunc, r)
}

// HostTrap builds the *TrapError of a host function that panicked with err.
func HostTrap(fn string, err error) *TrapError {
	var exit *ExitError
	if errors.As(err, &exit) {
		return &TrapError{Kind: TrapExit, Func: fn, Message: exit.Error(), Cause: err}
	}
	return &TrapError{Kind: TrapHost, Func: fn, Message: FirstLine(err.Error()), Cause: err}
}
