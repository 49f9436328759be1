// Package instrument rewrites a WebAssembly core module at load time so that
// the guest itself checks cheap host-controlled globals, which lets the host
// stop a runaway guest without wazero's WithCloseOnContextDone (an indirect
// trampoline call at every loop header plus a goroutine per call).
//
// These rewrites are offered (see Options):
//
//   - Interrupt: a mutable i32 global exported as "wactor_interrupt"
//     (initially 0). At every function entry (after the locals declarations)
//     and at every loop header the guest runs
//     global.get $interrupt; if (empty); unreachable; end
//     so a host that sets the global to a non-zero value from another
//     goroutine makes the guest trap at its next call or loop iteration.
//   - Fuel: a mutable i64 global exported as "wactor_fuel" (initially 0, so a
//     host must set it before the first call, including _initialize; a start
//     function cannot run). At every function entry and loop header the
//     guest subtracts a static cost and traps with unreachable when the
//     result is negative; see Fuel costs below.
//   - Preempt (with Interrupt): the check calls an appended function
//     $preempt instead of trapping in place, and $preempt traps if the
//     global is still set when its body runs; an embedder hooks $preempt
//     (wazero: a function listener on it alone) to run Go code there, and
//     clears the global to let the guest go on (a yield) or leaves it set.
//   - ExportGlobals: every global (imported or defined, mutable or not) that
//     is not exported yet is exported as "wactor_global_<index>", so that a
//     host can snapshot and restore all of them (wazero only exposes exported
//     globals).
//
// # Fuel costs
//
// The instructions of a function body are split into scopes: the function
// itself and every loop. An instruction belongs to the innermost loop that
// contains it (the loop instruction itself belongs to the enclosing scope,
// its matching end to the loop), or to the function when no loop contains
// it. The cost charged at a scope's check is the number of instructions that
// belong to the scope, at least 1: nested loops are counted separately and
// charged at their own header on every iteration. The cost is therefore a
// deterministic upper bound of the instructions a pass through the scope runs
// outside nested loops and callees (branches may skip some). Instructions
// inserted by this package are not counted. After a fuel trap the global is
// negative: a host tells a fuel trap from any other trap by reading it. A host
// must only store non-negative values (a value near math.MinInt64 would wrap).
//
// # Layout of the rewritten module
//
// New globals are appended to the end of the global index space and new
// exports to the end of the export section, so no existing index moves and
// no instruction operand has to change: only the global, export and code
// sections are re-encoded (a global or export section is created, in a valid
// position and before any trailing custom sections, when absent). No import
// is added. With Preempt, one function and its type are appended to the end
// of their index spaces (the type, function and code sections get one entry
// more), which moves no index either. Custom sections are copied unchanged
// and stay where they are; note that DWARF
// (.debug_*) sections address code by byte offsets, which the code rewrite
// shifts.
//
// # Why a hand-written decoder
//
// The code section must be decoded instruction by instruction to find every
// loop and to re-encode every function body. At the time of writing no
// maintained Go library fits: wazero's decoder is internal to its module;
// github.com/tetratelabs/wabin decodes sections but keeps function bodies
// as opaque bytes; github.com/go-interpreter/wagon (archived in 2020) knows
// only the MVP opcodes (no SIMD, bulk memory or reference types). The
// walker here only skips immediates, which keeps it small, allocation free
// and fast (a 3 MB Go module is rewritten in about 10 ms), and the
// package depends on the standard library alone.
//
// # Supported instruction set
//
// MVP; sign extension; non-trapping float-to-int; bulk memory and table
// instructions (0xFC 0-17); reference types (ref.null, ref.is_null,
// ref.func, table.get/set, typed select); multi-value block types (type
// indices); fixed-width SIMD (0xFD 0-255, all assigned opcodes); threads
// atomics (0xFE); tail calls (return_call, return_call_indirect); typed
// function references (call_ref, return_call_ref, ref.as_non_null,
// br_on_null, br_on_non_null); exception handling, both the legacy
// (try/catch/catch_all/delegate/rethrow) and the current
// (try_table/throw/throw_ref) encodings; multi-memory and memory64 memargs.
// Anything else (relaxed SIMD, GC, stringref, ...)
// makes Rewrite fail with ErrUnsupported, and a malformed module with
// ErrMalformed: both mean the caller should reject the module.
package instrument
