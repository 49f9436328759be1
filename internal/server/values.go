package server

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/internal/wire"
)

// JSON has no bytes, no maps with non-text keys, no actor handles and no
// NaN; docs/API.md ("Values in JSON") maps them to objects with one key
// starting with "$". This file converts between those JSON values and the
// CBOR values the host passes around (abi.Value), in both directions; the
// "$" keys and the float form, which the Go client shares, are in
// internal/wire.

func argErrorf(format string, args ...any) error {
	return &apiError{Code: codeInvalidArgument, Message: fmt.Sprintf(format, args...)}
}

// refResolver resolves the references found in arguments. Both check the
// caller's namespace: another tenant's actors and futures are not found.
type refResolver interface {
	// actorClass returns the class of the live actor id.
	actorClass(id string) (string, error)
	// future returns the future with that ID.
	future(id string) (*host.Future, error)
}

// jsonArg converts one JSON argument to what host.Actor.Submit accepts: an
// abi.Value, or (for {"$future": id} as a whole argument) the future itself.
func jsonArg(raw json.RawMessage, res refResolver) (any, error) {
	if b, ok := scalarJSON(raw); ok {
		return abi.Value(b), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, argErrorf("argument is not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, argErrorf("argument is not one JSON value")
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if id, ok := m[wire.KeyFuture]; ok {
			s, ok := id.(string)
			if !ok {
				return nil, argErrorf("%s wants a future ID (text)", wire.KeyFuture)
			}
			return res.future(s)
		}
	}
	b, err := appendJSONValue(nil, v, 1, res)
	if err != nil {
		return nil, err
	}
	return abi.Value(b), nil
}

// scalarJSON encodes the common scalar arguments without a JSON decoder:
// integers, true, false, null and strings without escapes. ok is false for
// anything else (which the decoder then handles, errors included).
func scalarJSON(raw []byte) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	switch c := raw[0]; {
	case c == '-' || c >= '0' && c <= '9':
		for i, d := range raw {
			if (d < '0' || d > '9') && (d != '-' || i != 0) {
				return nil, false
			}
		}
		if len(raw) > 1 && raw[0] == '0' || len(raw) > 2 && raw[0] == '-' && raw[1] == '0' || string(raw) == "-" {
			return nil, false // leading zeros: let the decoder reject them
		}
		b, err := appendNumber(nil, string(raw))
		return b, err == nil
	case c == '"':
		if len(raw) < 2 || raw[len(raw)-1] != '"' || !utf8.Valid(raw[1:len(raw)-1]) {
			return nil, false
		}
		s := raw[1 : len(raw)-1]
		for _, d := range s {
			if d < 0x20 || d == '"' || d == '\\' {
				return nil, false
			}
		}
		return abi.AppendText(nil, string(s)), true
	}
	switch string(raw) {
	case "true":
		return []byte{0xf5}, true
	case "false":
		return []byte{0xf4}, true
	case "null":
		return []byte{0xf6}, true
	}
	return nil, false
}

// appendJSONValue appends the CBOR encoding of a decoded JSON value (decoded
// with UseNumber). depth counts the enclosing arrays and maps, the argument
// array included, against abi.MaxDepth.
func appendJSONValue(b []byte, v any, depth int, res refResolver) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, 0xf6), nil
	case bool:
		if x {
			return append(b, 0xf5), nil
		}
		return append(b, 0xf4), nil
	case string:
		return abi.AppendText(b, x), nil
	case json.Number:
		return appendNumber(b, string(x))
	case []any:
		if depth >= abi.MaxDepth {
			return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
		}
		if len(x) > abi.MaxElements {
			return nil, argErrorf("array of %d elements exceeds %d", len(x), abi.MaxElements)
		}
		b = abi.AppendHead(b, 4, uint64(len(x)))
		for _, e := range x {
			var err error
			if b, err = appendJSONValue(b, e, depth+1, res); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[string]any:
		return appendJSONObject(b, x, depth, res)
	}
	return nil, argErrorf("unexpected JSON value %T", v)
}

// appendJSONObject encodes an object: one of the "$" encodings, or a map
// with text keys (in key order, so equal objects encode equally).
func appendJSONObject(b []byte, m map[string]any, depth int, res refResolver) ([]byte, error) {
	special := ""
	for k := range m {
		if strings.HasPrefix(k, "$") {
			special = k
			break
		}
	}
	if special != "" {
		return appendSpecial(b, special, m, depth, res)
	}
	if depth >= abi.MaxDepth {
		return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
	}
	if len(m) > abi.MaxElements {
		return nil, argErrorf("object of %d members exceeds %d", len(m), abi.MaxElements)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = abi.AppendHead(b, 5, uint64(len(keys)))
	for _, k := range keys {
		b = abi.AppendText(b, k)
		var err error
		if b, err = appendJSONValue(b, m[k], depth+1, res); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func appendSpecial(b []byte, key string, m map[string]any, depth int, res refResolver) ([]byte, error) {
	extra := len(m) != 1
	switch key {
	case wire.KeyBytes:
		s, ok := m[key].(string)
		if !ok || extra {
			return nil, argErrorf(`%s wants {"%s": "<base64>"}`, key, key)
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, argErrorf("%s: %v", key, err)
		}
		b = abi.AppendHead(b, 2, uint64(len(raw)))
		return append(b, raw...), nil
	case wire.KeyFloat:
		s, ok := m[key].(string)
		if !ok || extra {
			return nil, argErrorf(`%s wants {"%s": "NaN" | "Infinity" | "-Infinity"}`, key, key)
		}
		f, ok := wire.FloatNamed(s)
		if !ok {
			return nil, argErrorf("%s: %q is not NaN, Infinity or -Infinity", key, s)
		}
		return appendFloat64(b, f), nil
	case wire.KeyActor:
		id, ok := m[key].(string)
		class, hasClass := m[wire.KeyClass]
		if !ok || len(m) > 2 || (len(m) == 2 && !hasClass) {
			return nil, argErrorf(`%s wants {"%s": "<actor id>"} or {"%s": "<actor id>", "class": "<class id>"}`, key, key, key)
		}
		actual, err := res.actorClass(id)
		if err != nil {
			return nil, err
		}
		if hasClass && class != actual {
			return nil, argErrorf("actor %s has class %s, not %v", id, actual, class)
		}
		if depth >= abi.MaxDepth {
			return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
		}
		b = abi.AppendHead(b, 6, abi.TagActorHandle)
		b = append(b, 0x82)
		b = abi.AppendText(b, id)
		return abi.AppendText(b, actual), nil
	case wire.KeyMap:
		pairs, ok := m[key].([]any)
		if !ok || extra {
			return nil, argErrorf(`%s wants {"%s": [[key, value], ...]}`, key, key)
		}
		if depth >= abi.MaxDepth {
			return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
		}
		if len(pairs) > abi.MaxElements {
			return nil, argErrorf("map of %d pairs exceeds %d", len(pairs), abi.MaxElements)
		}
		b = abi.AppendHead(b, 5, uint64(len(pairs)))
		for i, p := range pairs {
			kv, ok := p.([]any)
			if !ok || len(kv) != 2 {
				return nil, argErrorf("%s: pair %d is not [key, value]", key, i)
			}
			for _, x := range kv {
				var err error
				if b, err = appendJSONValue(b, x, depth+1, res); err != nil {
					return nil, err
				}
			}
		}
		return b, nil
	case wire.KeyFuture:
		return nil, argErrorf("%s is allowed only as a whole argument, not inside a value", key)
	}
	return nil, argErrorf("unknown encoding %q (to send a map with keys starting with $, use %s)", key, wire.KeyMap)
}

// appendNumber encodes a JSON number: an integer without fraction or
// exponent (int64, or uint64 above), else a float64.
func appendNumber(b []byte, s string) ([]byte, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i >= 0 {
				return abi.AppendHead(b, 0, uint64(i)), nil
			}
			return abi.AppendHead(b, 1, uint64(-1-i)), nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return abi.AppendHead(b, 0, u), nil
		}
		return nil, argErrorf("integer %s out of the range of int64 and uint64", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, argErrorf("number %s: %v", s, err)
	}
	return appendFloat64(b, f), nil
}

func appendFloat64(b []byte, f float64) []byte {
	b = append(b, 0xfb)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

// cborArg checks one CBOR argument (from a CBOR request body): a future
// reference (tag 51001 around the future ID) as a whole argument becomes the
// future; anything else must be a well-formed value within the ABI's limits,
// and the actor handles in it must name live actors of the caller's namespace.
func cborArg(raw []byte, res refResolver) (any, error) {
	if id, ok := futureRef(raw); ok {
		return res.future(id)
	}
	// Checked as the element of an argument array, so depth counts as the
	// guest will see it.
	wrapped := make([]byte, 0, len(raw)+1)
	wrapped = append(append(wrapped, 0x81), raw...)
	if err := abi.Validate(wrapped); err != nil {
		return nil, argErrorf("argument: %v", err)
	}
	var firstErr error
	walkHandles(raw, func(id, class string) {
		if firstErr != nil {
			return
		}
		actual, err := res.actorClass(id)
		switch {
		case err != nil:
			firstErr = err
		case actual != class:
			firstErr = argErrorf("actor %s has class %s, not %s", id, actual, class)
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return abi.Value(raw), nil
}

// futureRef reports whether b is exactly tag 51001 around a text, and
// returns the text.
func futureRef(b []byte) (string, bool) {
	tag, n, ok := readHead(b)
	if !ok || b[0]>>5 != 6 || tag != abi.TagFutureRef {
		return "", false
	}
	rest := b[n:]
	l, m, ok := readHead(rest)
	if !ok || rest[0]>>5 != 3 || uint64(len(rest)-m) != l || !utf8.Valid(rest[m:]) {
		return "", false
	}
	return string(rest[m:]), true
}

// walkHandles calls fn for every actor handle in a well-formed value.
func walkHandles(b []byte, fn func(id, class string)) {
	var walk func(b []byte) int
	walk = func(b []byte) int {
		arg, n, ok := readHead(b)
		if !ok {
			return len(b)
		}
		switch b[0] >> 5 {
		case 2, 3:
			return n + int(arg)
		case 4, 5:
			items := arg
			if b[0]>>5 == 5 {
				items *= 2
			}
			off := n
			for i := uint64(0); i < items && off < len(b); i++ {
				off += walk(b[off:])
			}
			return off
		case 6:
			if arg == abi.TagActorHandle {
				if h, err := abi.DecodeHandle(b[:n+skipLen(b[n:])]); err == nil {
					fn(h.ID, h.Class)
				}
			}
			return n + walk(b[n:])
		}
		return n
	}
	walk(b)
}

// skipLen returns the length of the well-formed item at the start of b.
func skipLen(b []byte) int {
	arg, n, ok := readHead(b)
	if !ok {
		return len(b)
	}
	switch b[0] >> 5 {
	case 2, 3:
		return min(n+int(arg), len(b))
	case 4, 5:
		items := arg
		if b[0]>>5 == 5 {
			items *= 2
		}
		off := n
		for i := uint64(0); i < items && off < len(b); i++ {
			off += skipLen(b[off:])
		}
		return off
	case 6:
		return n + skipLen(b[n:])
	}
	return n
}

// readHead reads a CBOR head: its argument (for major 7 with ai 25..27, the
// float bits) and the head's length. ok is false for a truncated or
// indefinite head.
func readHead(b []byte) (arg uint64, n int, ok bool) {
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

// appendCBORAsJSON appends the JSON form of one well-formed CBOR value
// (checked by the host for guest results, or by cborArg) and returns the
// rest of b after the item.
func appendCBORAsJSON(dst, b []byte) ([]byte, []byte, error) {
	arg, n, ok := readHead(b)
	if !ok {
		return nil, nil, fmt.Errorf("%w: truncated or indefinite CBOR", abi.ErrMalformed)
	}
	major := b[0] >> 5
	ai := b[0] & 0x1f
	rest := b[n:]
	switch major {
	case 0:
		return strconv.AppendUint(dst, arg, 10), rest, nil
	case 1:
		if arg <= math.MaxInt64 {
			return strconv.AppendInt(dst, -1-int64(arg), 10), rest, nil
		}
		v := new(big.Int).SetUint64(arg)
		v.Add(v, big.NewInt(1)).Neg(v)
		return v.Append(dst, 10), rest, nil
	case 2, 3:
		if uint64(len(rest)) < arg {
			return nil, nil, fmt.Errorf("%w: truncated string", abi.ErrMalformed)
		}
		s := rest[:arg]
		if major == 3 {
			return appendJSONString(dst, s), rest[arg:], nil
		}
		dst = append(dst, `{"$bytes":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, s)
		return append(dst, `"}`...), rest[arg:], nil
	case 4:
		dst = append(dst, '[')
		for i := uint64(0); i < arg; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, rest, err = appendCBORAsJSON(dst, rest); err != nil {
				return nil, nil, err
			}
		}
		return append(dst, ']'), rest, nil
	case 5:
		if plainKeys(rest, arg) {
			dst = append(dst, '{')
			for i := uint64(0); i < arg; i++ {
				if i > 0 {
					dst = append(dst, ',')
				}
				var err error
				if dst, rest, err = appendCBORAsJSON(dst, rest); err != nil {
					return nil, nil, err
				}
				dst = append(dst, ':')
				if dst, rest, err = appendCBORAsJSON(dst, rest); err != nil {
					return nil, nil, err
				}
			}
			return append(dst, '}'), rest, nil
		}
		dst = append(dst, `{"$map":[`...)
		for i := uint64(0); i < arg; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			var err error
			if dst, rest, err = appendCBORAsJSON(dst, rest); err != nil {
				return nil, nil, err
			}
			dst = append(dst, ',')
			if dst, rest, err = appendCBORAsJSON(dst, rest); err != nil {
				return nil, nil, err
			}
			dst = append(dst, ']')
		}
		return append(dst, "]}"...), rest, nil
	case 6:
		if arg != abi.TagActorHandle {
			return nil, nil, fmt.Errorf("%w: tag %d", abi.ErrMalformed, arg)
		}
		l := skipLen(rest)
		h, err := abi.DecodeHandle(b[:n+l])
		if err != nil {
			return nil, nil, err
		}
		dst = append(dst, `{"$actor":`...)
		dst = appendJSONString(dst, []byte(h.ID))
		dst = append(dst, `,"class":`...)
		dst = appendJSONString(dst, []byte(h.Class))
		return append(dst, '}'), rest[l:], nil
	}
	// Major 7: simple values and floats.
	switch ai {
	case 20:
		return append(dst, "false"...), rest, nil
	case 21:
		return append(dst, "true"...), rest, nil
	case 25:
		return wire.AppendFloat(dst, float64(halfToFloat32(uint16(arg))), 32), rest, nil
	case 26:
		return wire.AppendFloat(dst, float64(math.Float32frombits(uint32(arg))), 32), rest, nil
	case 27:
		return wire.AppendFloat(dst, math.Float64frombits(arg), 64), rest, nil
	}
	// null, undefined and unassigned simple values.
	return append(dst, "null"...), rest, nil
}

// plainKeys reports whether the n pairs of a map at b all have text keys
// that do not start with "$", so the map can be a JSON object without
// ambiguity.
func plainKeys(b []byte, n uint64) bool {
	off := 0
	for i := uint64(0); i < n; i++ {
		if off >= len(b) || b[off]>>5 != 3 {
			return false
		}
		l, h, ok := readHead(b[off:])
		if !ok || l > 0 && off+h < len(b) && b[off+h] == '$' {
			return false
		}
		off += skipLen(b[off:])
		off += skipLen(b[off:])
	}
	return true
}

// halfToFloat32 converts an IEEE 754 half-precision float.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch exp {
	case 0:
		f := float32(frac) / (1 << 24) // subnormal: frac * 2^-24
		if sign != 0 {
			return -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s (valid UTF-8) as a JSON string.
func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			r, size := utf8.DecodeRune(s[i:])
			if r == '\u2028' || r == '\u2029' || r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				if r == utf8.RuneError {
					dst = append(dst, `\ufffd`...)
				} else {
					dst = append(dst, `\u202`...)
					dst = append(dst, hexDigits[r&0xf])
				}
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// valueJSON renders a CBOR value as JSON.
func valueJSON(v abi.Value) ([]byte, error) {
	out, rest, err := appendCBORAsJSON(make([]byte, 0, len(v)+16), v)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the value", abi.ErrMalformed, len(rest))
	}
	return out, nil
}
