package wactor

// A small CBOR (RFC 8949) encoder and decoder that follows section 2 of
// docs/ABI.md: definite lengths only, no tags but the actor handle (tag
// 51000, see Handle), nesting depth at most MaxDepth (tags count), at most MaxElements elements per array or pairs per map, text
// must be valid UTF-8. The decoder never panics on hostile input and checks
// every length against the bytes that remain before it allocates.
//
// Common types (int*, uint*, float*, bool, string, []byte, any, []any,
// map[string]any and a few slices) have fast paths without reflection; other
// slices, arrays, maps, structs and pointers go through package reflect.

import (
	"bytes"
	"errors"
	"math"
	"math/bits"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
)

// Decode and encode limits (the abi package's).
const (
	// MaxDepth is the deepest nesting of arrays and maps accepted (the
	// outermost container is at depth 1).
	MaxDepth = abi.MaxDepth
	// MaxElements is the largest number of elements in one array or pairs
	// in one map.
	MaxElements = abi.MaxElements
)

var (
	errEOF        = errors.New("cbor: unexpected end of data")
	errIndefinite = errors.New("cbor: indefinite-length items are not allowed")
	errTag        = errors.New("cbor: tags are not allowed (except 51000, an actor handle)")
	errTooDeep    = errors.New("cbor: nesting deeper than 32 levels")
	errTooMany    = errors.New("cbor: more than 65536 elements in one array or map")
	errUTF8       = errors.New("cbor: text is not valid UTF-8")
	errTrailing   = errors.New("cbor: trailing data after the item")
	errReserved   = errors.New("cbor: reserved additional information value")
	errSimple     = errors.New("cbor: unsupported simple value")
	errBreak      = errors.New("cbor: unexpected break code")
	errTooLong    = errors.New("cbor: length exceeds the remaining data")
	errNaNKey     = errors.New("cbor: NaN map key")
)

// Marshal returns the CBOR encoding of v.
//
// Integers use the shortest head, float32 values are encoded as single and
// float64 values as double precision, nil slices and maps as empty ones, nil
// pointers and interfaces as null. Map entries are sorted by their encoded
// key (deterministic output); struct fields keep their declaration order.
// Strings must be valid UTF-8. A Handle encodes as tag 51000 around
// [ID, Class]; a Raw as its bytes, unchanged (they must be one well-formed
// item; an empty Raw encodes as null). Channels, functions and complex
// numbers cannot be encoded.
func Marshal(v any) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 64)}
	if err := e.encode(v); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// Unmarshal decodes the single CBOR item in b into the value v points to.
//
// An item decodes into a Go type as follows: integers into any integer type
// (an error if the value does not fit) or float type; floats into float types,
// or into integer types when integral and in range; text into string; byte
// strings into []byte or [N]byte (exactly N bytes); arrays into slices or
// arrays (exactly N elements); maps into maps and structs; null into a nil
// pointer, slice, map or interface. Into an interface{} (any), values decode
// as int64 (uint64 only above math.MaxInt64), float64, bool, string, []byte,
// []any, map[string]any (map[any]any when a key is not text), Handle (tag
// 51000) or nil. Into Handle only an actor handle decodes; into Raw any
// well-formed item does (a copy of its bytes). Every other tag is rejected.
// Struct fields are matched case-sensitively against the name in the
// `cbor:"name"` tag or the field name; unknown keys are ignored.
func Unmarshal(b []byte, v any) error {
	d := decoder{b: b}
	if err := d.into(v); err != nil {
		return err
	}
	if d.off != len(d.b) {
		return errTrailing
	}
	return nil
}

// ---------------------------------------------------------------------------
// Decoder

type decoder struct {
	b     []byte
	off   int
	depth int
}

func (d *decoder) reset(b []byte) {
	d.b = b
	d.off = 0
	d.depth = 0
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

// head reads an item head: its major type, additional information and
// argument. It rejects indefinite lengths (and the break code) and the
// reserved additional information values 28-30.
func (d *decoder) head() (major, ai byte, arg uint64, err error) {
	if d.off >= len(d.b) {
		return 0, 0, 0, errEOF
	}
	c := d.b[d.off]
	major, ai = c>>5, c&0x1f
	d.off++
	if ai < 24 {
		return major, ai, uint64(ai), nil
	}
	var n int
	switch ai {
	case 24:
		n = 1
	case 25:
		n = 2
	case 26:
		n = 4
	case 27:
		n = 8
	case 31:
		if major == 7 {
			return 0, 0, 0, errBreak
		}
		return 0, 0, 0, errIndefinite
	default:
		return 0, 0, 0, errReserved
	}
	if len(d.b)-d.off < n {
		return 0, 0, 0, errEOF
	}
	for _, x := range d.b[d.off : d.off+n] {
		arg = arg<<8 | uint64(x)
	}
	d.off += n
	return major, ai, arg, nil
}

// typeName describes the item at the current offset, for error messages.
func (d *decoder) typeName() string {
	if d.off >= len(d.b) {
		return "end of data"
	}
	c := d.b[d.off]
	switch c >> 5 {
	case 0:
		return "unsigned integer"
	case 1:
		return "negative integer"
	case 2:
		return "byte string"
	case 3:
		return "text string"
	case 4:
		return "array"
	case 5:
		return "map"
	case 6:
		return "tag"
	}
	switch c {
	case 0xf4, 0xf5:
		return "bool"
	case 0xf6:
		return "null"
	case 0xf7:
		return "undefined"
	case 0xf9, 0xfa, 0xfb:
		return "float"
	}
	return "simple value"
}

func (d *decoder) typeErr(want string) error {
	switch d.typeName() {
	case "end of data":
		return errEOF
	case "tag":
		if d.isHandleTag() {
			return newError("cbor: cannot decode an actor handle into ", want)
		}
		return errTag
	}
	if d.off < len(d.b) && d.b[d.off]&0x1f == 31 {
		return errIndefinite
	}
	return newError("cbor: cannot decode ", d.typeName(), " into ", want)
}

// isNull reports whether the next item is null or undefined.
func (d *decoder) isNull() bool {
	return d.off < len(d.b) && (d.b[d.off] == 0xf6 || d.b[d.off] == 0xf7)
}

// intArg decodes any integer (or integral float) as a sign and magnitude:
// the value is arg when neg is false, else -1-arg.
func (d *decoder) intArg(want string) (neg bool, arg uint64, err error) {
	if d.off >= len(d.b) {
		return false, 0, errEOF
	}
	switch d.b[d.off] >> 5 {
	case 0, 1:
		major, _, arg, err := d.head()
		return major == 1, arg, err
	case 7:
		c := d.b[d.off]
		if c != 0xf9 && c != 0xfa && c != 0xfb {
			return false, 0, d.typeErr(want)
		}
		f, err := d.float64()
		if err != nil {
			return false, 0, err
		}
		if f != math.Trunc(f) || math.IsInf(f, 0) {
			return false, 0, newError("cbor: cannot decode non-integral float ", ftoa(f), " into ", want)
		}
		if f >= 0 {
			if f >= 1<<64 {
				return false, 0, newError("cbor: float ", ftoa(f), " overflows ", want)
			}
			return false, uint64(f), nil
		}
		switch {
		case f < -(1 << 64):
			return false, 0, newError("cbor: float ", ftoa(f), " overflows ", want)
		case f == -(1 << 64):
			return true, math.MaxUint64, nil
		}
		// -1-arg == f  =>  arg == -f-1 (f <= -1 here and -f < 2^64).
		return true, uint64(-f) - 1, nil
	}
	return false, 0, d.typeErr(want)
}

// int64 decodes an integer that must fit in [lo, hi].
func (d *decoder) intRange(lo, hi int64, want string) (int64, error) {
	neg, arg, err := d.intArg(want)
	if err != nil {
		return 0, err
	}
	if neg {
		if arg > uint64(-(lo + 1)) {
			return 0, overflowErr(true, arg, want)
		}
		return -1 - int64(arg), nil
	}
	if arg > uint64(hi) {
		return 0, overflowErr(false, arg, want)
	}
	return int64(arg), nil
}

func overflowErr(neg bool, arg uint64, want string) error {
	if neg {
		if arg == math.MaxUint64 {
			return newError("cbor: integer -18446744073709551616 overflows ", want)
		}
		return newError("cbor: integer -", strconv.FormatUint(arg+1, 10), " overflows ", want)
	}
	return newError("cbor: integer ", strconv.FormatUint(arg, 10), " overflows ", want)
}

// int64 is on the hot path of most method calls: it parses the head itself
// (no further calls) for every integer that fits.
func (d *decoder) int64() (int64, error) {
	b, off := d.b, d.off
	if off < len(b) {
		c := b[off]
		if c < 0x18 {
			d.off = off + 1
			return int64(c), nil
		}
		if major := c >> 5; major <= 1 {
			var arg uint64
			switch ai := c & 0x1f; {
			case ai < 24:
				arg, off = uint64(ai), off+1
			case ai == 24 && off+1 < len(b):
				arg, off = uint64(b[off+1]), off+2
			case ai == 25 && off+2 < len(b):
				arg, off = uint64(b[off+1])<<8|uint64(b[off+2]), off+3
			case ai == 26 && off+4 < len(b):
				arg = uint64(b[off+1])<<24 | uint64(b[off+2])<<16 | uint64(b[off+3])<<8 | uint64(b[off+4])
				off += 5
			case ai == 27 && off+8 < len(b):
				for _, x := range b[off+1 : off+9] {
					arg = arg<<8 | uint64(x)
				}
				off += 9
			default:
				return d.intRange(math.MinInt64, math.MaxInt64, "int64")
			}
			if arg <= math.MaxInt64 {
				d.off = off
				if major == 0 {
					return int64(arg), nil
				}
				return -1 - int64(arg), nil
			}
		}
	}
	return d.intRange(math.MinInt64, math.MaxInt64, "int64")
}

func (d *decoder) int() (int, error) {
	if math.MaxInt == math.MaxInt64 {
		v, err := d.int64()
		return int(v), err
	}
	v, err := d.intRange(math.MinInt, math.MaxInt, "int")
	return int(v), err
}

func (d *decoder) int32() (int32, error) {
	v, err := d.intRange(math.MinInt32, math.MaxInt32, "int32")
	return int32(v), err
}

func (d *decoder) int16() (int16, error) {
	v, err := d.intRange(math.MinInt16, math.MaxInt16, "int16")
	return int16(v), err
}

func (d *decoder) int8() (int8, error) {
	v, err := d.intRange(math.MinInt8, math.MaxInt8, "int8")
	return int8(v), err
}

// uintRange decodes a non-negative integer no larger than hi.
func (d *decoder) uintRange(hi uint64, want string) (uint64, error) {
	if d.off < len(d.b) {
		if c := d.b[d.off]; c < 0x18 {
			d.off++
			return uint64(c), nil
		}
	}
	neg, arg, err := d.intArg(want)
	if err != nil {
		return 0, err
	}
	if neg || arg > hi {
		return 0, overflowErr(neg, arg, want)
	}
	return arg, nil
}

func (d *decoder) uint64() (uint64, error) { return d.uintRange(math.MaxUint64, "uint64") }

func (d *decoder) uint() (uint, error) {
	v, err := d.uintRange(math.MaxUint, "uint")
	return uint(v), err
}

func (d *decoder) uint32() (uint32, error) {
	v, err := d.uintRange(math.MaxUint32, "uint32")
	return uint32(v), err
}

func (d *decoder) uint16() (uint16, error) {
	v, err := d.uintRange(math.MaxUint16, "uint16")
	return uint16(v), err
}

func (d *decoder) uint8() (uint8, error) {
	v, err := d.uintRange(math.MaxUint8, "uint8")
	return uint8(v), err
}

// float64 decodes a float of any width, or an integer (converted).
func (d *decoder) float64() (float64, error) {
	if d.off >= len(d.b) {
		return 0, errEOF
	}
	c := d.b[d.off]
	switch c {
	case 0xf9, 0xfa, 0xfb:
		_, ai, arg, err := d.head()
		if err != nil {
			return 0, err
		}
		switch ai {
		case 25:
			return halfToFloat64(uint16(arg)), nil
		case 26:
			return float64(math.Float32frombits(uint32(arg))), nil
		}
		return math.Float64frombits(arg), nil
	}
	switch c >> 5 {
	case 0:
		_, _, arg, err := d.head()
		return float64(arg), err
	case 1:
		_, _, arg, err := d.head()
		return -1 - float64(arg), err
	}
	return 0, d.typeErr("float64")
}

func (d *decoder) float32() (float32, error) {
	f, err := d.float64()
	if err != nil {
		return 0, err
	}
	g := float32(f)
	if math.IsInf(float64(g), 0) && !math.IsInf(f, 0) {
		return 0, newError("cbor: float ", ftoa(f), " overflows float32")
	}
	return g, nil
}

// halfToFloat64 converts an IEEE 754 half-precision value exactly.
func halfToFloat64(h uint16) float64 {
	sign := uint64(h>>15) << 63
	exp := int(h>>10) & 0x1f
	mant := uint64(h & 0x3ff)
	switch exp {
	case 0:
		f := math.Ldexp(float64(mant), -24)
		return math.Float64frombits(math.Float64bits(f) | sign)
	case 31:
		return math.Float64frombits(sign | 0x7ff<<52 | mant<<42)
	}
	return math.Float64frombits(sign | uint64(exp-15+1023)<<52 | mant<<42)
}

func (d *decoder) bool() (bool, error) {
	if d.off < len(d.b) {
		switch d.b[d.off] {
		case 0xf4:
			d.off++
			return false, nil
		case 0xf5:
			d.off++
			return true, nil
		}
	}
	return false, d.typeErr("bool")
}

// textView returns the bytes of a text string without copying them.
func (d *decoder) textView(want string) ([]byte, error) {
	if d.off >= len(d.b) || d.b[d.off]>>5 != 3 {
		return nil, d.typeErr(want)
	}
	_, _, n, err := d.head()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()) {
		return nil, errTooLong
	}
	s := d.b[d.off : d.off+int(n)]
	if !utf8.Valid(s) {
		return nil, errUTF8
	}
	d.off += int(n)
	return s, nil
}

func (d *decoder) string() (string, error) {
	s, err := d.textView("string")
	if err != nil {
		return "", err
	}
	return string(s), nil
}

// bytesView returns the content of a byte string without copying it.
func (d *decoder) bytesView(want string) ([]byte, error) {
	if d.off >= len(d.b) || d.b[d.off]>>5 != 2 {
		return nil, d.typeErr(want)
	}
	_, _, n, err := d.head()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()) {
		return nil, errTooLong
	}
	s := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

// bytes decodes a byte string (a copy), or null as nil.
func (d *decoder) bytes() ([]byte, error) {
	if d.isNull() {
		d.off++
		return nil, nil
	}
	s, err := d.bytesView("[]byte")
	if err != nil {
		return nil, err
	}
	return append(make([]byte, 0, len(s)), s...), nil
}

// containerHead reads an array (major 4) or map (major 5) head, checks the
// count against MaxElements and the remaining bytes, and enters one nesting
// level; the caller must call d.leave() when done.
func (d *decoder) containerHead(major byte, want string) (int, error) {
	if d.off >= len(d.b) || d.b[d.off]>>5 != major {
		return 0, d.typeErr(want)
	}
	_, _, n, err := d.head()
	if err != nil {
		return 0, err
	}
	if n > MaxElements {
		return 0, errTooMany
	}
	per := uint64(1)
	if major == 5 {
		per = 2
	}
	if n*per > uint64(d.remaining()) {
		return 0, errTooLong
	}
	d.depth++
	if d.depth > MaxDepth {
		return 0, errTooDeep
	}
	return int(n), nil
}

func (d *decoder) leave() { d.depth-- }

func (d *decoder) arrayHead(want string) (int, error) { return d.containerHead(4, want) }
func (d *decoder) mapHead(want string) (int, error)   { return d.containerHead(5, want) }

// any decodes the next item into its natural Go representation.
func (d *decoder) any() (any, error) {
	if d.off >= len(d.b) {
		return nil, errEOF
	}
	c := d.b[d.off]
	switch c >> 5 {
	case 0:
		_, _, arg, err := d.head()
		if err != nil {
			return nil, err
		}
		if arg > math.MaxInt64 {
			return arg, nil
		}
		return int64(arg), nil
	case 1:
		_, _, arg, err := d.head()
		if err != nil {
			return nil, err
		}
		if arg > math.MaxInt64 {
			return nil, overflowErr(true, arg, "int64")
		}
		return -1 - int64(arg), nil
	case 2:
		return d.bytes()
	case 3:
		return d.string()
	case 4:
		return d.sliceAny()
	case 5:
		return d.mapAny()
	case 6:
		h, err := d.handle()
		if err != nil {
			return nil, err
		}
		return h, nil
	}
	switch c {
	case 0xf4:
		d.off++
		return false, nil
	case 0xf5:
		d.off++
		return true, nil
	case 0xf6, 0xf7:
		d.off++
		return nil, nil
	case 0xf9, 0xfa, 0xfb:
		return d.float64()
	case 0xff:
		return nil, errBreak
	case 0xfc, 0xfd, 0xfe:
		return nil, errReserved
	}
	return nil, errSimple
}

func (d *decoder) sliceAny() ([]any, error) {
	if d.isNull() {
		d.off++
		return nil, nil
	}
	n, err := d.arrayHead("[]any")
	if err != nil {
		return nil, err
	}
	s := make([]any, n)
	for i := range s {
		if s[i], err = d.any(); err != nil {
			return nil, err
		}
	}
	d.leave()
	return s, nil
}

// mapHint bounds the size hint given to make for a decoded map.
func mapHint(n int) int { return min(n, 1024) }

// mapAny decodes a map as map[string]any, or as map[any]any when a key is
// not text. Keys that cannot be Go map keys (byte strings, arrays, maps)
// and NaN keys are rejected.
func (d *decoder) mapAny() (any, error) {
	n, err := d.mapHead("map[string]any")
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, mapHint(n))
	var mm map[any]any
	for range n {
		if mm == nil && d.off < len(d.b) && d.b[d.off]>>5 == 3 {
			k, err := d.string()
			if err != nil {
				return nil, err
			}
			v, err := d.any()
			if err != nil {
				return nil, err
			}
			m[k] = v
			continue
		}
		if mm == nil {
			mm = make(map[any]any, mapHint(n))
			for k, v := range m {
				mm[k] = v
			}
		}
		k, err := d.anyKey()
		if err != nil {
			return nil, err
		}
		v, err := d.any()
		if err != nil {
			return nil, err
		}
		mm[k] = v
	}
	d.leave()
	if mm != nil {
		return mm, nil
	}
	return m, nil
}

// anyKey decodes a map key for an interface-keyed map.
func (d *decoder) anyKey() (any, error) {
	switch d.typeName() {
	case "byte string", "array", "map":
		return nil, newError("cbor: ", d.typeName(), " map keys are not supported")
	}
	k, err := d.any()
	if err != nil {
		return nil, err
	}
	if f, ok := k.(float64); ok && f != f {
		return nil, errNaNKey
	}
	return k, nil
}

// skip checks that the next item is well formed within the ABI's limits,
// where it is (d.depth levels deep), and moves past it without building a
// value. The check is the abi package's walker, the one the host applies to
// the same bytes.
func (d *decoder) skip() error {
	n, err := abi.SkipItem(d.b[d.off:], d.depth)
	if err != nil {
		return skipError(err)
	}
	d.off += n
	return nil
}

// skipError gives a walker error the codec's own words.
func skipError(err error) error {
	se, ok := err.(*abi.SyntaxError) // SkipItem's errors are, unwrapped
	if !ok {
		return err
	}
	switch se.Rule {
	case abi.RuleTruncated:
		return errEOF
	case abi.RuleLength:
		return errTooLong
	case abi.RuleIndefinite:
		return errIndefinite
	case abi.RuleBreak:
		return errBreak
	case abi.RuleReserved:
		return errReserved
	case abi.RuleUTF8:
		return errUTF8
	case abi.RuleDepth:
		return errTooDeep
	case abi.RuleElements:
		return errTooMany
	case abi.RuleTag:
		return errTag
	case abi.RuleHandle:
		return errBadHandle
	case abi.RuleSimple:
		return errSimple
	}
	return newError("cbor: ", se.Detail)
}

// into decodes the next item into the value v points to.
func (d *decoder) into(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return newError("cbor: Unmarshal needs a non-nil pointer, not ", typeString(v))
	}
	var err error
	switch p := v.(type) {
	case *int64:
		*p, err = d.int64()
	case *int:
		*p, err = d.int()
	case *int32:
		*p, err = d.int32()
	case *int16:
		*p, err = d.int16()
	case *int8:
		*p, err = d.int8()
	case *uint64:
		*p, err = d.uint64()
	case *uint:
		*p, err = d.uint()
	case *uint32:
		*p, err = d.uint32()
	case *uint16:
		*p, err = d.uint16()
	case *uint8:
		*p, err = d.uint8()
	case *float64:
		*p, err = d.float64()
	case *float32:
		*p, err = d.float32()
	case *bool:
		*p, err = d.bool()
	case *string:
		*p, err = d.string()
	case *[]byte:
		*p, err = d.bytes()
	case *any:
		*p, err = d.any()
	case *[]any:
		*p, err = d.sliceAny()
	case *Handle:
		*p, err = d.handle()
	case *Raw:
		*p, err = d.raw()
	default:
		return d.value(rv.Elem(), 0)
	}
	return err
}

// maxPtrHops bounds chains of pointers and interfaces between two
// containers (a guard against cycles such as p = &p when encoding).
const maxPtrHops = 64

// value decodes the next item into the settable value v.
func (d *decoder) value(v reflect.Value, hops int) error {
	t := v.Type()
	switch t {
	case handleType:
		h, err := d.handle()
		v.Set(reflect.ValueOf(h))
		return err
	case rawType:
		r, err := d.raw()
		v.SetBytes(r)
		return err
	}
	if d.isNull() {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
			d.off++
			v.SetZero()
			return nil
		}
	}
	switch v.Kind() {
	case reflect.Bool:
		b, err := d.bool()
		v.SetBool(b)
		return err
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		lo, hi := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
		i, err := d.intRange(lo, hi, t.String())
		v.SetInt(i)
		return err
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		hi := uint64(math.MaxUint64) >> (64 - t.Bits())
		u, err := d.uintRange(hi, t.String())
		v.SetUint(u)
		return err
	case reflect.Float32:
		f, err := d.float32()
		v.SetFloat(float64(f))
		return err
	case reflect.Float64:
		f, err := d.float64()
		v.SetFloat(f)
		return err
	case reflect.String:
		s, err := d.textView(t.String())
		if err != nil {
			return err
		}
		v.SetString(string(s))
		return nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && d.off < len(d.b) && d.b[d.off]>>5 == 2 {
			b, err := d.bytes()
			if err != nil {
				return err
			}
			v.SetBytes(b)
			return nil
		}
		return d.slice(v, hops)
	case reflect.Array:
		return d.array(v, hops)
	case reflect.Map:
		return d.mapValue(v)
	case reflect.Struct:
		return d.structValue(v)
	case reflect.Pointer:
		if hops >= maxPtrHops {
			return errTooDeep
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.value(v.Elem(), hops+1)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return d.typeErr(t.String())
		}
		x, err := d.any()
		if err != nil {
			return err
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	}
	return newError("cbor: cannot decode into Go type ", t.String())
}

// maxPrealloc bounds the bytes preallocated for a slice before its elements
// have been decoded; larger slices grow as elements arrive.
const maxPrealloc = 1 << 20

func (d *decoder) slice(v reflect.Value, hops int) error {
	t := v.Type()
	n, err := d.arrayHead(t.String())
	if err != nil {
		return err
	}
	c := n
	if sz := t.Elem().Size(); sz > 0 && uint64(n)*uint64(sz) > maxPrealloc {
		c = int(maxPrealloc / sz)
	}
	s := reflect.MakeSlice(t, 0, c)
	for i := range n {
		if s.Len() == s.Cap() {
			ns := reflect.MakeSlice(t, s.Len(), max(2*s.Cap(), 1))
			reflect.Copy(ns, s)
			s = ns
		}
		s = s.Slice(0, i+1)
		if err := d.value(s.Index(i), 0); err != nil {
			return err
		}
	}
	d.leave()
	v.Set(s)
	return nil
}

func (d *decoder) array(v reflect.Value, hops int) error {
	t := v.Type()
	if t.Elem().Kind() == reflect.Uint8 && d.off < len(d.b) && d.b[d.off]>>5 == 2 {
		b, err := d.bytesView(t.String())
		if err != nil {
			return err
		}
		if len(b) != t.Len() {
			return newError("cbor: cannot decode ", strconv.Itoa(len(b)), " bytes into ", t.String())
		}
		for i, x := range b {
			v.Index(i).SetUint(uint64(x))
		}
		return nil
	}
	n, err := d.arrayHead(t.String())
	if err != nil {
		return err
	}
	if n != t.Len() {
		return newError("cbor: cannot decode an array of ", strconv.Itoa(n), " elements into ", t.String())
	}
	for i := range n {
		if err := d.value(v.Index(i), 0); err != nil {
			return err
		}
	}
	d.leave()
	return nil
}

func (d *decoder) mapValue(v reflect.Value) error {
	t := v.Type()
	n, err := d.mapHead(t.String())
	if err != nil {
		return err
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, mapHint(n)))
	}
	kt, et := t.Key(), t.Elem()
	key := reflect.New(kt).Elem()
	for range n {
		key.SetZero()
		if kt.Kind() == reflect.Interface {
			if kt.NumMethod() != 0 {
				return d.typeErr(kt.String())
			}
			k, err := d.anyKey()
			if err != nil {
				return err
			}
			if k != nil {
				key.Set(reflect.ValueOf(k))
			}
		} else {
			if err := d.value(key, 0); err != nil {
				return err
			}
			if !validKey(key) {
				return errNaNKey
			}
		}
		elem := reflect.New(et).Elem()
		if err := d.value(elem, 0); err != nil {
			return err
		}
		v.SetMapIndex(key, elem)
	}
	d.leave()
	return nil
}

// validKey reports whether k can be used as a map key and found again: it
// rejects NaN floats (also inside arrays and structs).
func validKey(k reflect.Value) bool {
	switch k.Kind() {
	case reflect.Float32, reflect.Float64:
		f := k.Float()
		return f == f
	case reflect.Array:
		for i := range k.Len() {
			if !validKey(k.Index(i)) {
				return false
			}
		}
	case reflect.Struct:
		for i := range k.NumField() {
			if !validKey(k.Field(i)) {
				return false
			}
		}
	case reflect.Interface, reflect.Pointer:
		if !k.IsNil() && k.Kind() == reflect.Interface {
			return validKey(k.Elem())
		}
	}
	return true
}

func (d *decoder) structValue(v reflect.Value) error {
	t := v.Type()
	n, err := d.mapHead(t.String())
	if err != nil {
		return err
	}
	info := structInfoOf(t)
	for range n {
		if d.off < len(d.b) && d.b[d.off]>>5 == 3 {
			k, err := d.textView("")
			if err != nil {
				return err
			}
			if i, ok := info.byName[string(k)]; ok {
				if err := d.value(v.Field(info.fields[i].index), 0); err != nil {
					return err
				}
				continue
			}
		} else if err := d.skip(); err != nil {
			return err
		}
		if err := d.skip(); err != nil {
			return err
		}
	}
	d.leave()
	return nil
}

// ---------------------------------------------------------------------------
// Struct fields

type fieldInfo struct {
	name      string
	index     int
	omitEmpty bool
}

type structInfo struct {
	fields []fieldInfo
	byName map[string]int // name -> index into fields
}

var structCache sync.Map // reflect.Type -> *structInfo

// structInfoOf lists the encoded fields of a struct type: exported fields,
// named by their `cbor:"name"` tag or their Go name, without those tagged
// `cbor:"-"`. An option `omitempty` drops zero values when encoding. Embedded
// structs are ordinary fields named after their type.
func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structCache.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{byName: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		var omit bool
		if tag, ok := f.Tag.Lookup("cbor"); ok {
			if tag == "-" {
				continue
			}
			tn, opts, _ := strings.Cut(tag, ",")
			if tn != "" {
				name = tn
			}
			for opts != "" {
				var o string
				o, opts, _ = strings.Cut(opts, ",")
				omit = omit || o == "omitempty"
			}
		}
		if _, dup := si.byName[name]; dup {
			continue
		}
		si.byName[name] = len(si.fields)
		si.fields = append(si.fields, fieldInfo{name: name, index: i, omitEmpty: omit})
	}
	actual, _ := structCache.LoadOrStore(t, si)
	return actual.(*structInfo)
}

// ---------------------------------------------------------------------------
// Encoder

type encoder struct {
	buf   []byte
	depth int
}

func (e *encoder) head(major byte, n uint64) { appendHead(e, major<<5, n) }

// appendHead appends an item head: the initial byte m (major type << 5)
// with argument n in the shortest form.
func appendHead(e *encoder, m byte, n uint64) {
	switch {
	case n < 24:
		e.buf = append(e.buf, m|byte(n))
	case n <= math.MaxUint8:
		e.buf = append(e.buf, m|24, byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, m|25, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		e.buf = append(e.buf, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		e.buf = append(e.buf, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
			byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// encodeInt64 is the int64 encoder on the hot path of most method calls; it
// makes no further calls unless the buffer must grow.
func encodeInt64(e *encoder, v int64) error {
	m, n := byte(0), uint64(v)
	if v < 0 {
		m, n = 0x20, uint64(^v)
	}
	switch {
	case n < 24:
		e.buf = append(e.buf, m|byte(n))
	case n <= math.MaxUint8:
		e.buf = append(e.buf, m|24, byte(n))
	case n <= math.MaxUint16:
		e.buf = append(e.buf, m|25, byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		e.buf = append(e.buf, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		e.buf = append(e.buf, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
			byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return nil
}

func (e *encoder) int64(v int64) { _ = encodeInt64(e, v) }

// appendInt64 appends the encoding of v. It is small enough to be inlined
// into the method wrappers (the hot path for int64 results).
func appendInt64(b []byte, v int64) []byte {
	m, x := byte(0), uint64(v)
	if v < 0 {
		m, x = 0x20, ^x
	}
	if x < 24 {
		return append(b, m|byte(x))
	}
	w := headWidth[bits.Len64(x)]
	b = append(b, m|widthInfo[w])
	for i := int(w) - 1; i >= 0; i-- {
		b = append(b, byte(x>>(8*uint(i))))
	}
	return b
}

// headWidth maps the bit length of an argument >= 24 to the number of bytes
// that follow the initial byte; widthInfo maps that to the additional
// information value.
var (
	headWidth = [65]uint8{
		1, 1, 1, 1, 1, 1, 1, 1, 1,
		2, 2, 2, 2, 2, 2, 2, 2,
		4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
		8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
		8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	}
	widthInfo = [9]byte{1: 24, 2: 25, 4: 26, 8: 27}
)

// smallInt decodes an integer in [-24, 23] (a one-byte item) into *p and
// reports whether it did; it is inlined into the method wrappers (the hot
// path for int64 arguments), which fall back to the full decoder.
func (d *decoder) smallInt(p *int64) bool {
	if off := d.off; off < len(d.b) {
		if c := d.b[off]; c < 0x18 {
			*p, d.off = int64(c), off+1
			return true
		} else if c-0x20 < 0x18 {
			*p, d.off = -1-int64(c-0x20), off+1
			return true
		}
	}
	return false
}

func (e *encoder) uint64(v uint64) { e.head(0, v) }

func (e *encoder) float64(f float64) {
	b := math.Float64bits(f)
	e.buf = append(e.buf, 0xfb, byte(b>>56), byte(b>>48), byte(b>>40), byte(b>>32),
		byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
}

func (e *encoder) float32(f float32) {
	b := math.Float32bits(f)
	e.buf = append(e.buf, 0xfa, byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
}

func (e *encoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, 0xf5)
	} else {
		e.buf = append(e.buf, 0xf4)
	}
}

func (e *encoder) null() { e.buf = append(e.buf, 0xf6) }

func (e *encoder) string(s string) error {
	if !utf8.ValidString(s) {
		return errUTF8
	}
	e.head(3, uint64(len(s)))
	e.buf = append(e.buf, s...)
	return nil
}

func (e *encoder) bytes(b []byte) {
	e.head(2, uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// enter writes an array or map head and enters one nesting level; the
// caller must call e.leave() when done.
func (e *encoder) enter(major byte, n int) error {
	if n > MaxElements {
		return errTooMany
	}
	e.depth++
	if e.depth > MaxDepth {
		return errTooDeep
	}
	e.head(major, uint64(n))
	return nil
}

func (e *encoder) leave() { e.depth-- }

// encode appends the encoding of v.
func (e *encoder) encode(v any) error {
	switch x := v.(type) {
	case nil:
		e.null()
	case int64:
		e.int64(x)
	case int:
		e.int64(int64(x))
	case int32:
		e.int64(int64(x))
	case int16:
		e.int64(int64(x))
	case int8:
		e.int64(int64(x))
	case uint64:
		e.uint64(x)
	case uint:
		e.uint64(uint64(x))
	case uint32:
		e.uint64(uint64(x))
	case uint16:
		e.uint64(uint64(x))
	case uint8:
		e.uint64(uint64(x))
	case float64:
		e.float64(x)
	case float32:
		e.float32(x)
	case bool:
		e.bool(x)
	case string:
		return e.string(x)
	case []byte:
		e.bytes(x)
	case []any:
		return e.sliceAny(x)
	case map[string]any:
		return e.mapStringAny(x)
	case []string:
		return e.sliceString(x)
	case []int64:
		return e.sliceInt64(x)
	case Handle:
		return e.handle(x)
	case Raw:
		return e.raw(x)
	default:
		return e.value(reflect.ValueOf(v), 0)
	}
	return nil
}

func (e *encoder) sliceAny(s []any) error {
	if err := e.enter(4, len(s)); err != nil {
		return err
	}
	for _, x := range s {
		if err := e.encode(x); err != nil {
			return err
		}
	}
	e.leave()
	return nil
}

func (e *encoder) sliceString(s []string) error {
	if err := e.enter(4, len(s)); err != nil {
		return err
	}
	for _, x := range s {
		if err := e.string(x); err != nil {
			return err
		}
	}
	e.leave()
	return nil
}

func (e *encoder) sliceInt64(s []int64) error {
	if err := e.enter(4, len(s)); err != nil {
		return err
	}
	for _, x := range s {
		e.int64(x)
	}
	e.leave()
	return nil
}

// compareTextKeys orders text keys as their encodings sort bytewise:
// shorter first, then by bytes.
func compareTextKeys(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func (e *encoder) mapStringAny(m map[string]any) error {
	if err := e.enter(5, len(m)); err != nil {
		return err
	}
	if len(m) == 1 {
		for k, v := range m {
			if err := e.string(k); err != nil {
				return err
			}
			if err := e.encode(v); err != nil {
				return err
			}
		}
	} else if len(m) > 1 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sortFunc(keys, compareTextKeys)
		for _, k := range keys {
			if err := e.string(k); err != nil {
				return err
			}
			if err := e.encode(m[k]); err != nil {
				return err
			}
		}
	}
	e.leave()
	return nil
}

// value appends the encoding of v using reflection. hops counts the
// pointers and interfaces followed since the last container.
func (e *encoder) value(v reflect.Value, hops int) error {
	switch v.Kind() {
	case reflect.Invalid:
		e.null()
	case reflect.Bool:
		e.bool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.int64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.uint64(v.Uint())
	case reflect.Float32:
		e.float32(float32(v.Float()))
	case reflect.Float64:
		e.float64(v.Float())
	case reflect.String:
		return e.string(v.String())
	case reflect.Slice:
		if v.Type() == rawType {
			return e.raw(Raw(v.Bytes()))
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.bytes(v.Bytes())
			return nil
		}
		return e.seq(v)
	case reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.head(2, uint64(v.Len()))
			for i := range v.Len() {
				e.buf = append(e.buf, byte(v.Index(i).Uint()))
			}
			return nil
		}
		return e.seq(v)
	case reflect.Map:
		return e.mapValue(v)
	case reflect.Struct:
		if v.Type() == handleType {
			return e.handle(Handle{ID: v.Field(0).String(), Class: v.Field(1).String()})
		}
		return e.structValue(v)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.null()
			return nil
		}
		if hops >= maxPtrHops {
			return errTooDeep
		}
		return e.value(v.Elem(), hops+1)
	default:
		return newError("cbor: cannot encode Go type ", v.Type().String())
	}
	return nil
}

func (e *encoder) seq(v reflect.Value) error {
	n := v.Len()
	if err := e.enter(4, n); err != nil {
		return err
	}
	for i := range n {
		if err := e.value(v.Index(i), 0); err != nil {
			return err
		}
	}
	e.leave()
	return nil
}

func (e *encoder) mapValue(v reflect.Value) error {
	n := v.Len()
	if err := e.enter(5, n); err != nil {
		return err
	}
	// Encode each key and value on its own, then sort by encoded key.
	type entry struct{ k, v []byte }
	entries := make([]entry, 0, n)
	sub := encoder{depth: e.depth}
	iter := v.MapRange()
	for iter.Next() {
		sub.buf = nil
		if err := sub.value(iter.Key(), 0); err != nil {
			return err
		}
		k := sub.buf
		sub.buf = nil
		if err := sub.value(iter.Value(), 0); err != nil {
			return err
		}
		entries = append(entries, entry{k, sub.buf})
	}
	sortFunc(entries, func(a, b entry) int { return bytes.Compare(a.k, b.k) })
	for _, en := range entries {
		e.buf = append(e.buf, en.k...)
		e.buf = append(e.buf, en.v...)
	}
	e.leave()
	return nil
}

func (e *encoder) structValue(v reflect.Value) error {
	info := structInfoOf(v.Type())
	n := 0
	for _, f := range info.fields {
		if !f.omitEmpty || !v.Field(f.index).IsZero() {
			n++
		}
	}
	if err := e.enter(5, n); err != nil {
		return err
	}
	for _, f := range info.fields {
		fv := v.Field(f.index)
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		if err := e.string(f.name); err != nil {
			return err
		}
		if err := e.value(fv, 0); err != nil {
			return err
		}
	}
	e.leave()
	return nil
}

// ---------------------------------------------------------------------------
// Typed decoders and encoders chosen once per method (no reflection and no
// boxing per call for the common types).

type decodeFunc[T any] func(*decoder) (T, error)
type encodeFunc[T any] func(*encoder, T) error

func decoderFor[T any]() decodeFunc[T] {
	var f any
	switch any((*T)(nil)).(type) {
	case *int64:
		f = (*decoder).int64
	case *int:
		f = (*decoder).int
	case *int32:
		f = (*decoder).int32
	case *int16:
		f = (*decoder).int16
	case *int8:
		f = (*decoder).int8
	case *uint64:
		f = (*decoder).uint64
	case *uint:
		f = (*decoder).uint
	case *uint32:
		f = (*decoder).uint32
	case *uint16:
		f = (*decoder).uint16
	case *uint8:
		f = (*decoder).uint8
	case *float64:
		f = (*decoder).float64
	case *float32:
		f = (*decoder).float32
	case *bool:
		f = (*decoder).bool
	case *string:
		f = (*decoder).string
	case *[]byte:
		f = (*decoder).bytes
	case *any:
		f = (*decoder).any
	case *[]any:
		f = (*decoder).sliceAny
	case *Handle:
		f = (*decoder).handle
	case *Raw:
		f = (*decoder).raw
	}
	if f != nil {
		return f.(func(*decoder) (T, error))
	}
	return func(d *decoder) (T, error) {
		var v T
		err := d.value(reflect.ValueOf(&v).Elem(), 0)
		return v, err
	}
}

func encoderFor[T any]() encodeFunc[T] {
	var f any
	switch any((*T)(nil)).(type) {
	case *int64:
		f = encodeInt64
	case *int:
		f = func(e *encoder, v int) error { e.int64(int64(v)); return nil }
	case *int32:
		f = func(e *encoder, v int32) error { e.int64(int64(v)); return nil }
	case *uint64:
		f = func(e *encoder, v uint64) error { e.uint64(v); return nil }
	case *uint:
		f = func(e *encoder, v uint) error { e.uint64(uint64(v)); return nil }
	case *uint32:
		f = func(e *encoder, v uint32) error { e.uint64(uint64(v)); return nil }
	case *float64:
		f = func(e *encoder, v float64) error { e.float64(v); return nil }
	case *float32:
		f = func(e *encoder, v float32) error { e.float32(v); return nil }
	case *bool:
		f = func(e *encoder, v bool) error { e.bool(v); return nil }
	case *string:
		f = (*encoder).string
	case *[]byte:
		f = func(e *encoder, v []byte) error { e.bytes(v); return nil }
	case *any:
		f = (*encoder).encode
	case *[]any:
		f = (*encoder).sliceAny
	case *[]string:
		f = (*encoder).sliceString
	case *[]int64:
		f = (*encoder).sliceInt64
	case *map[string]any:
		f = (*encoder).mapStringAny
	case *Handle:
		f = (*encoder).handle
	case *Raw:
		f = (*encoder).raw
	}
	if f != nil {
		return f.(func(*encoder, T) error)
	}
	return func(e *encoder, v T) error {
		return e.value(reflect.ValueOf(&v).Elem(), 0)
	}
}

// ---------------------------------------------------------------------------
// Small helpers that keep package fmt (and its weight) out of guests that
// do not use it themselves.

func newError(parts ...string) error { return errors.New(strings.Join(parts, "")) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func typeString(v any) string {
	if v == nil {
		return "nil"
	}
	return reflect.TypeOf(v).String()
}

// sortFunc sorts s by cmp (heapsort: small code, O(n log n), no allocation).
func sortFunc[T any](s []T, cmp func(a, b T) int) {
	n := len(s)
	down := func(i, n int) {
		for {
			c := 2*i + 1
			if c >= n {
				return
			}
			if c+1 < n && cmp(s[c], s[c+1]) < 0 {
				c++
			}
			if cmp(s[i], s[c]) >= 0 {
				return
			}
			s[i], s[c] = s[c], s[i]
			i = c
		}
	}
	for i := n/2 - 1; i >= 0; i-- {
		down(i, n)
	}
	for i := n - 1; i > 0; i-- {
		s[0], s[i] = s[i], s[0]
		down(0, i)
	}
}
