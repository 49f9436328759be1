package instrument

import "github.com/wactor/wactor/abi"

// This file holds the bounds-checked LEB128 readers and the instruction
// walker. Every function takes the whole module b and an absolute position p;
// callers limit reads by slicing b[:end], which keeps positions absolute so
// that errors report module offsets.

// readU32 decodes an unsigned LEB128 of at most 5 bytes.
func readU32(b []byte, p int) (uint32, int, error) {
	if p < len(b) && b[p] < 0x80 { // one byte: most immediates
		return uint32(b[p]), p + 1, nil
	}
	if p > len(b) {
		return 0, p, malformed(p, "truncated LEB128")
	}
	v, n, err := abi.ReadULEB128(b[p:], 32)
	switch err {
	case nil:
		return uint32(v), p + n, nil
	case abi.ErrLEB128Truncated:
		return 0, p + n, malformed(p+n, "truncated LEB128")
	default:
		return 0, p + n, malformed(p+n-1, "u32 LEB128 too large")
	}
}

// skipLEB skips a LEB128 of at most maxBytes bytes.
func skipLEB(b []byte, p, maxBytes int) (int, error) {
	for i := 0; i < maxBytes; i++ {
		if p >= len(b) {
			return p, malformed(p, "truncated LEB128")
		}
		c := b[p]
		p++
		if c < 0x80 {
			return p, nil
		}
	}
	return p, malformed(p-1, "LEB128 too long")
}

// skipU32 skips an unsigned 32-bit LEB128.
func skipU32(b []byte, p int) (int, error) {
	_, p, err := readU32(b, p)
	return p, err
}

// readS33 decodes a signed 33-bit LEB128 (block types and heap types).
func readS33(b []byte, p int) (int64, int, error) {
	var v int64
	var shift uint
	for i := 0; i < 5; i++ {
		if p >= len(b) {
			return 0, p, malformed(p, "truncated LEB128")
		}
		c := b[p]
		p++
		v |= int64(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, p, nil
		}
	}
	return 0, p, malformed(p-1, "s33 LEB128 too long")
}

// skipBytes skips n raw bytes.
func skipBytes(b []byte, p, n int) (int, error) {
	if n > len(b)-p {
		return p, malformed(p, "truncated immediate")
	}
	return p + n, nil
}

// isShortValType reports whether c is a one-byte value type: a number type,
// v128, or an abstract reference type shorthand (funcref, externref, and the
// GC/exception shorthands, which are harmless to accept here).
func isShortValType(c byte) bool {
	return (c >= 0x7b && c <= 0x7f) || (c >= 0x69 && c <= 0x74)
}

// skipValType skips a value type, including (ref null? ht).
func skipValType(b []byte, p int) (int, error) {
	if p >= len(b) {
		return p, malformed(p, "truncated value type")
	}
	c := b[p]
	switch {
	case isShortValType(c):
		return p + 1, nil
	case c == 0x63 || c == 0x64:
		return skipHeapType(b, p+1)
	}
	return p, malformed(p, "invalid value type 0x%02x", c)
}

// skipHeapType skips a heap type (s33: negative shorthand or type index).
func skipHeapType(b []byte, p int) (int, error) {
	v, np, err := readS33(b, p)
	if err != nil {
		return np, err
	}
	if v < 0 && !isShortValType(b[p]) {
		return np, malformed(p, "invalid heap type")
	}
	return np, nil
}

// skipBlockType skips a block type: 0x40, a value type, or a type index.
func skipBlockType(b []byte, p int) (int, error) {
	if p >= len(b) {
		return p, malformed(p, "truncated block type")
	}
	c := b[p]
	if c == 0x40 || isShortValType(c) {
		return p + 1, nil
	}
	if c == 0x63 || c == 0x64 {
		return skipHeapType(b, p+1)
	}
	v, np, err := readS33(b, p)
	if err != nil {
		return np, err
	}
	if v < 0 {
		return np, malformed(p, "invalid block type")
	}
	return np, nil
}

// skipMemarg skips a memory argument: align (with the multi-memory flag bit 6
// announcing a memory index) and offset (u64 to allow memory64).
func skipMemarg(b []byte, p int) (int, error) {
	align, p, err := readU32(b, p)
	if err != nil {
		return p, err
	}
	if align&0x40 != 0 {
		if p, err = skipU32(b, p); err != nil {
			return p, err
		}
	}
	return skipLEB(b, p, 10)
}

// instrKind tells the caller how an instruction affects block nesting.
type instrKind uint8

const (
	kPlain    instrKind = iota
	kBlock              // block, if, try, try_table: opens a non-loop frame
	kLoop               // loop: opens a loop frame
	kEnd                // end: closes the innermost frame (or the body)
	kDelegate           // delegate: closes the innermost frame (a try)
)

// Immediate shapes of one-byte opcodes.
const (
	immInvalid uint8 = iota
	immNone
	immBlock   // block type, opens a frame
	immLoop    // block type, opens a loop
	immEnd     // end
	immU32     // one u32 index
	immU32x2   // two u32 indices
	immBrTable // vec(label) label
	immSelectT // vec(valtype)
	immTry     // legacy try: block type, opens a frame
	immDelegate
	immTryTable // block type vec(catch), opens a frame
	immMemarg
	immS32
	immS64
	imm4
	imm8
	immHeapType
	immPrefixFC
	immPrefixFD
	immPrefixFE
)

var immTable = func() (t [256]uint8) {
	set := func(lo, hi int, v uint8) {
		for i := lo; i <= hi; i++ {
			t[i] = v
		}
	}
	set(0x00, 0x01, immNone) // unreachable nop
	set(0x02, 0x02, immBlock)
	set(0x03, 0x03, immLoop)
	set(0x04, 0x04, immBlock) // if
	set(0x05, 0x05, immNone)  // else
	set(0x06, 0x06, immTry)
	set(0x07, 0x07, immU32) // catch tag
	set(0x08, 0x08, immU32) // throw tag
	set(0x09, 0x09, immU32) // rethrow label
	set(0x0a, 0x0a, immNone)
	set(0x0b, 0x0b, immEnd)
	set(0x0c, 0x0d, immU32) // br br_if
	set(0x0e, 0x0e, immBrTable)
	set(0x0f, 0x0f, immNone)  // return
	set(0x10, 0x10, immU32)   // call
	set(0x11, 0x11, immU32x2) // call_indirect type table
	set(0x12, 0x12, immU32)   // return_call
	set(0x13, 0x13, immU32x2) // return_call_indirect
	set(0x14, 0x15, immU32)   // call_ref return_call_ref (type index)
	set(0x18, 0x18, immDelegate)
	set(0x19, 0x19, immNone) // catch_all
	set(0x1a, 0x1b, immNone) // drop select
	set(0x1c, 0x1c, immSelectT)
	set(0x1f, 0x1f, immTryTable)
	set(0x20, 0x26, immU32) // local.* global.* table.get table.set
	set(0x28, 0x3e, immMemarg)
	set(0x3f, 0x40, immU32) // memory.size memory.grow
	set(0x41, 0x41, immS32)
	set(0x42, 0x42, immS64)
	set(0x43, 0x43, imm4)
	set(0x44, 0x44, imm8)
	set(0x45, 0xc4, immNone) // numeric, sign extension
	set(0xd0, 0xd0, immHeapType)
	set(0xd1, 0xd1, immNone)
	set(0xd2, 0xd2, immU32)  // ref.func
	set(0xd4, 0xd4, immNone) // ref.as_non_null
	set(0xd5, 0xd6, immU32)  // br_on_null br_on_non_null
	set(0xfc, 0xfc, immPrefixFC)
	set(0xfd, 0xfd, immPrefixFD)
	set(0xfe, 0xfe, immPrefixFE)
	return t
}()

// simdUnassigned marks the 0xFD sub-opcodes below 256 that the SIMD
// proposal leaves unassigned.
var simdUnassigned = func() (t [256]bool) {
	for _, op := range []int{0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4,
		0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee} {
		t[op] = true
	}
	return t
}()

// nextInstr decodes the instruction at p and returns its kind and the
// position just after its immediates.
func nextInstr(b []byte, p int) (instrKind, int, error) {
	if p >= len(b) {
		return kPlain, p, malformed(p, "truncated instruction")
	}
	op := b[p]
	start := p
	p++
	var err error
	switch immTable[op] {
	case immNone:
		return kPlain, p, nil
	case immU32:
		p, err = skipU32(b, p)
		return kPlain, p, err
	case immMemarg:
		p, err = skipMemarg(b, p)
		return kPlain, p, err
	case immS32:
		p, err = skipLEB(b, p, 5)
		return kPlain, p, err
	case immS64:
		p, err = skipLEB(b, p, 10)
		return kPlain, p, err
	case immEnd:
		return kEnd, p, nil
	case immBlock, immTry:
		p, err = skipBlockType(b, p)
		return kBlock, p, err
	case immLoop:
		p, err = skipBlockType(b, p)
		return kLoop, p, err
	case immU32x2:
		if p, err = skipU32(b, p); err != nil {
			return kPlain, p, err
		}
		p, err = skipU32(b, p)
		return kPlain, p, err
	case imm4:
		p, err = skipBytes(b, p, 4)
		return kPlain, p, err
	case imm8:
		p, err = skipBytes(b, p, 8)
		return kPlain, p, err
	case immBrTable:
		var n uint32
		if n, p, err = readU32(b, p); err != nil {
			return kPlain, p, err
		}
		if int64(n) >= int64(len(b)-p) { // n+1 labels of at least one byte
			return kPlain, p, malformed(p, "br_table has more labels than bytes")
		}
		for i := uint32(0); i <= n; i++ {
			if p, err = skipU32(b, p); err != nil {
				return kPlain, p, err
			}
		}
		return kPlain, p, nil
	case immSelectT:
		var n uint32
		if n, p, err = readU32(b, p); err != nil {
			return kPlain, p, err
		}
		if int64(n) > int64(len(b)-p) {
			return kPlain, p, malformed(p, "select has more types than bytes")
		}
		for i := uint32(0); i < n; i++ {
			if p, err = skipValType(b, p); err != nil {
				return kPlain, p, err
			}
		}
		return kPlain, p, nil
	case immDelegate:
		p, err = skipU32(b, p)
		return kDelegate, p, err
	case immTryTable:
		if p, err = skipBlockType(b, p); err != nil {
			return kPlain, p, err
		}
		var n uint32
		if n, p, err = readU32(b, p); err != nil {
			return kPlain, p, err
		}
		if int64(n) > int64(len(b)-p)/2 {
			return kPlain, p, malformed(p, "try_table has more catches than bytes")
		}
		for i := uint32(0); i < n; i++ {
			if p >= len(b) {
				return kPlain, p, malformed(p, "truncated catch clause")
			}
			c := b[p]
			p++
			switch c {
			case 0x00, 0x01: // catch tag label, catch_ref tag label
				if p, err = skipU32(b, p); err != nil {
					return kPlain, p, err
				}
			case 0x02, 0x03: // catch_all label, catch_all_ref label
			default:
				return kPlain, p, malformed(p-1, "invalid catch clause 0x%02x", c)
			}
			if p, err = skipU32(b, p); err != nil {
				return kPlain, p, err
			}
		}
		return kBlock, p, nil
	case immHeapType:
		p, err = skipHeapType(b, p)
		return kPlain, p, err
	case immPrefixFC:
		return skipFC(b, start, p)
	case immPrefixFD:
		return skipFD(b, start, p)
	case immPrefixFE:
		return skipFE(b, start, p)
	}
	return kPlain, p, unsupported(start, "opcode 0x%02x", op)
}

// skipFC skips a 0xFC-prefixed instruction (saturating truncation, bulk
// memory and table instructions); p is just after the prefix.
func skipFC(b []byte, start, p int) (instrKind, int, error) {
	sub, p, err := readU32(b, p)
	if err != nil {
		return kPlain, p, err
	}
	switch {
	case sub <= 7: // i32/i64.trunc_sat_*
		return kPlain, p, nil
	case sub == 8 || sub == 10 || sub == 12 || sub == 14:
		// memory.init data mem, memory.copy mem mem, table.init elem table,
		// table.copy table table
		if p, err = skipU32(b, p); err != nil {
			return kPlain, p, err
		}
		p, err = skipU32(b, p)
		return kPlain, p, err
	case sub <= 17:
		// data.drop, memory.fill, elem.drop, table.grow/size/fill
		p, err = skipU32(b, p)
		return kPlain, p, err
	}
	return kPlain, p, unsupported(start, "opcode 0xfc %d", sub)
}

// skipFD skips a 0xFD-prefixed (SIMD) instruction; p is just after the prefix.
func skipFD(b []byte, start, p int) (instrKind, int, error) {
	sub, p, err := readU32(b, p)
	if err != nil {
		return kPlain, p, err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93: // loads, store, load*_zero
		p, err = skipMemarg(b, p)
		return kPlain, p, err
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		p, err = skipBytes(b, p, 16)
		return kPlain, p, err
	case sub >= 21 && sub <= 34: // extract_lane / replace_lane
		p, err = skipBytes(b, p, 1)
		return kPlain, p, err
	case sub >= 84 && sub <= 91: // load*_lane / store*_lane
		if p, err = skipMemarg(b, p); err != nil {
			return kPlain, p, err
		}
		p, err = skipBytes(b, p, 1)
		return kPlain, p, err
	case sub <= 255 && !simdUnassigned[sub]:
		return kPlain, p, nil
	}
	return kPlain, p, unsupported(start, "opcode 0xfd %d", sub)
}

// skipFE skips a 0xFE-prefixed (threads) instruction; p is just after the
// prefix.
func skipFE(b []byte, start, p int) (instrKind, int, error) {
	sub, p, err := readU32(b, p)
	if err != nil {
		return kPlain, p, err
	}
	switch {
	case sub <= 2 || (sub >= 0x10 && sub <= 0x4e): // notify, wait, loads, stores, rmw
		p, err = skipMemarg(b, p)
		return kPlain, p, err
	case sub == 3: // atomic.fence 0x00
		p, err = skipBytes(b, p, 1)
		return kPlain, p, err
	}
	return kPlain, p, unsupported(start, "opcode 0xfe %d", sub)
}

// skipConstExpr skips an initializer expression up to and including its end.
func skipConstExpr(b []byte, p int) (int, error) {
	depth := 0
	for {
		kind, np, err := nextInstr(b, p)
		if err != nil {
			return np, err
		}
		p = np
		switch kind {
		case kBlock, kLoop:
			depth++
		case kEnd:
			if depth == 0 {
				return p, nil
			}
			depth--
		case kDelegate:
			if depth == 0 {
				return p, malformed(p, "delegate outside a try block")
			}
			depth--
		}
	}
}
