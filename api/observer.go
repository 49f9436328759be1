package api

import "time"

// Observer receives a host's events for metrics and tracing
// (host.Config.Observer). Its methods are called synchronously on the
// host's goroutines (a call's worker), so they must be fast and must not
// call back into the host. Implementations must be safe for concurrent use.
type Observer interface {
	// CallDone reports a finished call: its queueing and running time and
	// its outcome (nil, *AppError, *TrapError, *ActorDiedError, ...).
	CallDone(e CallEvent)
	// ActorChanged reports an actor entering a state (alive, restarting, dead).
	ActorChanged(e ActorEvent)
}

// CallEvent describes one finished call.
type CallEvent struct {
	ActorID, Class, Method string
	Queued, Ran            time.Duration
	// Fuel is the fuel the call used, for actors with a fuel limit (0
	// otherwise). It is the same for the same call on the same state.
	Fuel uint64
	Err  error
}

// ActorEvent describes an actor's state change.
type ActorEvent struct {
	ActorID, Class string
	State          State
	// Death says why, when State is StateDead.
	Death DeathReason
}

// ForbiddenObserver is an Observer that also wants to know about refused
// accesses across namespaces (ErrForbidden): a tenant probing another's
// actors shows up here. The host calls Forbidden if its Observer implements
// it.
type ForbiddenObserver interface {
	Forbidden(e ForbiddenEvent)
}

// ForbiddenEvent describes one refused access.
type ForbiddenEvent struct {
	// Namespace is the namespace that asked; ActorID the actor that asked
	// ("" when the request came through the Go API).
	Namespace, ActorID string
	// Op is what was asked, in the ABI's words: an import ("get_actor",
	// "call", "send", "kill", "spawn") or "delete_class".
	Op string
	// Target names what was refused: an actor ID, a namespace, a class ID.
	Target string
	// Err is the error the caller got (it wraps ErrForbidden).
	Err error
}
