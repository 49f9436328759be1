package server

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// JSON has no bytes, no maps with non-text keys, no actor handles and no
// NaN; docs/API.md ("Values in JSON") maps them to objects with one key
// starting with "$". This file converts between those JSON values and the
// CBOR values the host passes around (abi.Value), in both directions; the
// "$" keys and the float form, which the Go client shares, are in
// package api.

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

// jsonArgs converts a JSON argument list (an array) to what
// host.Actor.Submit accepts: each argument an abi.Value, or (for
// {"$future": id} as a whole argument) the future itself. The JSON is
// converted to CBOR as it is scanned, never decoded into Go values first,
// so the limits (abi.MaxDepth, abi.MaxElements, and maxOut bytes of CBOR,
// 0 for none) stop a hostile argument at the first byte past them. All
// arguments go into one buffer: a list of 65,536 small arguments costs
// that buffer and the returned slice, not an allocation per argument and
// per step.
func jsonArgs(list []byte, res refResolver, maxOut int) ([]any, error) {
	c := jconv{jscan: jscan{b: list, lim: argLimits}, res: res, max: maxOut}
	c.ws()
	if c.i >= len(c.b) || c.b[c.i] != '[' {
		return nil, newError(codeBadRequest, "field args: want an array")
	}
	count, err := countJSONArray(list)
	if err != nil {
		return nil, c.fail(err)
	}
	closer, empty := c.enter()
	if empty {
		return []any{}, nil
	}
	var (
		buf  []byte
		ends = make([]int, 0, min(count, abi.MaxElements)) // end of argument i in buf (-1: a future)
		futs map[int]*host.Future                          // the future arguments, by index
	)
	fail := func(i int, err error) error {
		e := errorFor(c.fail(err))
		return &apiError{Code: e.Code, Message: fmt.Sprintf("argument %d: %s", i, e.Message), Details: e.Details}
	}
	for i, more := 0, true; more; i++ {
		var err error
		if _, err = c.member(closer, i+1, nil, false); err != nil {
			return nil, fail(i, err)
		}
		id, isFuture, err := c.futureRef()
		switch {
		case err != nil:
			return nil, fail(i, err)
		case isFuture:
			f, err := res.future(id)
			if err != nil {
				return nil, fail(i, err)
			}
			if futs == nil {
				futs = map[int]*host.Future{}
			}
			futs[i] = f
			ends = append(ends, -1)
		default:
			if buf, err = c.value(buf, 1); err != nil {
				return nil, fail(i, err)
			}
			ends = append(ends, len(buf))
		}
		if more, err = c.next(closer); err != nil {
			return nil, fail(i, err)
		}
	}
	c.ws()
	if c.i != len(c.b) {
		return nil, fail(len(ends)-1, c.errorf("data after the arguments"))
	}
	out := make([]any, len(ends))
	start := 0
	for i, end := range ends {
		if end < 0 {
			out[i] = futs[i]
			continue
		}
		out[i] = abi.Value(buf[start:end:end])
		start = end
	}
	return out, nil
}

// argLimits are the ABI's limits on one argument. Depth is checked by the
// converter (which counts the argument array too); strings are bounded by
// the output size.
var argLimits = jsonLimits{depth: abi.MaxDepth + 1, elements: abi.MaxElements, str: math.MaxInt32}

func argsTooLarge(limit int) error {
	return &apiError{Code: codeTooLarge, Message: fmt.Sprintf("arguments over the limit of %d bytes of CBOR (the host's max_arg_bytes)", limit)}
}

// jconv converts JSON (with the "$" encodings) to CBOR while scanning it.
type jconv struct {
	jscan
	res refResolver
	max int    // bound on the output, 0: none
	tmp []byte // a decoded string
}

// fail turns a scanner error into the API's error.
func (c *jconv) fail(err error) error {
	var je *jsonError
	if errors.As(err, &je) {
		if je.Limit {
			return argErrorf("%v", je)
		}
		return argErrorf("argument is not valid JSON: %v", je)
	}
	return err
}

// futureRef reads {"$future": "<id>"} at c.i; ok is false (and c.i
// unchanged) for anything else. An object whose first key is $future but
// that is not exactly that is an error.
func (c *jconv) futureRef() (id string, ok bool, err error) {
	start := c.i
	if c.i >= len(c.b) || c.b[c.i] != '{' {
		return "", false, nil
	}
	closer, empty := c.enter()
	if empty {
		c.i = start
		return "", false, nil
	}
	key, err := c.member(closer, 1, nil, true)
	if err != nil || string(key) != api.KeyFuture {
		c.i = start
		return "", false, nil
	}
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return "", false, argErrorf("%s wants a future ID (text)", api.KeyFuture)
	}
	v, err := c.str(nil, true)
	if err != nil {
		return "", false, err
	}
	if more, err := c.next(closer); err != nil {
		return "", false, err
	} else if more {
		return "", false, argErrorf(`%s wants {"%s": "<future id>"} and nothing else`, api.KeyFuture, api.KeyFuture)
	}
	return string(v), true, nil
}

// grow checks the output bound.
func (c *jconv) grow(out []byte) error {
	if c.max > 0 && len(out) > c.max {
		return argsTooLarge(c.max)
	}
	return nil
}

// value appends the CBOR of the JSON value at c.i, nested in depth
// arrays and maps (the argument array counts: an argument is at depth 1).
// Recursion is bounded by abi.MaxDepth.
func (c *jconv) value(out []byte, depth int) ([]byte, error) {
	if c.i >= len(c.b) {
		return nil, c.unexpected("a value")
	}
	switch ch := c.b[c.i]; {
	case ch == '"':
		var err error
		if c.tmp, err = c.str(c.tmp[:0], true); err != nil {
			return nil, err
		}
		out = abi.AppendHead(out, 3, uint64(len(c.tmp)))
		out = append(out, c.tmp...)
		return out, c.grow(out)
	case ch == '[':
		if depth >= abi.MaxDepth {
			return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
		}
		closer, empty := c.enter()
		if empty {
			return append(out, 0x80), nil
		}
		start := len(out)
		out = append(out, 0, 0, 0, 0, 0) // room for the head
		n := 0
		for more := true; more; {
			n++
			var err error
			if _, err = c.member(closer, n, nil, false); err != nil {
				return nil, err
			}
			if out, err = c.value(out, depth+1); err != nil {
				return nil, err
			}
			if more, err = c.next(closer); err != nil {
				return nil, err
			}
		}
		return putHead(out, start, 4, n), nil
	case ch == '{':
		return c.object(out, depth)
	case ch == '-' || ch >= '0' && ch <= '9':
		num, err := c.number()
		if err != nil {
			return nil, err
		}
		if out, err = appendNumber(out, string(num)); err != nil {
			return nil, err
		}
		return out, c.grow(out)
	case ch == 't':
		return append(out, 0xf5), c.literal("true")
	case ch == 'f':
		return append(out, 0xf4), c.literal("false")
	case ch == 'n':
		return append(out, 0xf6), c.literal("null")
	}
	return nil, c.unexpected("a value")
}

// putHead writes the head of a container of n items into the 5 bytes
// reserved at out[start:], moving the items after it if the head is
// shorter.
func putHead(out []byte, start int, major byte, n int) []byte {
	var h [9]byte
	head := abi.AppendHead(h[:0], major, uint64(n))
	copy(out[start:], head)
	if len(head) < 5 {
		k := copy(out[start+len(head):], out[start+5:])
		out = out[:start+len(head)+k]
	}
	return out
}

// member of a plain object, as positions in the output: the key's text
// out[key:val] (after its head at head) and the value out[val:end].
type objMember struct{ head, key, val, end int }

// object appends the CBOR of the object at c.i: one of the "$" encodings
// (whose key comes first, or after "class" for $actor), or a map with text
// keys in sorted order (so equal objects encode equally), duplicate keys
// refused.
func (c *jconv) object(out []byte, depth int) ([]byte, error) {
	closer, empty := c.enter()
	if empty {
		if depth >= abi.MaxDepth {
			return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
		}
		return append(out, 0xa0), nil
	}
	start := len(out)
	out = append(out, 0, 0, 0, 0, 0) // room for the head
	var members []objMember
	for n, more := 1, true; more; n++ {
		head := len(out)
		// The key is decoded straight into out, after room for its head.
		out = append(out, 0, 0, 0, 0, 0)
		var err error
		if out, err = c.member(closer, n, out, true); err != nil {
			return nil, err
		}
		key := out[head+5:]
		if len(key) > 0 && key[0] == '$' {
			if n != 1 && !(n == 2 && string(key) == api.KeyActor && string(out[members[0].key:members[0].val]) == api.KeyClass) {
				return nil, argErrorf("%q must be the first member of its object (to send a map with keys starting with $, use %s)", key, api.KeyMap)
			}
			special := string(key)
			var class []byte
			if n == 2 {
				// {"class": ..., "$actor": ...}: the class was converted
				// as a value; take it back.
				var ok bool
				if class, ok = cborText(out[members[0].val:members[0].end]); !ok {
					return nil, argErrorf(`%s wants {"%s": "<actor id>", "class": "<class id>"}`, api.KeyActor, api.KeyActor)
				}
				class = append([]byte(nil), class...)
			}
			return c.special(out[:start], special, class, n, depth)
		}
		if depth >= abi.MaxDepth {
			return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
		}
		// Write the key's head in place.
		keyLen := len(out) - head - 5
		var h [9]byte
		kh := abi.AppendHead(h[:0], 3, uint64(keyLen))
		copy(out[head:], kh)
		copy(out[head+len(kh):], out[head+5:])
		out = out[:head+len(kh)+keyLen]
		m := objMember{head: head, key: head + len(kh), val: len(out)}
		if out, err = c.value(out, depth+1); err != nil {
			return nil, err
		}
		if err := c.grow(out); err != nil {
			return nil, err
		}
		m.end = len(out)
		members = append(members, m)
		if more, err = c.next(closer); err != nil {
			return nil, err
		}
	}
	key := func(m objMember) []byte { return out[m.key:m.val] }
	sorted := true
	for i := 1; i < len(members); i++ {
		switch bytes.Compare(key(members[i-1]), key(members[i])) {
		case 0:
			return nil, argErrorf("duplicate key %q in an object", key(members[i]))
		case 1:
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(members, func(a, b objMember) int { return bytes.Compare(key(a), key(b)) })
		for i := 1; i < len(members); i++ {
			if bytes.Equal(key(members[i-1]), key(members[i])) {
				return nil, argErrorf("duplicate key %q in an object", key(members[i]))
			}
		}
		body := make([]byte, 0, len(out)-start-5)
		for _, m := range members {
			body = append(body, out[m.head:m.end]...)
		}
		out = append(out[:start+5], body...)
	}
	return putHead(out, start, 5, len(members)), nil
}

// cborText returns the text of a CBOR text item.
func cborText(b []byte) ([]byte, bool) {
	l, n, ok := abi.ReadHead(b)
	if !ok || b[0]>>5 != 3 || uint64(len(b)-n) != l {
		return nil, false
	}
	return b[n:], true
}

// special appends one of the "$" encodings, whose key (member n of its
// object, c.i at its value) has been read; class is the "class" member
// read before $actor, if any.
func (c *jconv) special(out []byte, key string, class []byte, n, depth int) ([]byte, error) {
	text := func(usage string) ([]byte, error) {
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return nil, argErrorf("%s wants %s", key, usage)
		}
		var err error
		c.tmp, err = c.str(c.tmp[:0], true)
		return c.tmp, err
	}
	end := func(usage string) error {
		more, err := c.next('}')
		if err != nil {
			return err
		}
		if more {
			return argErrorf("%s wants %s and nothing else", key, usage)
		}
		return nil
	}
	switch key {
	case api.KeyBytes:
		const usage = `{"$bytes": "<base64>"}`
		s, err := text(usage)
		if err != nil {
			return nil, err
		}
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
		k, err := base64.StdEncoding.Decode(raw, s)
		if err != nil {
			return nil, argErrorf("%s: not base64 (standard alphabet, with padding)", key)
		}
		out = abi.AppendHead(out, 2, uint64(k))
		out = append(out, raw[:k]...)
		if err := c.grow(out); err != nil {
			return nil, err
		}
		return out, end(usage)
	case api.KeyFloat:
		const usage = `{"$float": "NaN" | "Infinity" | "-Infinity"}`
		s, err := text(usage)
		if err != nil {
			return nil, err
		}
		f, ok := api.FloatNamed(string(s))
		if !ok {
			return nil, argErrorf("%s: %q is not NaN, Infinity or -Infinity", key, s)
		}
		return appendFloat64(out, f), end(usage)
	case api.KeyActor:
		const usage = `{"$actor": "<actor id>"} or {"$actor": "<actor id>", "class": "<class id>"}`
		s, err := text(usage)
		if err != nil {
			return nil, err
		}
		id := string(s)
		if n == 1 {
			more, err := c.next('}')
			if err != nil {
				return nil, err
			}
			if more {
				k, err := c.member('}', 2, nil, true)
				if err != nil {
					return nil, err
				}
				if string(k) != api.KeyClass {
					return nil, argErrorf("%s wants %s", key, usage)
				}
				v, err := text(usage)
				if err != nil {
					return nil, err
				}
				class = append([]byte(nil), v...)
				if err := end(usage); err != nil {
					return nil, err
				}
			}
		} else if err := end(usage); err != nil {
			return nil, err
		}
		actual, err := c.res.actorClass(id)
		if err != nil {
			return nil, err
		}
		if class != nil && string(class) != actual {
			return nil, argErrorf("actor %s has class %s, not %s", id, actual, class)
		}
		if depth >= abi.MaxDepth {
			return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
		}
		out = abi.AppendHead(out, 6, abi.TagActorHandle)
		out = append(out, 0x82)
		out = abi.AppendText(out, id)
		out = abi.AppendText(out, actual)
		return out, c.grow(out)
	case api.KeyMap:
		const usage = `{"$map": [[key, value], ...]}`
		if c.i >= len(c.b) || c.b[c.i] != '[' {
			return nil, argErrorf("%s wants %s", key, usage)
		}
		if depth >= abi.MaxDepth {
			return nil, argErrorf("value nested deeper than %d levels", abi.MaxDepth)
		}
		closer, empty := c.enter()
		if empty {
			return append(out, 0xa0), end(usage)
		}
		start := len(out)
		out = append(out, 0, 0, 0, 0, 0)
		pairs := 0
		for more := true; more; {
			pairs++
			var err error
			if _, err = c.member(closer, pairs, nil, false); err != nil {
				return nil, err
			}
			if c.i >= len(c.b) || c.b[c.i] != '[' {
				return nil, argErrorf("%s: pair %d is not [key, value]", key, pairs-1)
			}
			pc, pempty := c.enter()
			for k := 0; k < 2; k++ {
				if pempty {
					return nil, argErrorf("%s: pair %d is not [key, value]", key, pairs-1)
				}
				if out, err = c.value(out, depth+1); err != nil {
					return nil, err
				}
				var pmore bool
				if pmore, err = c.next(pc); err != nil {
					return nil, err
				}
				if k == 0 {
					pempty = !pmore
				} else if pmore {
					return nil, argErrorf("%s: pair %d is not [key, value]", key, pairs-1)
				}
			}
			if more, err = c.next(closer); err != nil {
				return nil, err
			}
		}
		return putHead(out, start, 5, pairs), end(usage)
	case api.KeyFuture:
		return nil, argErrorf("%s is allowed only as a whole argument, not inside a value", key)
	}
	return nil, argErrorf("unknown encoding %q (to send a map with keys starting with $, use %s)", key, api.KeyMap)
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
		return nil, argErrorf("number %s is out of the range of float64", s)
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
	if err := abi.ValidateElement(raw); err != nil {
		return nil, argErrorf("%s", strings.TrimPrefix(err.Error(), "abi: "))
	}
	return checkedCBORArg(raw, res)
}

// cborArgs converts a CBOR argument list (an array) as cborArg converts
// one argument; the arguments share list's memory.
func cborArgs(list []byte, res refResolver) ([]any, error) {
	// The request's decoder checked the list is one well-formed array of
	// at most abi.MaxElements items; each is checked here.
	n, off, ok := abi.ReadHead(list)
	if !ok || list[0]>>5 != 4 || n > abi.MaxElements || n > uint64(len(list)) {
		return nil, newError(codeBadRequest, "field args: want an array")
	}
	out := make([]any, n)
	for i := range out {
		l := abi.ItemLen(list[off:])
		raw := list[off : off+l : off+l]
		off += l
		v, err := cborArg(raw, res)
		if err != nil {
			e := errorFor(err)
			return nil, &apiError{Code: e.Code, Message: fmt.Sprintf("argument %d: %s", i, e.Message), Details: e.Details}
		}
		out[i] = v
	}
	return out, nil
}

// checkedCBORArg is cborArg for a value already checked by abi.Validate:
// the actor handles in it must name live actors of the caller's namespace.
func checkedCBORArg(raw []byte, res refResolver) (any, error) {
	var firstErr error
	walkHandles(raw, func(id, class string, herr error) {
		if firstErr != nil {
			return
		}
		if herr != nil {
			firstErr = argErrorf("%s", strings.TrimPrefix(herr.Error(), "abi: "))
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
	tag, n, ok := abi.ReadHead(b)
	if !ok || b[0]>>5 != 6 || tag != abi.TagFutureRef {
		return "", false
	}
	rest := b[n:]
	l, m, ok := abi.ReadHead(rest)
	if !ok || rest[0]>>5 != 3 || uint64(len(rest)-m) != l || !utf8.Valid(rest[m:]) {
		return "", false
	}
	return string(rest[m:]), true
}

// walkHandles calls fn for every actor handle in a well-formed value (with
// the error of one that does not decode).
func walkHandles(b []byte, fn func(id, class string, err error)) {
	var walk func(b []byte) int
	walk = func(b []byte) int {
		arg, n, ok := abi.ReadHead(b)
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
				h, err := abi.DecodeHandle(b[:n+abi.ItemLen(b[n:])])
				fn(h.ID, h.Class, err)
			}
			return n + walk(b[n:])
		}
		return n
	}
	walk(b)
}

// appendCBORAsJSON appends the JSON form of one well-formed CBOR value
// (checked by the host for guest results, or by cborArg) and returns the
// rest of b after the item.
func appendCBORAsJSON(dst, b []byte) ([]byte, []byte, error) {
	arg, n, ok := abi.ReadHead(b)
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
		// A well-formed handle holds [id text, class text] (abi.Validate).
		l := abi.ItemLen(rest)
		if l < 1 || rest[0] != 0x82 {
			return nil, nil, fmt.Errorf("%w: tag %d must hold [actor ID, class ID]", abi.ErrMalformed, arg)
		}
		k := abi.ItemLen(rest[1:l])
		id, ok1 := cborText(rest[1 : 1+k])
		class, ok2 := cborText(rest[1+k : l])
		if !ok1 || !ok2 {
			return nil, nil, fmt.Errorf("%w: tag %d must hold [actor ID, class ID]", abi.ErrMalformed, arg)
		}
		dst = append(dst, `{"$actor":`...)
		dst = appendJSONString(dst, id)
		dst = append(dst, `,"class":`...)
		dst = appendJSONString(dst, class)
		return append(dst, '}'), rest[l:], nil
	}
	// Major 7: simple values and floats.
	switch ai {
	case 20:
		return append(dst, "false"...), rest, nil
	case 21:
		return append(dst, "true"...), rest, nil
	case 25:
		return api.AppendFloat(dst, float64(halfToFloat32(uint16(arg))), 32), rest, nil
	case 26:
		return api.AppendFloat(dst, float64(math.Float32frombits(uint32(arg))), 32), rest, nil
	case 27:
		return api.AppendFloat(dst, math.Float64frombits(arg), 64), rest, nil
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
		l, h, ok := abi.ReadHead(b[off:])
		if !ok || l > 0 && off+h < len(b) && b[off+h] == '$' {
			return false
		}
		off += abi.ItemLen(b[off:])
		off += abi.ItemLen(b[off:])
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
