package instrument

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Export names added by Rewrite.
const (
	InterruptExport = "wactor_interrupt"
	FuelExport      = "wactor_fuel"
	TicksExport     = "wactor_ticks"
	DepthExport     = "wactor_depth"
	// YieldEvery is how many checks (function entries and loop iterations)
	// pass between two exits to the embedder with Options.Yield.
	YieldEvery         = 4096
	GlobalExportPrefix = "wactor_global_" // followed by the decimal global index
)

// Options selects the rewrites; the zero value changes nothing.
type Options struct {
	// Interrupt adds an exported mutable i32 global "wactor_interrupt"
	// (initially 0) checked at every function entry and loop header: a
	// non-zero value makes the guest trap with unreachable.
	Interrupt bool
	// Fuel adds an exported mutable i64 global "wactor_fuel" (initially 0)
	// from which every function entry and loop header subtracts a static
	// cost; the guest traps with unreachable when it becomes negative.
	Fuel bool
	// Yield adds an exported mutable i32 global "wactor_ticks" counted down
	// at every function entry and loop header; when it reaches zero the guest
	// executes memory.grow 0 (which changes nothing) and the counter restarts
	// at YieldEvery. wazero implements memory.grow as a call into Go, so a
	// long-running guest regularly reaches a point where the Go runtime can
	// preempt it: without one, a guest in a loop holds up every
	// stop-the-world pause of the garbage collector, and with it the whole
	// process. Ignored for a module without memory.
	Yield bool
	// ExportGlobals exports every global not exported yet as
	// "wactor_global_<index>".
	ExportGlobals bool
	// MaxCallDepth, if not 0, bounds the guest's call stack: a mutable i32
	// global "wactor_depth" (initially 0) is raised by the calling
	// function's frame weight before every call, call_indirect and call_ref
	// and lowered after it returns, and the guest traps with unreachable
	// before a call that would take it past MaxCallDepth. A frame's weight
	// is 1 + (parameters + locals)/8 + body bytes/256: about one unit per
	// 64 bytes of an engine's frame for it. Tail calls (return_call*)
	// replace their frame and are not counted. The embedder must set the
	// global back to 0 after a trap (an exception that unwinds frames
	// skips their decrements too, which only makes the bound stricter).
	// At most 2^30 (a larger value counts as 2^30).
	MaxCallDepth uint32
	// Preempt (with Interrupt) lets the embedder run Go code at the
	// interrupt checks: a function of type () -> () is appended to the
	// function index space (Result.PreemptFunc), the checks become
	//	global.get $interrupt; if (empty); call $preempt; end
	// and $preempt's body is the former check
	//	global.get $interrupt; if (empty); unreachable; end
	// An embedder that hooks $preempt (wazero: a function listener on it
	// alone) runs when the global is non-zero, and may clear it to let the
	// guest continue (a yield) or leave it set to make the guest trap. No
	// existing index moves: the function and its type are appended. Ignored
	// without Interrupt or for a module without functions.
	Preempt bool
}

// Result is a rewritten module and where to find its globals.
type Result struct {
	Wasm []byte // the rewritten module (never aliases the input)

	InterruptExport string // export name of the interrupt global, "" when not added
	DepthExport     string // export name of the call depth global, "" when not added
	FuelExport      string // export name of the fuel global, "" when not added
	TicksExport     string // export name of the yield counter, "" when not added
	// PreemptFunc is the index (in the function index space, imports
	// first) of the function added by Options.Preempt, -1 when not added.
	PreemptFunc int64
	// MutatesTables reports code that changes tables or element segments
	// (table.set, table.grow, table.fill, table.copy, table.init,
	// elem.drop): state that snapshots of memory and globals do not hold.
	// Only computed when some option rewrote the code.
	MutatesTables bool

	// GlobalExports maps the index of every global of the original module
	// (0 <= index < Globals) that the rewritten module exports to one
	// export name: its first existing export name, else the added
	// "wactor_global_<index>". With ExportGlobals it covers every global;
	// without, only the ones the module already exported. The globals added
	// for Interrupt and Fuel are not included.
	GlobalExports map[uint32]string

	Globals int // number of globals (imported and defined) before rewriting
}

// Errors returned by Rewrite wrap one of these; all mean that the module
// should be rejected.
var (
	ErrMalformed    = errors.New("malformed module")
	ErrUnsupported  = errors.New("unsupported module feature")
	ErrNameConflict = errors.New("reserved export name already in use")
)

// Error describes why a module could not be rewritten.
type Error struct {
	Offset int   // byte offset in the input module
	Kind   error // ErrMalformed, ErrUnsupported or ErrNameConflict
	Detail string
}

func (e *Error) Error() string {
	return fmt.Sprintf("instrument: %v: %s (at offset %#x)", e.Kind, e.Detail, e.Offset)
}

// Unwrap returns Kind, so that errors.Is(err, ErrUnsupported) works.
func (e *Error) Unwrap() error { return e.Kind }

func malformed(off int, format string, args ...any) error {
	return &Error{Offset: off, Kind: ErrMalformed, Detail: fmt.Sprintf(format, args...)}
}

func unsupported(off int, format string, args ...any) error {
	return &Error{Offset: off, Kind: ErrUnsupported, Detail: fmt.Sprintf(format, args...)}
}

// Section ids.
const (
	secCustom   = 0
	secType     = 1
	secImport   = 2
	secFunction = 3
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secCode     = 10
)

// sectionRank gives the position a non-custom section must respect; 0 for
// an unknown id.
func sectionRank(id byte) int {
	switch id {
	case 1, 2, 3, 4, 5: // type import function table memory
		return int(id)
	case 13: // tag
		return 6
	case 6, 7, 8, 9: // global export start element
		return int(id) + 1
	case 12: // data count
		return 11
	case 10: // code
		return 12
	case 11: // data
		return 13
	}
	return 0
}

type section struct {
	id         byte
	hdr        int // offset of the id byte
	start, end int // content
}

// stats are counters for tests.
type stats struct {
	funcs, loops int
}

// Rewrite returns a copy of the WebAssembly module wasm rewritten as opts
// ask. It never modifies wasm. An error wraps ErrMalformed, ErrUnsupported
// or ErrNameConflict; a module that already exports "wactor_interrupt" or
// "wactor_fuel" is refused whatever the options.
func Rewrite(wasm []byte, opts Options) (*Result, error) {
	res, _, err := rewrite(wasm, opts)
	return res, err
}

func rewrite(wasm []byte, opts Options) (*Result, stats, error) {
	var st stats
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, st, malformed(0, "not a WebAssembly binary")
	}
	if string(wasm[4:8]) != "\x01\x00\x00\x00" {
		return nil, st, unsupported(4, "binary version or layer (components are not supported)")
	}

	// Pass 1: split into sections and parse those that matter.
	secs := make([]section, 0, 16)
	lastRank := 0
	for p := 8; p < len(wasm); {
		hdr := p
		id := wasm[p]
		size, np, err := readU32(wasm, p+1)
		if err != nil {
			return nil, st, err
		}
		if int64(size) > int64(len(wasm)-np) {
			return nil, st, malformed(hdr, "section %d size %d exceeds the module", id, size)
		}
		if id != secCustom {
			rank := sectionRank(id)
			if rank == 0 {
				return nil, st, malformed(hdr, "unknown section id %d", id)
			}
			if rank <= lastRank {
				return nil, st, malformed(hdr, "section %d duplicated or out of order", id)
			}
			lastRank = rank
		}
		secs = append(secs, section{id: id, hdr: hdr, start: np, end: np + int(size)})
		p = np + int(size)
	}

	var (
		typeParams                      []uint32 // parameter count of every type (with MaxCallDepth)
		funcTypes                       []uint32 // type of every defined function (with MaxCallDepth)
		importedGlobals, definedGlobals uint32
		importedFuncs, typeCount        uint32
		globalSec, exportSec, codeSec   = -1, -1, -1
		typeSec, funcSec                = -1, -1
		funcCount                       uint32
		exportCount                     uint32
		reserved                        map[string]struct{} // existing export names starting with "wactor_"
		globalExports                   = map[uint32]string{}
		hasMemory                       bool
	)
	for i, s := range secs {
		b := wasm[:s.end]
		var err error
		switch s.id {
		case secType:
			typeSec = i
			typeCount, typeParams, err = parseTypes(b, s.start, opts.Preempt || opts.MaxCallDepth > 0)
		case secImport:
			var mems uint32
			importedFuncs, importedGlobals, mems, err = parseImports(b, s.start)
			hasMemory = hasMemory || mems > 0
		case secMemory:
			var n uint32
			n, _, err = readU32(b, s.start)
			hasMemory = hasMemory || n > 0
		case secFunction:
			funcSec = i
			funcCount, _, err = readU32(b, s.start)
			if err == nil && opts.MaxCallDepth > 0 {
				funcTypes, err = parseFuncTypes(b, s.start, uint32(len(typeParams)))
			}
		case secGlobal:
			globalSec = i
			definedGlobals, err = parseGlobals(b, s.start)
		case secExport:
			exportSec = i
			total := uint64(importedGlobals) + uint64(definedGlobals)
			exportCount, reserved, err = parseExports(b, s.start, total, globalExports)
		case secCode:
			codeSec = i
		}
		if err != nil {
			return nil, st, err
		}
	}
	globals := uint64(importedGlobals) + uint64(definedGlobals)
	if globals+4 > math.MaxUint32 {
		return nil, st, malformed(0, "too many globals")
	}
	if _, ok := reserved[InterruptExport]; ok {
		return nil, st, &Error{Kind: ErrNameConflict, Detail: "module already exports " + InterruptExport}
	}
	if _, ok := reserved[FuelExport]; ok {
		return nil, st, &Error{Kind: ErrNameConflict, Detail: "module already exports " + FuelExport}
	}
	if _, ok := reserved[TicksExport]; ok {
		return nil, st, &Error{Kind: ErrNameConflict, Detail: "module already exports " + TicksExport}
	}
	if _, ok := reserved[DepthExport]; ok {
		return nil, st, &Error{Kind: ErrNameConflict, Detail: "module already exports " + DepthExport}
	}
	if codeSec >= 0 {
		n, _, err := readU32(wasm[:secs[codeSec].end], secs[codeSec].start)
		if err != nil {
			return nil, st, err
		}
		if n != funcCount {
			return nil, st, malformed(secs[codeSec].hdr, "%d function bodies for %d functions", n, funcCount)
		}
	} else if funcCount != 0 {
		return nil, st, malformed(0, "%d functions but no code section", funcCount)
	}

	res := &Result{Globals: int(globals), GlobalExports: globalExports, PreemptFunc: -1}
	opts.MaxCallDepth = min(opts.MaxCallDepth, 1<<30) // the counter must not wrap
	r := &rewriter{opts: opts, typeParams: typeParams, funcTypes: funcTypes}
	// The preempt function and its type go at the end of their index
	// spaces, so no existing index moves.
	preempt := opts.Preempt && opts.Interrupt && funcCount > 0
	if preempt {
		if uint64(importedFuncs)+uint64(funcCount)+1 > math.MaxUint32 || typeCount == math.MaxUint32 {
			return nil, st, malformed(0, "too many functions or types")
		}
		r.preempt = true
		r.preemptIdx = importedFuncs + funcCount
		r.preemptType = typeCount
		res.PreemptFunc = int64(r.preemptIdx)
	}
	typeDone, funcDone := !preempt || typeSec >= 0, !preempt || funcSec >= 0
	preemptType := []byte{0x60, 0x00, 0x00} // func () -> ()

	// New globals and exports.
	var newGlobals, newExports []byte
	var addedGlobals, addedExports uint32
	next := uint32(globals)
	// addGlobal appends a mutable global (its type, mutability and init
	// expression encoded in def), exported as name, and returns its index.
	addGlobal := func(def []byte, name string) uint32 {
		idx := next
		next++
		newGlobals = append(newGlobals, def...)
		newExports = appendExport(newExports, name, idx)
		addedGlobals++
		addedExports++
		return idx
	}
	if opts.Interrupt {
		r.interruptIdx = addGlobal([]byte{0x7f, 0x01, 0x41, 0x00, 0x0b}, InterruptExport) // mut i32 (i32.const 0)
		res.InterruptExport = InterruptExport
	}
	if opts.Fuel {
		r.fuelIdx = addGlobal([]byte{0x7e, 0x01, 0x42, 0x00, 0x0b}, FuelExport) // mut i64 (i64.const 0)
		res.FuelExport = FuelExport
	}
	if opts.Yield && hasMemory {
		r.yield = true
		def := appendS32([]byte{0x7f, 0x01, 0x41}, YieldEvery) // mut i32 (i32.const YieldEvery)
		r.ticksIdx = addGlobal(append(def, 0x0b), TicksExport)
		res.TicksExport = TicksExport
	}
	if opts.MaxCallDepth > 0 {
		r.depthIdx = addGlobal([]byte{0x7f, 0x01, 0x41, 0x00, 0x0b}, DepthExport) // mut i32 (i32.const 0)
		res.DepthExport = DepthExport
	}
	if opts.ExportGlobals {
		var nameBuf []byte
		for i := uint32(0); i < uint32(globals); i++ {
			if _, ok := globalExports[i]; ok {
				continue
			}
			nameBuf = strconv.AppendUint(append(nameBuf[:0], GlobalExportPrefix...), uint64(i), 10)
			name := string(nameBuf)
			if _, ok := reserved[name]; ok {
				return nil, st, &Error{Kind: ErrNameConflict, Detail: "module already exports " + name}
			}
			globalExports[i] = name
			newExports = appendExport(newExports, name, i)
			addedExports++
		}
	}
	if uint64(exportCount)+uint64(addedExports) > math.MaxUint32 {
		return nil, st, malformed(0, "too many exports")
	}

	// Pass 2: emit.
	extra := len(newGlobals) + len(newExports) + 32
	if opts.Interrupt || opts.Fuel || opts.MaxCallDepth > 0 {
		extra += len(wasm) / 8
	}
	out := make([]byte, 0, len(wasm)+extra)
	out = append(out, wasm[:8]...)
	globalDone := addedGlobals == 0 || globalSec >= 0
	exportDone := addedExports == 0 || exportSec >= 0
	pending := func(out []byte, rank int) []byte {
		if !typeDone && sectionRank(secType) < rank {
			typeDone = true
			out = appendSection(out, secType, appendU32(nil, 1), nil, preemptType)
		}
		if !funcDone && sectionRank(secFunction) < rank {
			funcDone = true
			out = appendSection(out, secFunction, appendU32(nil, 1), nil, appendU32(nil, r.preemptType))
		}
		if !globalDone && sectionRank(secGlobal) < rank {
			globalDone = true
			out = appendSection(out, secGlobal, appendU32(nil, addedGlobals), nil, newGlobals)
		}
		if !exportDone && sectionRank(secExport) < rank {
			exportDone = true
			out = appendSection(out, secExport, appendU32(nil, addedExports), nil, newExports)
		}
		return out
	}
	// Sections that no existing section must follow go right after the last
	// non-custom section, so that trailing custom sections stay last (wazero,
	// for one, tolerates a name section that overruns the end of the module
	// only when nothing follows it).
	lastStd := -1
	for i, s := range secs {
		if s.id != secCustom {
			lastStd = i
		}
	}
	if lastStd < 0 {
		out = pending(out, math.MaxInt)
	}
	for i, s := range secs {
		if s.id != secCustom {
			out = pending(out, sectionRank(s.id))
		}
		switch {
		case s.id == secType && preempt:
			_, p, _ := readU32(wasm, s.start)
			out = appendSection(out, secType, appendU32(nil, typeCount+1), wasm[p:s.end], preemptType)
		case s.id == secFunction && preempt:
			_, p, _ := readU32(wasm, s.start)
			out = appendSection(out, secFunction, appendU32(nil, funcCount+1), wasm[p:s.end], appendU32(nil, r.preemptType))
		case s.id == secGlobal && addedGlobals > 0:
			_, p, _ := readU32(wasm, s.start)
			out = appendSection(out, secGlobal, appendU32(nil, definedGlobals+addedGlobals), wasm[p:s.end], newGlobals)
		case s.id == secExport && addedExports > 0:
			_, p, _ := readU32(wasm, s.start)
			out = appendSection(out, secExport, appendU32(nil, exportCount+addedExports), wasm[p:s.end], newExports)
		case s.id == secCode && (opts.Interrupt || opts.Fuel || opts.MaxCallDepth > 0):
			var err error
			if out, err = r.rewriteCode(out, wasm[:s.end], s.start); err != nil {
				return nil, st, err
			}
		default:
			out = append(out, wasm[s.hdr:s.end]...)
		}
		if i == lastStd {
			out = pending(out, math.MaxInt)
		}
	}
	res.Wasm = out
	res.MutatesTables = r.tableWrites > 0
	st.funcs, st.loops = r.funcs, r.loops
	return res, st, nil
}

// parseTypes returns the type section's entry count. With walk, it also
// checks that every entry is a function type (0x60), so that the count is
// the number of types (the index of a type appended after them, for
// Options.Preempt), and returns each type's parameter count (for
// Options.MaxCallDepth).
func parseTypes(b []byte, p int, walk bool) (uint32, []uint32, error) {
	n, p, err := readU32(b, p)
	if err != nil || !walk {
		return n, nil, err
	}
	if int64(n) > int64(len(b)-p)/3 { // 0x60 and two vector lengths at least
		return 0, nil, malformed(p, "type count %d exceeds the section", n)
	}
	params := make([]uint32, n)
	for i := range params {
		if p >= len(b) {
			return 0, nil, malformed(p, "truncated type")
		}
		if b[p] != 0x60 {
			return 0, nil, unsupported(p, "type form 0x%02x (only function types)", b[p])
		}
		p++
		for j := 0; j < 2; j++ { // parameters, results
			var k uint32
			if k, p, err = readU32(b, p); err != nil {
				return 0, nil, err
			}
			if int64(k) > int64(len(b)-p) {
				return 0, nil, malformed(p, "value type count %d exceeds the section", k)
			}
			if j == 0 {
				params[i] = k
			}
			for ; k > 0; k-- {
				if p, err = skipValType(b, p); err != nil {
					return 0, nil, err
				}
			}
		}
	}
	if p != len(b) {
		return 0, nil, malformed(p, "type section size mismatch")
	}
	return n, params, nil
}

// parseImports validates the import section and counts imported functions,
// globals and memories.
func parseImports(b []byte, p int) (funcs, globals, memories uint32, err error) {
	n, p, err := readU32(b, p)
	if err != nil {
		return 0, 0, 0, err
	}
	if int64(n) > int64(len(b)-p) {
		return 0, 0, 0, malformed(p, "import count %d exceeds the section", n)
	}
	for i := uint32(0); i < n; i++ {
		for j := 0; j < 2; j++ { // module and field names
			var l uint32
			if l, p, err = readU32(b, p); err != nil {
				return 0, 0, 0, err
			}
			if p, err = skipBytes(b, p, int(l)); err != nil {
				return 0, 0, 0, err
			}
		}
		if p >= len(b) {
			return 0, 0, 0, malformed(p, "truncated import")
		}
		kind := b[p]
		p++
		switch kind {
		case 0x00: // func: type index
			p, err = skipU32(b, p)
			funcs++
		case 0x01: // table: reftype limits
			if p, err = skipValType(b, p); err == nil {
				p, err = skipLimits(b, p)
			}
		case 0x02: // memory: limits
			p, err = skipLimits(b, p)
			memories++
		case 0x03: // global: valtype mut
			if p, err = skipValType(b, p); err == nil {
				p, err = skipMut(b, p)
			}
			globals++
		case 0x04: // tag: attribute type index
			if p, err = skipBytes(b, p, 1); err == nil {
				p, err = skipU32(b, p)
			}
		default:
			return 0, 0, 0, malformed(p-1, "invalid import kind %d", kind)
		}
		if err != nil {
			return 0, 0, 0, err
		}
	}
	if p != len(b) {
		return 0, 0, 0, malformed(p, "import section size mismatch")
	}
	return funcs, globals, memories, nil
}

// parseFuncTypes returns the type index of every function of the function
// section.
func parseFuncTypes(b []byte, p int, types uint32) ([]uint32, error) {
	n, p, err := readU32(b, p)
	if err != nil {
		return nil, err
	}
	if int64(n) > int64(len(b)-p) {
		return nil, malformed(p, "function count %d exceeds the section", n)
	}
	out := make([]uint32, n)
	for i := range out {
		if out[i], p, err = readU32(b, p); err != nil {
			return nil, err
		}
		if out[i] >= types {
			return nil, malformed(p, "function %d has type %d of %d", i, out[i], types)
		}
	}
	return out, nil
}

// skipLimits skips table or memory limits (flags: bit 0 max present, bit 1
// shared, bit 2 64-bit).
func skipLimits(b []byte, p int) (int, error) {
	if p >= len(b) {
		return p, malformed(p, "truncated limits")
	}
	flags := b[p]
	if flags > 0x07 {
		return p, unsupported(p, "limits flags 0x%02x", flags)
	}
	p++
	maxLen := 5
	if flags&0x04 != 0 {
		maxLen = 10
	}
	p, err := skipLEB(b, p, maxLen)
	if err == nil && flags&0x01 != 0 {
		p, err = skipLEB(b, p, maxLen)
	}
	return p, err
}

func skipMut(b []byte, p int) (int, error) {
	if p >= len(b) {
		return p, malformed(p, "truncated global type")
	}
	if b[p] > 0x03 { // bit 0 mutable, bit 1 shared (threads)
		return p, malformed(p, "invalid global mutability 0x%02x", b[p])
	}
	return p + 1, nil
}

// parseGlobals validates the global section and returns its entry count.
func parseGlobals(b []byte, p int) (uint32, error) {
	n, p, err := readU32(b, p)
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(len(b)-p)/3 { // valtype, mut, end at least
		return 0, malformed(p, "global count %d exceeds the section", n)
	}
	for i := uint32(0); i < n; i++ {
		if p, err = skipValType(b, p); err != nil {
			return 0, err
		}
		if p, err = skipMut(b, p); err != nil {
			return 0, err
		}
		if p, err = skipConstExpr(b, p); err != nil {
			return 0, err
		}
	}
	if p != len(b) {
		return 0, malformed(p, "global section size mismatch")
	}
	return n, nil
}

// parseExports validates the export section, records the first export name
// of every global into globalExports and returns the entry count and the set
// of existing names that start with "wactor_".
func parseExports(b []byte, p int, globals uint64, globalExports map[uint32]string) (uint32, map[string]struct{}, error) {
	n, p, err := readU32(b, p)
	if err != nil {
		return 0, nil, err
	}
	if int64(n) > int64(len(b)-p)/3 { // name length, kind, index at least
		return 0, nil, malformed(p, "export count %d exceeds the section", n)
	}
	var reserved map[string]struct{}
	for i := uint32(0); i < n; i++ {
		var l uint32
		if l, p, err = readU32(b, p); err != nil {
			return 0, nil, err
		}
		nameStart := p
		if p, err = skipBytes(b, p, int(l)); err != nil {
			return 0, nil, err
		}
		name := b[nameStart:p]
		if p >= len(b) {
			return 0, nil, malformed(p, "truncated export")
		}
		kind := b[p]
		if kind > 0x04 {
			return 0, nil, malformed(p, "invalid export kind %d", kind)
		}
		var idx uint32
		if idx, p, err = readU32(b, p+1); err != nil {
			return 0, nil, err
		}
		if strings.HasPrefix(string(name), "wactor_") {
			if reserved == nil {
				reserved = map[string]struct{}{}
			}
			reserved[string(name)] = struct{}{}
		}
		if kind == 0x03 {
			if uint64(idx) >= globals {
				return 0, nil, malformed(p, "export of global %d out of range", idx)
			}
			if _, ok := globalExports[idx]; !ok {
				globalExports[idx] = string(name)
			}
		}
	}
	if p != len(b) {
		return 0, nil, malformed(p, "export section size mismatch")
	}
	return n, reserved, nil
}

// appendS32 appends v as a signed LEB128 (an i32.const immediate).
func appendS32(b []byte, v int32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func u32Len(v uint32) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func appendExport(b []byte, name string, global uint32) []byte {
	b = appendU32(b, uint32(len(name)))
	b = append(b, name...)
	b = append(b, 0x03)
	return appendU32(b, global)
}

// appendSection appends a section whose content is the concatenation of the
// three parts.
func appendSection(out []byte, id byte, a, b, c []byte) []byte {
	out = append(out, id)
	out = appendU32(out, uint32(len(a)+len(b)+len(c)))
	out = append(out, a...)
	out = append(out, b...)
	return append(out, c...)
}

// beginSized reserves 5 bytes for a u32 size in out and returns the
// position where the sized content starts.
func beginSized(out []byte) ([]byte, int) {
	out = append(out, 0, 0, 0, 0, 0)
	return out, len(out)
}

// endSized writes the size of out[start:] as a minimal u32 LEB128 in the 5
// bytes reserved before start, moving the content down when fewer are
// needed.
func endSized(out []byte, start int) ([]byte, error) {
	size := len(out) - start
	if size > math.MaxUint32 {
		return out, malformed(0, "rewritten size exceeds 4 GiB")
	}
	w := u32Len(uint32(size))
	pos := start - 5
	appendU32(out[pos:pos], uint32(size))
	if w < 5 {
		copy(out[pos+w:], out[start:])
		out = out[:len(out)-(5-w)]
	}
	return out, nil
}
