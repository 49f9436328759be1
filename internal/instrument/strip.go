package instrument

import "errors"

// Segment is an active data segment: bytes written at Offset of memory 0
// when a module is instantiated.
type Segment struct {
	Offset uint32
	Data   []byte
}

// ErrNotSplittable is returned by SplitData for a module whose data
// segments it cannot take out: passive segments, or an offset that is not
// a constant.
var ErrNotSplittable = errors.New("data segments cannot be taken out")

// SplitData returns wasm without its data segments, and the segments, so
// that the host writes them itself after instantiation. One compiled module
// then serves both a cold start (instantiate, write the segments, run
// _initialize) and a start from a snapshot, where writing the segments
// would be wasted work (megabytes for a Go guest) and, for memory mapped
// copy-on-write from a template, would copy the pages it touched. It fails
// with ErrNotSplittable when the module has passive segments (which code
// may copy with memory.init) or an offset other than a constant expression
// of i32.const (and the extended-const i32.add/sub/mul).
func SplitData(wasm []byte) ([]byte, []Segment, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, nil, malformed(0, "not a WebAssembly binary")
	}
	type sec struct {
		id              byte
		hdr, start, end int
	}
	var secs []sec
	var segs []Segment
	for p := 8; p < len(wasm); {
		id := wasm[p]
		size, np, err := readU32(wasm, p+1)
		if err != nil {
			return nil, nil, err
		}
		if int64(size) > int64(len(wasm)-np) {
			return nil, nil, malformed(p, "section %d size %d exceeds the module", id, size)
		}
		end := np + int(size)
		if id == secDataID {
			if segs, err = readSegments(wasm[:end], np); err != nil {
				return nil, nil, err
			}
		}
		secs = append(secs, sec{id, p, np, end})
		p = end
	}
	out := append(make([]byte, 0, len(wasm)), wasm[:8]...)
	for _, s := range secs {
		switch s.id {
		case secDataID:
			out = appendSection(out, secDataID, appendU32(nil, 0), nil, nil)
		case secDataCountID:
			out = appendSection(out, secDataCountID, appendU32(nil, 0), nil, nil)
		default:
			out = append(out, wasm[s.hdr:s.end]...)
		}
	}
	return out, segs, nil
}

// readSegments reads the data section body that starts at p and ends at
// len(b).
func readSegments(b []byte, p int) ([]Segment, error) {
	n, p, err := readU32(b, p)
	if err != nil {
		return nil, err
	}
	segs := make([]Segment, 0, min(n, 1<<16))
	for i := uint32(0); i < n; i++ {
		start := p
		flags, q, err := readU32(b, p)
		if err != nil {
			return nil, err
		}
		switch flags {
		case 0, 2:
			if flags == 2 {
				var mem uint32
				if mem, q, err = readU32(b, q); err != nil {
					return nil, err
				}
				if mem != 0 {
					return nil, ErrNotSplittable
				}
			}
			off, q, err := evalOffset(b, q)
			if err != nil {
				return nil, err
			}
			size, r, err := readU32(b, q)
			if err != nil {
				return nil, err
			}
			if p, err = skipBytes(b, r, int(size)); err != nil {
				return nil, err
			}
			segs = append(segs, Segment{Offset: off, Data: b[r:p:p]})
		case 1:
			return nil, ErrNotSplittable
		default:
			return nil, malformed(start, "data segment flags %d", flags)
		}
	}
	if p != len(b) {
		return nil, malformed(p, "data section has %d bytes after its segments", len(b)-p)
	}
	return segs, nil
}

// evalOffset evaluates a constant i32 offset expression.
func evalOffset(b []byte, p int) (uint32, int, error) {
	var stack []uint32
	for {
		if p >= len(b) {
			return 0, p, malformed(p, "offset expression runs past the section")
		}
		op := b[p]
		p++
		switch op {
		case 0x0b: // end
			if len(stack) != 1 {
				return 0, p, malformed(p, "offset expression leaves %d values", len(stack))
			}
			return stack[0], p, nil
		case 0x41: // i32.const
			v, np, err := readS33(b, p)
			if err != nil {
				return 0, np, err
			}
			stack, p = append(stack, uint32(int32(v))), np
		case 0x6a, 0x6b, 0x6c: // i32.add, i32.sub, i32.mul
			if len(stack) < 2 {
				return 0, p, malformed(p, "offset expression underflows")
			}
			x, y := stack[len(stack)-2], stack[len(stack)-1]
			stack = stack[:len(stack)-2]
			switch op {
			case 0x6a:
				stack = append(stack, x+y)
			case 0x6b:
				stack = append(stack, x-y)
			default:
				stack = append(stack, x*y)
			}
		default:
			return 0, p, ErrNotSplittable
		}
	}
}

// Section ids.
const (
	secDataID      = 11
	secDataCountID = 12
)
