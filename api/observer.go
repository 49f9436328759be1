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
