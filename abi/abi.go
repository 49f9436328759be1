// Package abi is the contract between the wactor host and an actor class
// (a WebAssembly module): export and import names with their signatures and
// the check of a module against them (Check, CheckManifest), limits, CBOR
// tags, guest error codes, the method manifest, the result envelope, and the
// readers every side shares: one CBOR well-formedness walker (Validate,
// SkipItem), one LEB128 reader and CustomSection.
//
// It imports only the standard library, so a Go guest (the guest SDK),
// tools and clients can use it alone. Converting Go values to and from CBOR
// is package abi/codec. docs/ABI.md is the normative text; this package
// holds the same facts as Go constants, tables and checks.
//
// All functions in this package are safe for concurrent use.
package abi

// Version is the ABI version this package describes; a guest's
// wactor_abi_version export must return it.
const Version = 1

// Names of the exports a guest provides.
const (
	ExportMemory     = "memory"
	ExportVersion    = "wactor_abi_version"
	ExportAlloc      = "wactor_alloc"
	ExportInit       = "wactor_init"
	ExportManifest   = "wactor_manifest"
	ExportInitialize = "_initialize"
	ExportStart      = "_start"
	// ExportShouldCheckpoint, optional, (i64 calls, i64 ms) -> i32: asked
	// after each completed call with the calls and milliseconds since the
	// actor's latest checkpoint; non-zero takes a checkpoint (Ray's
	// Checkpointable.should_checkpoint).
	ExportShouldCheckpoint = "wactor_should_checkpoint"
	// ExportReseed, optional, () -> (): called after the sandbox's state was
	// copied from another actor's (a fork) or from the class's template,
	// before any other call, so the guest reseeds the random generators it
	// keeps in memory (from random_get).
	ExportReseed = "wactor_reseed"
	// ExportLoadCheckpoint, optional, method shape: when the actor is
	// rebuilt (after a trap, or by a host recovering it), called on a fresh
	// sandbox with one argument, the available checkpoints newest first, as
	// [[id, taken_unix_ms, calls], ...]; it returns the ID of the one to
	// restore, or null for the newest (Ray's load_checkpoint).
	ExportLoadCheckpoint = "wactor_load_checkpoint"
	// ExportCheckpointExpired, optional, method shape: called between calls
	// with one argument, the ID of a checkpoint that retention dropped
	// (Ray's checkpoint_expired).
	ExportCheckpointExpired = "wactor_checkpoint_expired"
)

// ReservedPrefixes are export-name prefixes that never name methods.
var reservedPrefixes = [...]string{"_", "wactor_"}

// IsReservedExport reports whether an export name is reserved by the ABI
// (and therefore never a method).
func IsReservedExport(name string) bool {
	for _, p := range reservedPrefixes {
		if len(name) >= len(p) && name[:len(p)] == p {
			return true
		}
	}
	return false
}

// ManifestSection is the name of the custom section that may carry the manifest.
const ManifestSection = "wactor.manifest"

// ImportModule is the module name of the host functions wactor provides.
const ImportModule = "wactor"

// WASIModule is the module name of the WASI preview 1 functions.
const WASIModule = "wasi_snapshot_preview1"

// Host function names in ImportModule that version 1 provides.
const (
	ImportLog    = "log"
	ImportSelfID = "self_id"
	ImportExit   = "exit"

	ImportCall     = "call"
	ImportSend     = "send"
	ImportAwait    = "await"
	ImportSpawn    = "spawn"
	ImportGetActor = "get_actor"
	ImportKill     = "kill"
	ImportTake     = "take"
)

// ReservedImports are host function names reserved for a later ABI
// version; a module importing one fails to load.
func ReservedImports() []string {
	return []string{"checkpoint"}
}

// Log levels for the log import.
const (
	LogDebug = 0
	LogInfo  = 1
	LogWarn  = 2
	LogError = 3
)

// Decode limits applied to CBOR from an untrusted side.
const (
	// MaxDepth is the deepest nesting of arrays, maps and tags.
	MaxDepth = 32
	// MaxElements is the most elements of one array or pairs of one map.
	MaxElements = 65536
	// DefaultMaxArgBytes is the default bound of an encoded argument list.
	DefaultMaxArgBytes = 4 << 20
	// DefaultMaxResultBytes is the default bound of an encoded result envelope.
	DefaultMaxResultBytes = 16 << 20
)

// Bounds of the inputs of the actor-call imports, checked before the host
// copies them out of the guest's memory (docs/ABI.md section 6); past its
// bound an input fails the import with CodeBadArgs.
const (
	// MaxRefBytes bounds an encoded actor handle or a class ID.
	MaxRefBytes = 1 << 10
	// MaxSpawnOptionsBytes bounds the encoded options map of spawn.
	MaxSpawnOptionsBytes = 4 << 10
)

// CBOR tags of the ABI.
const (
	// TagActorHandle is an actor handle: the tag around [actor ID, class
	// ID] (Handle). It is the one tag a value may hold.
	TagActorHandle = 51000
	// TagFutureRef is a future reference: the tag around a future ID. It
	// is not a value: the HTTP API accepts it as a whole argument of a
	// call, and the host encodes a Go future nested in an argument with
	// it; either way the call receives the future's result in its place,
	// so a guest never sees the tag.
	TagFutureRef = 51001
)

// Envelope kinds: the first element of a result envelope.
const (
	KindValue  = 0
	KindValues = 1
	KindError  = 2
)

// PackPtrLen packs a guest pointer and length the way methods return them.
func PackPtrLen(ptr, length uint32) uint64 { return uint64(ptr)<<32 | uint64(length) }

// UnpackPtrLen splits a method's i64 result into pointer and length.
func UnpackPtrLen(v uint64) (ptr, length uint32) { return uint32(v >> 32), uint32(v) }
