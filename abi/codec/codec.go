// Package codec converts between Go values and the ABI's CBOR values
// (abi.Value), with the ABI's decode limits and its registered tag (an
// abi.Handle is tag 51000). It is the host-side codec, built on
// github.com/fxamacker/cbor; package abi itself stays on the standard library
// so guests and tools can import the contract alone.
//
// Errors wrap abi's sentinels (abi.ErrMalformed, abi.ErrEncode) with %w.
// All functions are safe for concurrent use.
package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
	"github.com/wactor/wactor/abi"
)

var (
	decMode cbor.DecMode
	encMode cbor.EncMode
)

func init() {
	var err error
	tags := handleTags()
	decMode, err = cbor.DecOptions{
		MaxNestedLevels:  abi.MaxDepth,
		MaxArrayElements: abi.MaxElements,
		MaxMapPairs:      abi.MaxElements,
		IndefLength:      cbor.IndefLengthForbidden,
		// Only the ABI's registered tags occur: guest bytes are checked by
		// abi.Validate first, which rejects all others.
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

func handleTags() cbor.TagSet {
	tags := cbor.NewTagSet()
	err := tags.Add(cbor.TagOptions{EncTag: cbor.EncTagRequired, DecTag: cbor.DecTagRequired},
		reflect.TypeOf(abi.Handle{}), abi.TagActorHandle)
	if err != nil {
		panic(err)
	}
	return tags
}

// Encode encodes a Go value as CBOR. An abi.Value is returned as is.
func Encode(v any) (abi.Value, error) {
	if raw, ok := v.(abi.Value); ok {
		return raw, nil
	}
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", abi.ErrEncode, err)
	}
	return b, nil
}

// MustEncode is Encode for values known to encode (constants in tests and examples).
func MustEncode(v any) abi.Value {
	b, err := Encode(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Decode decodes the value into dst (a pointer), with the ABI's decode limits.
// Maps with non-text keys decode into map[any]any when dst is *any.
func Decode(v abi.Value, dst any) error {
	if err := decMode.Unmarshal(v, dst); err != nil {
		if isSyntaxErr(err) {
			return fmt.Errorf("%w: %v", abi.ErrMalformed, err)
		}
		return decodeError(err)
	}
	return nil
}

// Interface decodes the value into a plain Go value (nil, bool, int64, uint64,
// float64, string, []byte, []any, map[string]any, map[any]any or abi.Handle).
func Interface(v abi.Value) (any, error) {
	var x any
	err := Decode(v, &x)
	return x, err
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

// EncodeArgs encodes call arguments as one CBOR array, the form a method
// receives. Elements that are already an abi.Value are copied in unchanged.
func EncodeArgs(args []any) ([]byte, error) {
	b := make([]byte, 0, 16+8*len(args))
	b = abi.AppendArrayHeader(b, len(args))
	for i, a := range args {
		// Fast paths for the common scalars; everything else goes through
		// the reflection-based encoder.
		switch x := a.(type) {
		case abi.Value:
			b = append(b, x...)
			continue
		case int:
			b = abi.AppendInt(b, int64(x))
			continue
		case int64:
			b = abi.AppendInt(b, x)
			continue
		case int32:
			b = abi.AppendInt(b, int64(x))
			continue
		case uint64:
			b = abi.AppendHead(b, 0, x)
			continue
		case string:
			b = abi.AppendText(b, x)
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
			return nil, fmt.Errorf("%w: argument %d (%T): %v", abi.ErrEncode, i, a, err)
		}
		b = append(b, enc...)
	}
	return b, nil
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
