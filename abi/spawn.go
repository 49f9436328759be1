package abi

// SpawnOptions is the opts map of the spawn import (docs/ABI.md section 6):
// an encoded map whose keys are all optional. A key left out takes the
// host's default; max_restarts or call_timeout_ms present with 0 asks for
// zero (no restarts; no deadline of the child's own). Package abi/codec
// decodes it (the tags are its field names).
type SpawnOptions struct {
	// Name registers the child under a name in Namespace.
	Name string `cbor:"name,omitempty"`
	// Namespace is empty or the spawning actor's own namespace.
	Namespace string `cbor:"namespace,omitempty"`
	// Detached: the child outlives its owner.
	Detached bool `cbor:"detached,omitempty"`
	// GetIfExists returns the live actor of that name instead of failing
	// with CodeNameTaken.
	GetIfExists bool `cbor:"get_if_exists,omitempty"`
	// MaxRestarts bounds the restarts after traps (nil: the default).
	MaxRestarts *int `cbor:"max_restarts,omitempty"`
	// MemoryPages limits the child's memory, in 64 KiB pages.
	MemoryPages uint32 `cbor:"memory_pages,omitempty"`
	// CallTimeoutMS is the deadline of each call of the child (nil: the
	// default).
	CallTimeoutMS *int64 `cbor:"call_timeout_ms,omitempty"`
}
