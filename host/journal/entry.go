// Package journal is the durable store below the host: what a host with a
// data directory keeps so that its durable actors outlive it (Store: class
// files and their namespace claims, actors' metadata and spawn markers,
// removal, the damaged directory), each actor's journal file (File: framed,
// CRC-checked records of the calls completed since its latest checkpoint,
// each with every nondeterministic input the call read, so a replay on a
// fresh sandbox reaches the same state; docs/SNAPSHOTS.md, "Journal"), and
// the recovery helpers that read and judge those files (Read, Store.Load,
// Store.RepairPoint). Every file-system operation goes through internal/fsys
// (the seam tests inject faults at); a write or sync that fails fails the
// call and leaves no effect.
//
// It knows nothing of actors or of the host: the host decides what to
// record and when to replay, and makes actors of what Load finds.
package journal

// Entry is one recorded call. Index is the method's index in its class
// (IndexStartup: the start-up, _initialize plus the constructor;
// IndexExport: the reserved export named by Method).
type Entry struct {
	Method string
	Index  int
	Args   []byte
	// Clocks are the clock reads, in order (wall clock as Unix ns,
	// monotonic as ns).
	Clocks []int64
	// Rand are the random bytes read, in order.
	Rand []byte
	// Ext are the results of actor-call imports, in order.
	Ext [][]byte
}

// Entry indexes that are not methods.
const (
	// IndexStartup marks the start-up record: _initialize and the
	// constructor.
	IndexStartup = -1
	// IndexExport marks a call to a reserved, method-shaped export
	// (wactor_checkpoint_expired) rather than to a method.
	IndexExport = -2
)

// Size is the entry's size in bytes, as counted against a journal's bound.
func (e *Entry) Size() int {
	n := len(e.Args) + 8*len(e.Clocks) + len(e.Rand)
	for _, x := range e.Ext {
		n += len(x)
	}
	return n
}
