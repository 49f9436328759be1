// Package sandbox runs one instance of a WebAssembly class: the unit of
// isolation of a wactor host.
//
// An Engine is the WebAssembly engine a host shares between its classes,
// with the host functions every instance imports. A Class is a module
// checked against the ABI, rewritten for the host (start section, data
// segments and custom sections taken out, globals exported) and compiled,
// with its methods, its manifest and the template that new sandboxes start
// from. A Sandbox is one instance of a class: its linear memory (within a
// limit, with kernel dirty-page tracking where the engine lets the host
// own it), its fuel and deadlines, the invocation of its exports, the
// capture and restore of its state as a snapshots.State, the journal
// recorder that replays its clocks, randomness and call results, and the
// trampolines of the wactor and WASI imports, which check every pointer
// and length the guest passes before they touch its memory.
//
// A sandbox knows nothing of actors, mailboxes, namespaces or the journal
// on disk. What it needs from above it asks through small interfaces the
// host implements: a Meter for the memory quota its memory is charged to,
// a Log for its output, an Owner told when guest code runs and asked to
// yield (or to give its worker away while the guest sleeps in
// poll_oneoff), and Imports for the actor-level imports (call, send, await,
// spawn, get_actor, kill), which the trampolines call with plain bytes
// once they have read and bounded them.
package sandbox
