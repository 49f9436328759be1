package snapshots

import "errors"

// Errors returned by this package. They are sentinels: test for them with
// errors.Is, as they are usually wrapped with details.
var (
	// ErrCorrupt reports an encoded snapshot that is truncated, fails its
	// checksum, or is inconsistent: it cannot be trusted and is not used.
	ErrCorrupt = errors.New("snapshots: corrupt snapshot")
	// ErrFormat reports input that is not a snapshot (wrong magic) or is in
	// a format version this package does not read.
	ErrFormat = errors.New("snapshots: unsupported snapshot format")
	// ErrNotFound reports a snapshot, an actor or an incremental snapshot's
	// base that does not exist.
	ErrNotFound = errors.New("snapshots: not found")
	// ErrInvalid reports an argument that cannot be encoded or stored, such
	// as a nil State, an empty ID or a memory larger than MaxMemory.
	ErrInvalid = errors.New("snapshots: invalid argument")
)
