package tenancy

import "strings"

// ForbiddenEvent describes one refused access across a namespace wall
// (ErrForbidden), as the host reports it to its observer.
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

// MaxEcho is how many bytes of a guest's a refusal echoes at most.
const MaxEcho = 256

// Clip bounds what a refusal echoes of a guest's bytes (a namespace can be
// as long as the arguments): at most MaxEcho bytes, then "...".
func Clip(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	return strings.ToValidUTF8(s[:MaxEcho], "") + "..."
}

// ClipBytes is Clip of b, converting only the bytes it keeps.
func ClipBytes(b []byte) string { return Clip(string(b[:min(len(b), MaxEcho+1)])) }
