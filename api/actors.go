package api

import (
	"time"

	"github.com/wactor/wactor/abi"
)

// State is an actor's lifecycle state.
type State string

// Actor states.
const (
	// StatePending: the constructor is running.
	StatePending State = "pending"
	// StateAlive: serving calls.
	StateAlive State = "alive"
	// StateRestarting: a trap discarded the sandbox; a fresh one is being made.
	StateRestarting State = "restarting"
	// StateDead: killed, exited, or out of restarts; calls fail with ErrActorDied.
	StateDead State = "dead"
	// StatePassive: idle, its sandbox freed and its state kept compressed
	// (Config.PassivateAfter, Config.MemoryBudget); the next call restores it.
	StatePassive State = "passive"
	// StateDamaged: its files in Config.DataDir are damaged (a corrupt
	// journal or snapshot, missing snapshots, unreadable metadata or
	// class), or its state could not be rebuilt. It is not served (calls
	// fail with ErrDamaged) until an operator repairs it from a checkpoint
	// (Host.RepairActor) or discards it (Host.DiscardActor); ActorInfo.Damage
	// says why and what it can be repaired from.
	StateDamaged State = "damaged"
)

// Damage describes a damaged actor.
type Damage struct {
	// Reason says what is damaged, in the API's words.
	Reason string `json:"reason"`
	// Checkpoints lists the checkpoints on disk that decode, newest first:
	// what RepairActor can restore it from (none: only DiscardActor).
	Checkpoints []CheckpointInfo `json:"checkpoints,omitempty"`
}

// ActorInfo is a snapshot of an actor's state, for listing and inspection.
// Its JSON form is the HTTP API's, WireActor (MarshalJSON).
type ActorInfo struct {
	ID          string
	Name        string
	Class       string
	State       State
	QueueLen    int
	MemoryBytes uint64
	CallsServed uint64
	Restarts    int
	// Checkpoints is how many checkpoints the actor keeps.
	Checkpoints int
	Options     Options
	Created     time.Time
	// Running is the method running now ("" when idle).
	Running string
	// Death says why a dead actor died ("" while it lives).
	Death DeathReason
	// DeathError is the error that killed it, if any.
	DeathError string
	// Damage says why a damaged actor (StateDamaged) is not served.
	Damage *Damage
}

// CallOptions adjust one call (Submit, in the host and in the client).
type CallOptions struct {
	// NumReturns is the number of futures the call returns (Ray's
	// num_return_vals); 0 means the method's default from the manifest, else 1.
	NumReturns int
	// Timeout, if set, is the call's deadline counted from its submission
	// (queued and running), as a context deadline is: past it a queued
	// call is dropped and a running one interrupted (TrapDeadline). The
	// actor's Options.CallTimeout still bounds the run. Over HTTP it is
	// sent in whole milliseconds (a positive timeout under 1ms as 1ms).
	Timeout time.Duration
}

// CheckpointInfo describes one checkpoint of an actor.
type CheckpointInfo struct {
	ID    string    `json:"id"`
	Taken time.Time `json:"taken"`
	// Size is the checkpoint's size in bytes: linear memory plus globals in
	// memory, or the encoded snapshot on disk for a durable actor.
	Size int `json:"size"`
	// Calls is how many calls the actor had completed when it was taken
	// (calls that trapped or failed are not counted): the sequence number
	// of its latest journal record.
	Calls uint64 `json:"calls"`
}

// MaxLogLine is the longest log line kept, in bytes of UTF-8 text, whatever
// its source (the log import, stdout, stderr or the host's own messages). A
// longer line is cut there, at a character boundary, and marked Truncated;
// on stdout and stderr the rest of that line, up to its newline, is
// discarded (so a flood without newlines costs time in proportion to its
// size and memory in proportion to MaxLogLine).
const MaxLogLine = 16 << 10

// LogLine is one line of an actor's log: what the guest logged through the
// log import or wrote to stdout/stderr.
type LogLine struct {
	Seq   uint64    `json:"seq"`
	Time  time.Time `json:"time"`
	Level int       `json:"level"`
	Text  string    `json:"text"`
	// Truncated: the line was longer than MaxLogLine bytes and Text is its
	// beginning.
	Truncated bool `json:"truncated,omitempty"`
}

// LogStats describes what an actor's log keeps and what it dropped.
type LogStats struct {
	// KeptLines and KeptBytes are what the log holds now (KeptBytes counts
	// each line's text plus a fixed overhead per line, as Config.LogBytes
	// does).
	KeptLines int   `json:"kept_lines"`
	KeptBytes int64 `json:"kept_bytes"`
	// FirstSeq is the Seq of the oldest kept line, NextSeq the Seq the next
	// line will get (FirstSeq == NextSeq when none is kept). Lines before
	// FirstSeq were dropped.
	FirstSeq uint64 `json:"first_seq"`
	NextSeq  uint64 `json:"next_seq"`
	// DroppedLines and DroppedBytes count the lines dropped, oldest first,
	// to stay within Config.LogLines and Config.LogBytes (and, once the
	// actor died, Config.DeadLogBytes).
	DroppedLines uint64 `json:"dropped_lines"`
	DroppedBytes uint64 `json:"dropped_bytes"`
	// TruncatedLines counts the lines cut at MaxLogLine.
	TruncatedLines uint64 `json:"truncated_lines"`
}

// LogPage is a read of an actor's log: the kept lines asked for and the
// log's stats.
type LogPage struct {
	// Lines are the kept lines asked for, in Seq order.
	Lines []LogLine `json:"lines"`
	LogStats
}

// ClassInfo describes a loaded class.
type ClassInfo struct {
	// ID is the class's content address: "sha256:" and the hex SHA-256 of the
	// module bytes as uploaded. The same bytes give the same ID on every host.
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Doc  string `json:"doc,omitempty"`
	// Size is the module's size in bytes, as uploaded.
	Size int `json:"size"`
	// HasManifest reports whether arity checks and return counts come from a manifest.
	HasManifest bool `json:"has_manifest"`
	// Init describes the constructor, if the class has one.
	Init *abi.MethodSpec `json:"init,omitempty"`
	// Methods lists the methods in name order.
	Methods  []abi.MethodSpec `json:"methods"`
	LoadedAt time.Time        `json:"loaded_at"`
}
