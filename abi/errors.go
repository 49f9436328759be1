package abi

import (
	"errors"
	"strings"
)

// Sentinel errors of package abi. Errors returned by the codecs wrap one of
// these with %w, so callers test with errors.Is.
var (
	// ErrMalformed: bytes that are not well-formed CBOR within the decode limits.
	ErrMalformed = errors.New("abi: malformed CBOR")
	// ErrTooLarge: an encoded value over the applicable byte limit.
	ErrTooLarge = errors.New("abi: value too large")
	// ErrEnvelope: a well-formed item that is not a valid result envelope.
	ErrEnvelope = errors.New("abi: invalid result envelope")
	// ErrManifest: a manifest that does not decode or is inconsistent.
	ErrManifest = errors.New("abi: invalid manifest")
	// ErrEncode: a Go value that cannot be encoded as CBOR.
	ErrEncode = errors.New("abi: cannot encode value")
	// ErrModule: a module that breaks the contract (Check, CheckManifest;
	// the error is a *CheckError).
	ErrModule = errors.New("abi: invalid module")
)

// causedBy is an error of a sentinel (outer) caused by another error of this
// package (inner): errors.Is finds both, and the message names the package
// once ("abi: invalid result envelope: malformed CBOR: ..."), not before
// each part.
type causedBy struct {
	outer, inner error
	msg          string
}

func (e *causedBy) Error() string   { return e.msg }
func (e *causedBy) Unwrap() []error { return []error{e.outer, e.inner} }

// wrap returns outer caused by inner, with what (if any) between them.
func wrap(outer error, what string, inner error) error {
	msg := outer.Error()
	if what != "" {
		msg += ": " + what
	}
	return &causedBy{outer: outer, inner: inner, msg: msg + ": " + strings.TrimPrefix(inner.Error(), "abi: ")}
}
