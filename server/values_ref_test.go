package server

import (
	"bytes"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
)

// jsonArg and scalarJSON are the converter of one argument that served
// requests before jsonArgs (values.go) converted whole argument lists into
// one buffer. They are kept for the tests only: FuzzJSONArg checks that
// jsonArgs converts an argument as this older path (with its scalar fast
// path) does, and the value tables drive one argument at a time.

// jsonArg converts one JSON argument to what host.Actor.Submit accepts: an
// abi.Value, or (for {"$future": id} as a whole argument) the future itself.
// The JSON is converted to CBOR as it is scanned, never decoded into Go
// values first, so its limits (abi.MaxDepth, abi.MaxElements, and
// maxOut bytes of CBOR, 0 for none) stop a hostile argument at the first
// byte past them.
func jsonArg(raw []byte, res refResolver, maxOut int) (any, error) {
	if b, ok := scalarJSON(raw); ok {
		if maxOut > 0 && len(b) > maxOut {
			return nil, argsTooLarge(maxOut)
		}
		return abi.Value(b), nil
	}
	c := jconv{jscan: jscan{b: raw, lim: argLimits}, res: res, max: maxOut}
	c.ws()
	id, isFuture, err := c.futureRef()
	var out []byte
	if err == nil && !isFuture {
		out, err = c.value(nil, 1)
	}
	if err == nil {
		c.ws()
		if c.i != len(c.b) {
			err = c.errorf("data after the argument")
		}
	}
	switch {
	case err != nil:
		return nil, c.fail(err)
	case isFuture:
		return res.future(id)
	}
	return abi.Value(out), nil
}

// scalarJSON encodes the common scalar arguments without a JSON decoder:
// integers, true, false, null and strings without escapes. ok is false for
// anything else (which the decoder then handles, errors included).
func scalarJSON(raw []byte) ([]byte, bool) {
	raw = bytes.Trim(raw, " \t\r\n") // JSON's whitespace only
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
