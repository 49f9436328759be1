package abi

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Envelope is a decoded result envelope (docs/ABI.md section 4).
type Envelope struct {
	// Kind is KindValue, KindValues or KindError.
	Kind int
	// Values holds one value for KindValue and n for KindValues.
	Values []Value
	// Code and Message describe an application error (KindError).
	Code, Message string
}

// DecodeEnvelope decodes a result envelope from untrusted guest bytes. An
// empty input means "no value" (a single null). maxBytes <= 0 means
// DefaultMaxResultBytes.
func DecodeEnvelope(b []byte, maxBytes int) (Envelope, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxResultBytes
	}
	if len(b) == 0 {
		return Envelope{Kind: KindValue, Values: []Value{Null()}}, nil
	}
	if len(b) > maxBytes {
		return Envelope{}, fmt.Errorf("%w: result of %d bytes exceeds the limit of %d", ErrTooLarge, len(b), maxBytes)
	}
	var items []cbor.RawMessage
	if err := decMode.Unmarshal(b, &items); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrEnvelope, err)
	}
	if len(items) < 2 {
		return Envelope{}, fmt.Errorf("%w: want an array of 2 or 3 items, got %d", ErrEnvelope, len(items))
	}
	var kind uint8
	if err := decMode.Unmarshal(items[0], &kind); err != nil {
		return Envelope{}, fmt.Errorf("%w: kind: %v", ErrEnvelope, err)
	}
	switch kind {
	case KindValue:
		if len(items) != 2 {
			return Envelope{}, fmt.Errorf("%w: value envelope has %d items", ErrEnvelope, len(items))
		}
		return Envelope{Kind: KindValue, Values: []Value{Value(items[1])}}, nil
	case KindValues:
		if len(items) != 2 {
			return Envelope{}, fmt.Errorf("%w: values envelope has %d items", ErrEnvelope, len(items))
		}
		var vals []cbor.RawMessage
		if err := decMode.Unmarshal(items[1], &vals); err != nil {
			return Envelope{}, fmt.Errorf("%w: values: %v", ErrEnvelope, err)
		}
		out := make([]Value, len(vals))
		for i, v := range vals {
			out[i] = Value(v)
		}
		return Envelope{Kind: KindValues, Values: out}, nil
	case KindError:
		if len(items) != 3 {
			return Envelope{}, fmt.Errorf("%w: error envelope has %d items", ErrEnvelope, len(items))
		}
		var e Envelope
		e.Kind = KindError
		if err := decMode.Unmarshal(items[1], &e.Code); err != nil {
			return Envelope{}, fmt.Errorf("%w: error code: %v", ErrEnvelope, err)
		}
		if err := decMode.Unmarshal(items[2], &e.Message); err != nil {
			return Envelope{}, fmt.Errorf("%w: error message: %v", ErrEnvelope, err)
		}
		return e, nil
	default:
		return Envelope{}, fmt.Errorf("%w: unknown kind %d", ErrEnvelope, kind)
	}
}

// EncodeEnvelope encodes an envelope (the guest side of the ABI, and tests).
func EncodeEnvelope(e Envelope) ([]byte, error) {
	var b []byte
	switch e.Kind {
	case KindValue:
		if len(e.Values) != 1 {
			return nil, fmt.Errorf("%w: value envelope needs exactly one value", ErrEnvelope)
		}
		b = append(AppendArrayHeader(b, 2), KindValue)
		b = append(b, e.Values[0]...)
	case KindValues:
		b = append(AppendArrayHeader(b, 2), KindValues)
		b = AppendArrayHeader(b, len(e.Values))
		for _, v := range e.Values {
			b = append(b, v...)
		}
	case KindError:
		b = append(AppendArrayHeader(b, 3), KindError)
		b = appendText(b, e.Code)
		b = appendText(b, e.Message)
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", ErrEnvelope, e.Kind)
	}
	return b, nil
}

func appendText(b []byte, s string) []byte {
	b = appendHead(b, 0x60, uint64(len(s)))
	return append(b, s...)
}
