package abi

import (
	"fmt"
)

// Value is one CBOR-encoded value, as it crosses the boundary. Values are
// kept encoded so they can be forwarded (as a future passed to another call)
// without being decoded and encoded again. Package abi/codec converts
// between Values and Go values.
type Value []byte

// Null is the encoded CBOR null.
var null = Value{0xf6}

// Null returns the encoded CBOR null value.
func Null() Value { return Value{null[0]} }

// String renders the value in CBOR diagnostic notation (RFC 8949 section 8),
// for logs and errors. The bytes may come from a guest, so the text is
// bounded: output longer than MaxDiagnosticBytes is cut and ends in "...".
// A value that is not one well-formed item within the ABI's limits prints as
// "<malformed CBOR ...>" with its first bytes in hex.
func (v Value) String() string { return Diagnose(v) }

// MarshalCBOR returns v as it is: a Value nested in a Go value (a list of
// Values, a map to one) is encoded as the item it holds, not as a byte
// string, as it is at the top level of an argument list. An empty Value is
// null.
func (v Value) MarshalCBOR() ([]byte, error) {
	if len(v) == 0 {
		return Null(), nil
	}
	return v, nil
}

// UnmarshalCBOR keeps the item as it is (a copy), so a Value field or
// element decodes to the encoded item, whatever its type.
func (v *Value) UnmarshalCBOR(b []byte) error {
	*v = append((*v)[:0], b...)
	return nil
}

// Validate checks that b holds exactly one well-formed CBOR item within the limits.
func Validate(b []byte) error {
	n, err := SkipItem(b, 0)
	if err != nil {
		return err
	}
	if n != len(b) {
		return syntaxErrorf(RuleTrailing, "%d bytes after the item", uint64(len(b)-n))
	}
	return nil
}

// ValidateElement is Validate for an element of an array, such as one
// argument of an argument list: its nesting counts from one, as it will
// when the array is checked whole.
func ValidateElement(b []byte) error {
	n, err := SkipItem(b, 1)
	if err != nil {
		return err
	}
	if n != len(b) {
		return syntaxErrorf(RuleTrailing, "%d bytes after the item", uint64(len(b)-n))
	}
	return nil
}

// AppendHead appends a CBOR item head: major type 0..7 and its argument
// (a value, a length or a tag number), in the shortest form.
func AppendHead(b []byte, major byte, n uint64) []byte { return appendHead(b, major<<5, n) }

// AppendText appends s as a CBOR text string.
func AppendText(b []byte, s string) []byte { return appendText(b, s) }

// AppendArrayHeader appends the header of a definite-length CBOR array of n items.
func AppendArrayHeader(b []byte, n int) []byte { return appendHead(b, 0x80, uint64(n)) }

// AppendInt appends v as a CBOR integer (major type 0 or 1), in the shortest form.
func AppendInt(b []byte, v int64) []byte { return appendInt(b, v) }

func appendHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= 0xff:
		return append(b, major|24, byte(n))
	case n <= 0xffff:
		return append(b, major|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, major|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(b, major|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
			byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func appendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return appendHead(b, 0x00, uint64(v))
	}
	return appendHead(b, 0x20, uint64(-1-v))
}

// ArgCount returns the number of elements of an encoded argument array,
// checking that b is exactly one well-formed array.
func ArgCount(b []byte) (int, error) {
	if err := Validate(b); err != nil {
		return 0, err
	}
	if len(b) == 0 || b[0]>>5 != 4 {
		return 0, fmt.Errorf("%w: arguments must be a CBOR array", ErrMalformed)
	}
	n, _, err := readHead(b)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
