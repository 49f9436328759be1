package abi

import (
	"fmt"
	"unicode/utf8"
)

// skipItem checks that b starts with one well-formed CBOR item within the
// ABI's limits (definite lengths, no tags, valid UTF-8 text, depth and
// element bounds) and returns its length. It allocates nothing, so hostile
// bytes cost at most a linear scan.
func skipItem(b []byte, depth int) (int, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("%w: unexpected end of data", ErrMalformed)
	}
	major := b[0] >> 5
	ai := b[0] & 0x1f
	if ai == 31 {
		return 0, fmt.Errorf("%w: indefinite-length items are not allowed", ErrMalformed)
	}
	if ai >= 28 {
		return 0, fmt.Errorf("%w: reserved additional information %d", ErrMalformed, ai)
	}
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
			return 0, fmt.Errorf("%w: string of %d bytes, %d left", ErrMalformed, arg, rest)
		}
		end := h + int(arg)
		if major == 3 && !utf8.Valid(b[h:end]) {
			return 0, fmt.Errorf("%w: invalid UTF-8 in text", ErrMalformed)
		}
		return end, nil
	case 4, 5:
		if depth >= MaxDepth {
			return 0, fmt.Errorf("%w: more than %d nested arrays and maps", ErrMalformed, MaxDepth)
		}
		if arg > MaxElements {
			return 0, fmt.Errorf("%w: %d elements exceeds %d", ErrMalformed, arg, MaxElements)
		}
		n := arg
		if major == 5 {
			n *= 2
		}
		if n > rest {
			return 0, fmt.Errorf("%w: %d items cannot fit in %d bytes", ErrMalformed, n, rest)
		}
		off := h
		for i := uint64(0); i < n; i++ {
			k, err := skipItem(b[off:], depth+1)
			if err != nil {
				return 0, err
			}
			off += k
		}
		return off, nil
	case 6:
		if arg != TagActorHandle {
			return 0, fmt.Errorf("%w: tag %d is not allowed", ErrMalformed, arg)
		}
		// A handle: [id text, class text].
		content := b[h:]
		if len(content) < 1 || content[0] != 0x82 {
			return 0, fmt.Errorf("%w: tag %d must hold an array of two texts", ErrMalformed, arg)
		}
		off := h + 1
		for i := 0; i < 2; i++ {
			if off >= len(b) || b[off]>>5 != 3 {
				return 0, fmt.Errorf("%w: tag %d must hold an array of two texts", ErrMalformed, arg)
			}
			k, err := skipItem(b[off:], depth+1)
			if err != nil {
				return 0, err
			}
			off += k
		}
		return off, nil
	default: // 7: simple values and floats
		if ai == 24 && arg < 32 {
			return 0, fmt.Errorf("%w: invalid simple value encoding", ErrMalformed)
		}
		return h, nil
	}
}

// splitArray checks that b is exactly one well-formed array and returns its
// elements as sub-slices of b.
func splitArray(b []byte, dst []Value) ([]Value, error) {
	n, err := skipItem(b, 0)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after the item", ErrMalformed, len(b)-n)
	}
	if b[0]>>5 != 4 {
		return nil, fmt.Errorf("%w: want an array", ErrMalformed)
	}
	count, off, _ := readHead(b)
	for i := uint64(0); i < count; i++ {
		k, _ := skipItem(b[off:], 1)
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
	n, h, err := readHead(v)
	if err != nil || uint64(len(v)-h) < n {
		return "", false
	}
	return string(v[h : h+int(n)]), true
}
