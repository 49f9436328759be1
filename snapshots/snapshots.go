// Package snapshots holds an actor's whole state between two calls: its
// linear memory and every mutable global. A WebAssembly sandbox has no other
// state (wactor rejects nothing yet for tables; see docs/SNAPSHOTS.md), so
// restoring a State into a fresh instance of the same class, without running
// its start-up code, gives back the actor exactly as it was.
//
// This package is the in-memory form used by the host; the on-disk format,
// incremental pages and stores come with the rest of issue 3.
package snapshots

import (
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
	Memory []byte
	// Globals holds every mutable global by index in the module's global
	// index space (a Go wasip1 guest has eight: SP, CTXT, g, RET0-3, PAUSE).
	Globals map[uint32]uint64
	// Taken is when it was captured; Calls how many calls the actor had
	// served then.
	Taken time.Time
	Calls uint64
}

// Size is the snapshot's size in bytes (memory plus globals).
func (s *State) Size() int { return len(s.Memory) + 8*len(s.Globals) }

// NewID computes a snapshot ID.
func NewID(actorID string, taken time.Time, memory []byte) string {
	h := sha256.New()
	h.Write([]byte(actorID))
	h.Write([]byte(taken.Format(time.RFC3339Nano)))
	h.Write(memory)
	return "ck-" + hex.EncodeToString(h.Sum(nil))[:16]
}
