package instrument

import (
	"errors"
	"fmt"
)

// StartExport is the export name Sanitize gives the function of a start
// section it takes out.
const StartExport = "wactor_start"

// ErrLimit means a module exceeds one of Limits: it should be rejected.
var ErrLimit = errors.New("module exceeds a limit")

// Limits bound what Sanitize accepts. A zero field takes the default in
// DefaultLimits.
type Limits struct {
	// MaxCustomSections bounds the number of custom sections.
	MaxCustomSections int
	// MaxEntries bounds the entry count of every vector section (types,
	// imports, functions, tables, memories, globals, exports, elements,
	// code, data, tags).
	MaxEntries uint32
	// MaxNameSection is the largest "name" custom section kept; a larger one
	// is dropped (traps then lose function names), not refused.
	MaxNameSection int
}

// DefaultLimits are the limits of a zero Limits field: far above what
// compilers emit (a large Go module has about 20 sections and 60,000
// functions), far below what makes parsing cost more than a small multiple
// of the module's size.
var DefaultLimits = Limits{MaxCustomSections: 1000, MaxEntries: 1 << 20, MaxNameSection: 8 << 20}

func (l Limits) withDefaults() Limits {
	if l.MaxCustomSections <= 0 {
		l.MaxCustomSections = DefaultLimits.MaxCustomSections
	}
	if l.MaxEntries == 0 {
		l.MaxEntries = DefaultLimits.MaxEntries
	}
	if l.MaxNameSection <= 0 {
		l.MaxNameSection = DefaultLimits.MaxNameSection
	}
	return l
}

// Sanitized is a module as Sanitize returns it.
type Sanitized struct {
	// Wasm is the module without its custom sections (except a small
	// "name" section) and without its start section. It never aliases the
	// input.
	Wasm []byte
	// HasStart reports that the module had a start section: its function
	// is exported as StartExport, and the embedder must call it once,
	// before anything else, where the start section would have run.
	HasStart bool
}

// Sanitize checks a module's section structure against limits in one pass
// that allocates only its output (at most the input's size plus a few
// bytes), then returns it without custom sections other than a "name"
// section within the limit (the rewrites below shift code offsets, which
// makes DWARF wrong, and an engine need not decode what no one reads), and
// with its start section taken out and its function exported as
// StartExport, so that instantiating the module runs no guest code: the
// embedder runs the start function itself, as an ordinary call with a
// deadline. Errors wrap ErrMalformed, ErrUnsupported, ErrNameConflict (the
// module already exports StartExport) or ErrLimit; only the section
// headers, the vector counts and the export names are read, so the rest of
// the module is validated later, by the engine.
func Sanitize(wasm []byte, limits Limits) (*Sanitized, error) {
	limits = limits.withDefaults()
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, malformed(0, "not a WebAssembly binary")
	}
	if string(wasm[4:8]) != "\x01\x00\x00\x00" {
		return nil, unsupported(4, "binary version or layer (components are not supported)")
	}
	// Pass 1: check the headers and find the start and export sections.
	var (
		customs, outSize     = 0, 8
		lastRank             = 0
		startFunc            uint32
		startHdr, exportHdr  = -1, -1
		exportEnd, exportCnt = 0, uint32(0)
	)
	for p := 8; p < len(wasm); {
		hdr := p
		id := wasm[p]
		size, np, err := readU32(wasm, p+1)
		if err != nil {
			return nil, err
		}
		if int64(size) > int64(len(wasm)-np) {
			return nil, malformed(hdr, "section %d size %d exceeds the module", id, size)
		}
		end := np + int(size)
		p = end
		if id == secCustom {
			customs++
			if customs > limits.MaxCustomSections {
				return nil, &Error{Offset: hdr, Kind: ErrLimit, Detail: fmt.Sprintf("more than %d custom sections", limits.MaxCustomSections)}
			}
			if keepCustom(wasm[:end], np, limits) {
				outSize += end - hdr
			}
			continue
		}
		rank := sectionRank(id)
		if rank == 0 {
			return nil, malformed(hdr, "unknown section id %d", id)
		}
		if rank <= lastRank {
			return nil, malformed(hdr, "section %d duplicated or out of order", id)
		}
		lastRank = rank
		switch id {
		case secStart:
			if startFunc, _, err = readU32(wasm[:end], np); err != nil {
				return nil, err
			}
			startHdr = hdr
			continue // not copied
		case secDataCountID:
		default:
			n, _, err := readU32(wasm[:end], np)
			if err != nil {
				return nil, err
			}
			if n > limits.MaxEntries {
				return nil, &Error{Offset: hdr, Kind: ErrLimit, Detail: fmt.Sprintf("%s section has %d entries, more than %d", sectionName(id), n, limits.MaxEntries)}
			}
			if id == secExport {
				exportHdr, exportEnd, exportCnt = hdr, end, n
			}
		}
		outSize += end - hdr
	}

	var newExport []byte
	if startHdr >= 0 {
		if exportHdr >= 0 {
			if err := checkNoExport(wasm[:exportEnd], exportHdr, StartExport); err != nil {
				return nil, err
			}
		}
		newExport = appendU32(nil, uint32(len(StartExport)))
		newExport = append(newExport, StartExport...)
		newExport = append(newExport, 0x00) // func
		newExport = appendU32(newExport, startFunc)
		outSize += len(newExport) + 16
	}

	// Pass 2: copy.
	out := make([]byte, 0, outSize)
	out = append(out, wasm[:8]...)
	for p := 8; p < len(wasm); {
		hdr := p
		id := wasm[p]
		size, np, _ := readU32(wasm, p+1)
		end := np + int(size)
		p = end
		switch {
		case id == secCustom:
			if keepCustom(wasm[:end], np, limits) {
				out = append(out, wasm[hdr:end]...)
			}
		case id == secExport && newExport != nil:
			_, q, _ := readU32(wasm[:end], np)
			out = appendSection(out, secExport, appendU32(nil, exportCnt+1), wasm[q:end], newExport)
		case id == secStart:
			if exportHdr < 0 {
				// The export section, which a start section follows, is
				// missing: it takes the start section's place.
				out = appendSection(out, secExport, appendU32(nil, 1), nil, newExport)
			}
		default:
			out = append(out, wasm[hdr:end]...)
		}
	}
	return &Sanitized{Wasm: out, HasStart: startHdr >= 0}, nil
}

// secStart is the start section's id.
const secStart = 8

// keepCustom reports whether the custom section whose content starts at p
// (and ends at len(b)) is a "name" section within the limit.
func keepCustom(b []byte, p int, limits Limits) bool {
	if len(b)-p > limits.MaxNameSection {
		return false
	}
	n, q, err := readU32(b, p)
	if err != nil || int64(n) > int64(len(b)-q) {
		return false
	}
	return string(b[q:q+int(n)]) == "name"
}

// checkNoExport fails with ErrNameConflict if the export section at hdr
// (ending at len(b)) exports name.
func checkNoExport(b []byte, hdr int, name string) error {
	_, p, err := readU32(b, hdr+1)
	if err != nil {
		return err
	}
	n, p, err := readU32(b, p)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		var l uint32
		if l, p, err = readU32(b, p); err != nil {
			return err
		}
		start := p
		if p, err = skipBytes(b, p, int(l)); err != nil {
			return err
		}
		if string(b[start:p]) == name {
			return &Error{Offset: start, Kind: ErrNameConflict, Detail: "module already exports " + name}
		}
		if p, err = skipBytes(b, p, 1); err != nil { // kind
			return err
		}
		if p, err = skipU32(b, p); err != nil {
			return err
		}
	}
	return nil
}

func sectionName(id byte) string {
	switch id {
	case 1:
		return "type"
	case 2:
		return "import"
	case 3:
		return "function"
	case 4:
		return "table"
	case 5:
		return "memory"
	case 6:
		return "global"
	case 7:
		return "export"
	case 9:
		return "element"
	case 10:
		return "code"
	case 11:
		return "data"
	case 13:
		return "tag"
	}
	return fmt.Sprintf("id %d", id)
}
