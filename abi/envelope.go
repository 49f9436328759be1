package abi

import "fmt"

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
	var buf [3]Value
	items, err := splitArray(b, buf[:0])
	if err != nil {
		return Envelope{}, wrap(ErrEnvelope, "", err)
	}
	if len(items) < 2 || len(items) > 3 {
		return Envelope{}, fmt.Errorf("%w: want an array of 2 or 3 items, got %d", ErrEnvelope, len(items))
	}
	if len(items[0]) != 1 || items[0][0] > KindError {
		return Envelope{}, fmt.Errorf("%w: unknown kind %s", ErrEnvelope, items[0])
	}
	kind := int(items[0][0])
	if (kind == KindError) != (len(items) == 3) {
		return Envelope{}, fmt.Errorf("%w: kind %d envelope has %d items", ErrEnvelope, kind, len(items))
	}
	switch kind {
	case KindValue:
		return Envelope{Kind: KindValue, Values: []Value{clone(items[1])}}, nil
	case KindValues:
		all := clone(items[1])
		vals, err := splitArray(all, nil)
		if err != nil {
			return Envelope{}, wrap(ErrEnvelope, "values", err)
		}
		return Envelope{Kind: KindValues, Values: vals}, nil
	default:
		code, ok1 := decodeText(items[1])
		msg, ok2 := decodeText(items[2])
		if !ok1 || !ok2 {
			return Envelope{}, fmt.Errorf("%w: error code and message must be text", ErrEnvelope)
		}
		return Envelope{Kind: KindError, Code: code, Message: msg}, nil
	}
}

// clone copies guest bytes so the value outlives the guest's buffer.
func clone(v Value) Value { return append(Value(nil), v...) }

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
