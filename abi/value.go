package abi

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// Value is one CBOR-encoded value, as it crosses the boundary. Values are
// kept encoded so they can be forwarded (as a future passed to another call)
// without being decoded and encoded again.
type Value []byte

var (
	decMode cbor.DecMode
	encMode cbor.EncMode
)

func init() {
	var err error
	tags := handleTags()
	decMode, err = cbor.DecOptions{
		MaxNestedLevels:  MaxDepth,
		MaxArrayElements: MaxElements,
		MaxMapPairs:      MaxElements,
		IndefLength:      cbor.IndefLengthForbidden,
		// Only the ABI's registered tags occur: guest bytes are checked by
		// Validate (skipItem) first, which rejects all others.
		TagsMd:         cbor.TagsAllowed,
		DupMapKey:      cbor.DupMapKeyQuiet,
		UTF8:           cbor.UTF8RejectInvalid,
		IntDec:         cbor.IntDecConvertSignedOrBigInt,
		DefaultMapType: reflect.TypeOf(map[string]any(nil)),
	}.DecModeWithTags(tags)
	if err != nil {
		panic(err)
	}
	encMode, err = cbor.EncOptions{
		IndefLength: cbor.IndefLengthForbidden,
		Time:        cbor.TimeRFC3339Nano,
		TagsMd:      cbor.TagsAllowed,
	}.EncModeWithTags(tags)
	if err != nil {
		panic(err)
	}
}

// Null is the encoded CBOR null.
var null = Value{0xf6}

// Null returns the encoded CBOR null value.
func Null() Value { return Value{null[0]} }

// Encode encodes a Go value as CBOR. A Value is returned as is.
func Encode(v any) (Value, error) {
	if raw, ok := v.(Value); ok {
		return raw, nil
	}
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncode, err)
	}
	return b, nil
}

// MustEncode is Encode for values known to encode (constants in tests and examples).
func MustEncode(v any) Value {
	b, err := Encode(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Decode decodes the value into dst (a pointer), with the ABI's decode limits.
// Maps with non-text keys decode into map[any]any when dst is *any.
func (v Value) Decode(dst any) error {
	if err := decMode.Unmarshal(v, dst); err != nil {
		if isSyntaxErr(err) {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return decodeError(err)
	}
	return nil
}

// Interface decodes the value into a plain Go value (nil, bool, int64, uint64,
// float64, string, []byte, []any, map[string]any or map[any]any).
func (v Value) Interface() (any, error) {
	var x any
	err := v.Decode(&x)
	return x, err
}

// String renders the value in CBOR diagnostic notation, for logs and errors.
func (v Value) String() string {
	s, err := cbor.Diagnose(v)
	if err != nil {
		return fmt.Sprintf("<malformed CBOR %x>", []byte(v))
	}
	return s
}

// Validate checks that b holds exactly one well-formed CBOR item within the limits.
func Validate(b []byte) error {
	n, err := skipItem(b, 0)
	if err != nil {
		return err
	}
	if n != len(b) {
		return fmt.Errorf("%w: %d bytes after the item", ErrMalformed, len(b)-n)
	}
	return nil
}

// ValidateElement is Validate for an element of an array, such as one
// argument of an argument list: its nesting counts from one, as it will
// when the array is checked whole.
func ValidateElement(b []byte) error {
	n, err := skipItem(b, 1)
	if err != nil {
		return err
	}
	if n != len(b) {
		return fmt.Errorf("%w: %d bytes after the item", ErrMalformed, len(b)-n)
	}
	return nil
}

func isSyntaxErr(err error) bool {
	switch err.(type) {
	case *cbor.SyntaxError, *cbor.MaxNestedLevelError, *cbor.MaxArrayElementsError,
		*cbor.MaxMapPairsError, *cbor.IndefiniteLengthError, *cbor.TagsMdError,
		*cbor.ExtraneousDataError, *cbor.SemanticError:
		return true
	}
	return err.Error() == "EOF" || err.Error() == "unexpected EOF"
}

// AppendHead appends a CBOR item head: major type 0..7 and its argument
// (a value, a length or a tag number), in the shortest form.
func AppendHead(b []byte, major byte, n uint64) []byte { return appendHead(b, major<<5, n) }

// AppendText appends s as a CBOR text string.
func AppendText(b []byte, s string) []byte { return appendText(b, s) }

// AppendArrayHeader appends the header of a definite-length CBOR array of n items.
func AppendArrayHeader(b []byte, n int) []byte { return appendHead(b, 0x80, uint64(n)) }

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

// EncodeArgs encodes call arguments as one CBOR array, the form a method
// receives. Elements that are already a Value are copied in unchanged.
func EncodeArgs(args []any) ([]byte, error) {
	b := make([]byte, 0, 16+8*len(args))
	b = AppendArrayHeader(b, len(args))
	for i, a := range args {
		// Fast paths for the common scalars; everything else goes through
		// the reflection-based encoder.
		switch x := a.(type) {
		case Value:
			b = append(b, x...)
			continue
		case int:
			b = appendInt(b, int64(x))
			continue
		case int64:
			b = appendInt(b, x)
			continue
		case int32:
			b = appendInt(b, int64(x))
			continue
		case uint64:
			b = appendHead(b, 0x00, x)
			continue
		case string:
			b = appendText(b, x)
			continue
		case bool:
			if x {
				b = append(b, 0xf5)
			} else {
				b = append(b, 0xf4)
			}
			continue
		case nil:
			b = append(b, 0xf6)
			continue
		}
		enc, err := encMode.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("%w: argument %d (%T): %v", ErrEncode, i, a, err)
		}
		b = append(b, enc...)
	}
	return b, nil
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

// readHead reads the argument of a CBOR head (length or value), returning it
// and the head's size in bytes.
func readHead(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: empty", ErrMalformed)
	}
	ai := b[0] & 0x1f
	switch {
	case ai < 24:
		return uint64(ai), 1, nil
	case ai <= 27:
		size := 1 << (ai - 24)
		if len(b) < 1+size {
			return 0, 0, fmt.Errorf("%w: truncated head", ErrMalformed)
		}
		var n uint64
		for _, c := range b[1 : 1+size] {
			n = n<<8 | uint64(c)
		}
		return n, 1 + size, nil
	default:
		return 0, 0, fmt.Errorf("%w: indefinite or reserved length", ErrMalformed)
	}
}

// decodeError describes a value that does not fit the destination. For a
// struct field it names the field (as encoded) and the CBOR type found, not
// the Go types, since these messages can reach guests and API clients.
func decodeError(err error) error {
	var te *cbor.UnmarshalTypeError
	if errors.As(err, &te) {
		what := "the value"
		if f := te.StructFieldName; f != "" {
			what = "field " + f[strings.LastIndexByte(f, '.')+1:]
		}
		return &typeError{msg: fmt.Sprintf("abi: %s: %s is not of the expected type", what, te.CBORType), err: err}
	}
	return &typeError{msg: "abi: cannot decode the value: " + strings.TrimPrefix(err.Error(), "cbor: "), err: err}
}

// typeError is a well-formed value that does not decode into the
// destination; it wraps the decoder's error.
type typeError struct {
	msg string
	err error
}

func (e *typeError) Error() string { return e.msg }
func (e *typeError) Unwrap() error { return e.err }
