package sandbox

import (
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/snapshots"
)

// Config says what New makes: a sandbox of Class for actor ActorID. The
// zero value of each optional field is a sensible default.
type Config struct {
	// Class is the class to instantiate (required).
	Class *Class
	// ActorID names the sandbox in its traps and is what the guest reads
	// from wactor.self_id.
	ActorID string
	// MemoryPages is the limit of linear memory in 64 KiB pages.
	MemoryPages uint32
	// Fuel is the fuel each call may use (0: no limit).
	Fuel uint64
	// Timeout is the deadline of the guest code New runs itself to reseed a
	// copied state (the constructor is the caller's: Invoke).
	Timeout time.Duration
	// MaxArgBytes bounds the arguments of a call, send or spawn the guest
	// makes (the arguments of longer ones are not copied).
	MaxArgBytes int
	// From, if set, is the state the sandbox starts with instead of running
	// the class's start-up code. Without it, a sandbox of an actor starts
	// from the class's template when it has one.
	From *snapshots.State
	// Startup, if set, records (Mode Record) or replays (Mode Replay) the
	// nondeterministic inputs of the start-up code New runs.
	Startup *journal.Entry
	// Mode is what New does with Startup.
	Mode Mode

	// Log receives the guest's output (nil: discarded).
	Log Log
	// Meter is charged the sandbox's linear memory (nil: not charged).
	Meter Meter
	// Owner is told when guest code runs and asked to yield (nil: none).
	Owner Owner
	// Imports implements the actor-level imports (nil: they fail with an
	// error, as while a class loads).
	Imports Imports
}

// Mode is what the recorder does with the journal entry of a call.
type Mode int

// Modes of the recorder.
const (
	// Live: nondeterministic inputs are live and not recorded.
	Live Mode = iota
	// Record: they are live and recorded into the entry.
	Record
	// Replay: they are read back from the entry; the actor-level imports
	// are not made again.
	Replay
)

// Log receives a sandbox's output: the lines of wactor.log, and the lines
// of stdout (info) and stderr (error). Lines are at most api.MaxLogLine
// bytes; truncated says that one was cut. It is called on the goroutine
// of the guest call, or of Close for a last unfinished line.
type Log interface {
	// AddLine adds a line of valid UTF-8 text.
	AddLine(level int, text string, truncated bool)
	// AddBytes adds a line of raw bytes (to be made valid UTF-8), valid only
	// during the call.
	AddBytes(level int, b []byte, truncated bool)
}

// Meter is the account a sandbox's linear memory is charged to (a
// namespace's memory quota). It is safe for concurrent use: the sandboxes
// of one account charge it from many goroutines.
type Meter interface {
	// Charge adds delta bytes (negative: gives them back) and returns the
	// account's new total.
	Charge(delta int64) int64
	// Charged returns the account's total now.
	Charged() int64
	// Limit returns the most the account may hold, negative for no limit.
	Limit() int64
	// LimitError describes a refusal of more bytes past the limit.
	LimitError(more int64) error
}

// Owner is told when a sandbox runs guest code, and asked to give its
// goroutine away when the engine asks the running guest to yield or when
// the guest sleeps.
type Owner interface {
	// Booted is called by New once the sandbox exists, before any guest
	// code runs: from then on, Interrupt can stop its start-up code.
	Booted(sb *Sandbox)
	// CallStarted is called before each run of guest code (a call, the
	// constructor, start-up code), on the goroutine that runs it.
	CallStarted(sb *Sandbox)
	// CallEnded is called after each run of guest code CallStarted
	// announced.
	CallEnded(sb *Sandbox)
	// OnYield is called inside a guest call, on its goroutine, when the
	// guest reached a yield point after Preempt. It may block, until
	// Stopped is closed at the latest.
	OnYield(sb *Sandbox)
	// Blocking is called inside a guest call, on its goroutine, to run
	// wait, which blocks (the guest sleeps in poll_oneoff) until its time or
	// until Stopped is closed: the owner lets other work use the
	// goroutine's worker meanwhile.
	Blocking(sb *Sandbox, wait func())
}

// Imports implements the actor-level imports of a sandbox's guest. The
// trampolines check and copy the guest's inputs first (a pointer out of
// bounds traps the call; inputs past their bounds are answered with an
// error envelope without calling Imports), record and replay the outcomes
// (in Replay mode no method is called), and hand the returned envelope to
// the guest (wactor.take). Byte slices named views are guest memory, valid
// only until the method returns; the others are copies. Methods are called
// on the goroutine of the guest call.
type Imports interface {
	// Call makes a synchronous call of method (a view) on target and returns
	// the outcome's envelope.
	Call(target, method, args []byte) []byte
	// Send sends a call of method (a view) to target. It returns the new
	// future's number (> 0), or 0 and an error envelope.
	Send(target, method, args []byte) (id int64, failure []byte)
	// Await waits for future id and returns its outcome's envelope.
	Await(id int64) []byte
	// Spawn spawns an actor of class (the caller's class if empty) with
	// encoded constructor arguments and the guest's options, and returns
	// the envelope of its handle.
	Spawn(class, args []byte, opts abi.SpawnOptions) []byte
	// GetActor looks up the actor name in namespace (a view; empty: the
	// caller's) and returns the envelope of its handle.
	GetActor(namespace, name []byte) []byte
	// Kill kills the actor of the target handle and returns the envelope.
	Kill(target []byte) []byte
}
