package abi

// Error codes of the error envelopes the host makes (docs/ABI.md section 6):
// a guest's actor-to-actor import (call, send, await, spawn, get_actor,
// kill) that fails in the host takes an envelope [2, code, message] with
// one of these codes. Every code starts with "wactor."; any other code is an
// application error of the called method, passed through unchanged.
const (
	// CodeActorNotFound: no live actor with that handle, or no actor with
	// that name.
	CodeActorNotFound = "wactor.actor_not_found"
	// CodeMethodNotFound: the target's class has no such method.
	CodeMethodNotFound = "wactor.method_not_found"
	// CodeArity: the wrong number of arguments for the method.
	CodeArity = "wactor.arity"
	// CodeActorDied: the target died before or during the call.
	CodeActorDied = "wactor.actor_died"
	// CodeTrap: the target trapped on this call.
	CodeTrap = "wactor.trap"
	// CodeDeadlock: waiting would close a cycle of actors waiting on each
	// other (for instance an actor calling itself); the message names the
	// chain.
	CodeDeadlock = "wactor.deadlock"
	// CodeBackpressure: the target's mailbox is full.
	CodeBackpressure = "wactor.backpressure"
	// CodeQuota: a limit, named in the message: the calling actor's
	// children or unresolved futures, a future dropped before it was
	// awaited, the depth of guest-initiated work, a quota of the namespace
	// or the host's limit of waiting guests.
	CodeQuota = "wactor.quota"
	// CodeBadHandle: a target that is not a well-formed actor handle.
	CodeBadHandle = "wactor.bad_handle"
	// CodeBadArgs: a malformed method name, argument list or options.
	CodeBadArgs = "wactor.bad_args"
	// CodeNameTaken: a spawn asked for a name that a live actor of the
	// namespace has.
	CodeNameTaken = "wactor.name_taken"
	// CodeCancelled: the calling actor's own call was interrupted (deadline,
	// kill, host shutdown) while it waited.
	CodeCancelled = "wactor.cancelled"
	// CodeForbidden: the request reached outside the calling actor's
	// namespace (another namespace's actor, or a spawn into another
	// namespace).
	CodeForbidden = "wactor.forbidden"
	// CodeError: anything else the host refused (for one, an actor call or
	// spawn made while the class is still loading); the message says what.
	CodeError = "wactor.error"
)
