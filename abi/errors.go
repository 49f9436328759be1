package abi

import "errors"

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
)
