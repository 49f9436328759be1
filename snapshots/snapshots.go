// Package snapshots holds an actor's whole state between two calls: its
// linear memory and every mutable global. A WebAssembly sandbox has no other
// state (tables are not captured, so wactor rejects classes that change
// theirs; see docs/SNAPSHOTS.md), so restoring a State into a fresh instance
// of the same class, without running its start-up code, gives back the actor
// exactly as it was.
//
// Encode and Decode convert a State to and from a versioned, checksummed,
// zstd-compressed binary form, either full or incremental (only the 64 KiB
// pages that differ from a base snapshot). A Store keeps encoded snapshots
// per actor, choosing full or incremental and applying retention: DirStore on
// local disk, MemStore in memory.
//
// # Format
//
// Encode writes a State as follows (all integers little-endian):
//
//	header    [8]byte  Magic "WACTSNAP"
//	          uint16   FormatVersion (2; Decode also reads 1)
//	          uint8    kind: 0 full, 1 incremental
//	          uint8    reserved, 0
//	          uint32   M, length of the metadata block (at most 1 MiB)
//	metadata  str      ID           (str: uint16 length, then that many bytes; at most 4096)
//	          str      ClassID
//	          str      ActorID
//	          str      base ID      (empty for a full snapshot)
//	          int64    Taken, Unix seconds
//	          uint32   Taken, nanoseconds within the second
//	          uint64   Calls
//	          int64    Nanotime (version 2 and later)
//	          uint64   memory size in bytes (at most MaxMemory)
//	          uint32   page size (PageSize, 65536)
//	          uint32   pages per frame (Encode writes 4; Decode accepts 1 to 64)
//	          uint64   base memory size in bytes (0 for a full snapshot)
//	          uint32   G, number of globals
//	          G × (uint32 index, uint64 value), indices strictly increasing
//	body      uint32   N, number of pages stored: every page of memory for a
//	                   full snapshot, the pages that differ from the base for an
//	                   incremental one
//	          N × uint32 page indices, strictly increasing (incremental only)
//	          ceil(N / pages per frame) × (uint32 length, zstd frame): each frame
//	                   holds the next pages-per-frame stored pages, concatenated
//	                   (the last page of memory may be shorter than PageSize)
//	trailer   [32]byte SHA-256 of every byte before it
//
// Memory is compressed in independent frames so that large memories compress
// and decompress on several cores, and so that Decode can bound every frame's
// output. An incremental snapshot lists every page at or past the end of its
// base's last whole page (grown memory), so the pages it does not list all
// come from the base.
package snapshots

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// State is one snapshot. It is immutable once taken; share it freely.
type State struct {
	// ID identifies the snapshot: "ck-" and the first 16 hex digits of the
	// SHA-256 of its content and time.
	ID string
	// ClassID is the class the state belongs to; it restores only into it.
	ClassID string
	// ActorID is the actor it was taken from.
	ActorID string
	// Memory is the whole linear memory.
	Memory Image
	// Globals holds every mutable global by index in the module's global
	// index space (a Go wasip1 guest has eight: SP, CTXT, g, RET0-3, PAUSE).
	Globals map[uint32]uint64
	// Taken is when it was captured; Calls how many calls the actor had
	// served then.
	Taken time.Time
	Calls uint64
	// Nanotime is the guest's monotonic clock when the state was taken, in
	// nanoseconds: a restored guest's clock continues from it (a Go guest
	// whose clock goes back dies with "broken CPU time accounting").
	Nanotime int64
}

// Size is the snapshot's size in bytes (memory plus globals).
func (s *State) Size() int { return s.Memory.Len() + 8*len(s.Globals) }

// NewID makes a snapshot ID, unique with overwhelming probability: "ck-"
// and 16 hex digits of SHA-256 over the actor, the time and 8 random bytes.
// (Hashing the memory too cost milliseconds per checkpoint for nothing.)
func NewID(actorID string, taken time.Time) string {
	var salt [8]byte
	_, _ = rand.Read(salt[:])
	h := sha256.New()
	h.Write([]byte(actorID))
	h.Write([]byte(taken.Format(time.RFC3339Nano)))
	h.Write(salt[:])
	return "ck-" + hex.EncodeToString(h.Sum(nil))[:16]
}
