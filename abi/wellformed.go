package abi

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The one CBOR well-formedness walker of the tree: the host checks guest
// bytes with it (Validate), the HTTP server checks arguments with it, and
// the Go guest SDK skips unknown fields and checks Raw values with it.

// Rule names the rule of the ABI's CBOR profile (docs/ABI.md section 2)
// that bytes break.
type Rule int

// The rules a SyntaxError can name.
const (
	// RuleTruncated: the data ends inside an item's head, or where an item
	// should start.
	RuleTruncated Rule = iota + 1
	// RuleLength: a string's length or a container's count that the bytes
	// left cannot hold.
	RuleLength
	// RuleIndefinite: an indefinite length.
	RuleIndefinite
	// RuleBreak: a break code (0xff) where an item should start.
	RuleBreak
	// RuleReserved: a reserved additional information value (28 to 30).
	RuleReserved
	// RuleUTF8: text that is not valid UTF-8.
	RuleUTF8
	// RuleDepth: arrays, maps and tags nested deeper than MaxDepth.
	RuleDepth
	// RuleElements: an array or map of more than MaxElements elements.
	RuleElements
	// RuleTag: a tag other than TagActorHandle.
	RuleTag
	// RuleHandle: tag TagActorHandle around anything but an array of two texts.
	RuleHandle
	// RuleSimple: a simple value in the two-byte form below 32.
	RuleSimple
	// RuleTrailing: bytes after the item.
	RuleTrailing
)

// SyntaxError is bytes that are not one well-formed CBOR item within the
// ABI's limits. It wraps ErrMalformed; Rule says which rule the bytes
// break, so a codec with its own error words (the guest SDK's) can map it.
type SyntaxError struct {
	Rule   Rule
	Detail string // what is wrong, with the numbers
}

// Error returns "abi: malformed CBOR: " and the detail.
func (e *SyntaxError) Error() string { return ErrMalformed.Error() + ": " + e.Detail }

// Unwrap returns ErrMalformed.
func (e *SyntaxError) Unwrap() error { return ErrMalformed }

// syntaxErrorf makes a SyntaxError, replacing each %d of format with the
// next of args. It does not use fmt: the Go guest SDK links this walker,
// and fmt would add about 250 KB to every Go guest.
func syntaxErrorf(rule Rule, format string, args ...uint64) error {
	b := make([]byte, 0, len(format)+16)
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) && format[i+1] == 'd' && len(args) > 0 {
			b = strconv.AppendUint(b, args[0], 10)
			args = args[1:]
			i++
			continue
		}
		b = append(b, format[i])
	}
	return &SyntaxError{Rule: rule, Detail: string(b)}
}

// ReadHead reads the head of the CBOR item at the start of b: its argument
// (a value, a length, a tag number or a float's bits) and the head's size
// in bytes. ok is false for a truncated head, an indefinite length or a
// reserved additional information value.
func ReadHead(b []byte) (arg uint64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	ai := b[0] & 0x1f
	switch {
	case ai < 24:
		return uint64(ai), 1, true
	case ai <= 27:
		size := 1 << (ai - 24)
		if len(b) < 1+size {
			return 0, 0, false
		}
		for _, c := range b[1 : 1+size] {
			arg = arg<<8 | uint64(c)
		}
		return arg, 1 + size, true
	}
	return 0, 0, false
}

// readHead is ReadHead with an error saying why the head is not readable.
func readHead(b []byte) (uint64, int, error) {
	arg, n, ok := ReadHead(b)
	if ok {
		return arg, n, nil
	}
	switch {
	case len(b) == 0:
		return 0, 0, syntaxErrorf(RuleTruncated, "unexpected end of data")
	case b[0] == 0xff:
		return 0, 0, syntaxErrorf(RuleBreak, "indefinite-length items are not allowed")
	case b[0]&0x1f == 31:
		return 0, 0, syntaxErrorf(RuleIndefinite, "indefinite-length items are not allowed")
	case b[0]&0x1f >= 28:
		return 0, 0, syntaxErrorf(RuleReserved, "reserved additional information %d", uint64(b[0]&0x1f))
	}
	return 0, 0, syntaxErrorf(RuleTruncated, "truncated head")
}

// SkipItem checks that b starts with one well-formed CBOR item within the
// ABI's limits (definite lengths, no tag but an actor handle, valid UTF-8
// text, depth and element bounds) and returns its length. depth is the
// number of arrays, maps and tags around the item (0 for a whole value, 1
// for an element of an argument array). Errors are *SyntaxError. It
// allocates nothing unless it fails, so hostile bytes cost at most a linear
// scan.
func SkipItem(b []byte, depth int) (int, error) {
	if len(b) == 0 {
		return 0, syntaxErrorf(RuleTruncated, "unexpected end of data")
	}
	major := b[0] >> 5
	ai := b[0] & 0x1f
	arg, h, err := readHead(b)
	if err != nil {
		return 0, err
	}
	rest := uint64(len(b) - h)
	switch major {
	case 0, 1:
		return h, nil
	case 2, 3:
		if arg > rest {
			return 0, syntaxErrorf(RuleLength, "string of %d bytes, %d left", arg, rest)
		}
		end := h + int(arg)
		if major == 3 && !utf8.Valid(b[h:end]) {
			return 0, syntaxErrorf(RuleUTF8, "invalid UTF-8 in text")
		}
		return end, nil
	case 4, 5:
		if depth >= MaxDepth {
			return 0, syntaxErrorf(RuleDepth, "more than %d nested arrays and maps", MaxDepth)
		}
		if arg > MaxElements {
			return 0, syntaxErrorf(RuleElements, "%d elements exceeds %d", arg, MaxElements)
		}
		n := arg
		if major == 5 {
			n *= 2
		}
		if n > rest {
			return 0, syntaxErrorf(RuleLength, "%d items cannot fit in %d bytes", n, rest)
		}
		off := h
		for i := uint64(0); i < n; i++ {
			k, err := SkipItem(b[off:], depth+1)
			if err != nil {
				return 0, err
			}
			off += k
		}
		return off, nil
	case 6:
		if arg != TagActorHandle {
			return 0, syntaxErrorf(RuleTag, "tag %d is not allowed", arg)
		}
		// The tag is one level of nesting and its array another
		// (docs/ABI.md section 2).
		if depth+1 >= MaxDepth {
			return 0, syntaxErrorf(RuleDepth, "more than %d nested arrays, maps and tags", MaxDepth)
		}
		// A handle: [id text, class text], checked as any array is.
		content := b[h:]
		if len(content) == 0 {
			return 0, syntaxErrorf(RuleTruncated, "unexpected end of data")
		}
		if content[0]>>5 != 4 {
			return 0, syntaxErrorf(RuleHandle, "tag %d must hold an array of two texts", arg)
		}
		count, ah, err := readHead(content)
		if err != nil {
			return 0, err
		}
		if count != 2 {
			return 0, syntaxErrorf(RuleHandle, "tag %d must hold an array of two texts", arg)
		}
		if left := uint64(len(content) - ah); left < 2 {
			return 0, syntaxErrorf(RuleLength, "%d items cannot fit in %d bytes", 2, left)
		}
		off := h + ah
		for i := 0; i < 2; i++ {
			if off < len(b) && b[off]>>5 != 3 {
				return 0, syntaxErrorf(RuleHandle, "tag %d must hold an array of two texts", arg)
			}
			k, err := SkipItem(b[off:], depth+2)
			if err != nil {
				return 0, err
			}
			off += k
		}
		return off, nil
	default: // 7: simple values and floats
		if ai == 24 && arg < 32 {
			return 0, syntaxErrorf(RuleSimple, "invalid simple value encoding")
		}
		return h, nil
	}
}

// ItemLen returns the length of the CBOR item at the start of b, which a
// caller already knows to be well-formed (checked by SkipItem or Validate,
// or by a generic CBOR decoder: any tag is stepped over). It checks nothing
// and never reads past b: on bytes that are not well-formed it returns some
// length up to len(b).
func ItemLen(b []byte) int {
	arg, n, ok := ReadHead(b)
	if !ok {
		return len(b)
	}
	switch b[0] >> 5 {
	case 2, 3:
		if arg > uint64(len(b)-n) {
			return len(b)
		}
		return n + int(arg)
	case 4, 5:
		items := arg
		if b[0]>>5 == 5 {
			items *= 2
		}
		off := n
		for i := uint64(0); i < items && off < len(b); i++ {
			off += ItemLen(b[off:])
		}
		return off
	case 6:
		return n + ItemLen(b[n:])
	}
	return n
}

// splitArray checks that b is exactly one well-formed array and returns its
// elements as sub-slices of b.
func splitArray(b []byte, dst []Value) ([]Value, error) {
	n, err := SkipItem(b, 0)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, syntaxErrorf(RuleTrailing, "%d bytes after the item", uint64(len(b)-n))
	}
	if b[0]>>5 != 4 {
		return nil, fmt.Errorf("%w: want an array", ErrMalformed)
	}
	count, off, _ := ReadHead(b)
	for i := uint64(0); i < count; i++ {
		k := ItemLen(b[off:])
		dst = append(dst, Value(b[off:off+k]))
		off += k
	}
	return dst, nil
}

// SplitArray checks that v is one well-formed array and returns its
// elements, which share v's memory.
func SplitArray(v Value) ([]Value, error) { return splitArray(v, nil) }

// decodeText decodes a well-formed CBOR text item.
func decodeText(v Value) (string, bool) {
	if len(v) == 0 || v[0]>>5 != 3 {
		return "", false
	}
	n, h, ok := ReadHead(v)
	if !ok || uint64(len(v)-h) < n {
		return "", false
	}
	return string(v[h : h+int(n)]), true
}
