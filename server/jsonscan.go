package server

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// Request bodies are hostile: a JSON body is checked by scanJSON, which
// allocates nothing and stops at the first byte past a limit, before
// encoding/json (for the request's fields) or the argument converter (for
// arguments, values.go) touch it. So an 8 MB body holding one array of four
// million elements is refused after the first 65,537 elements, not decoded
// first; and both later decoders see only bounded containers and strings.
// The limits are the ABI's (abi.MaxDepth, abi.MaxElements), the same ones
// the CBOR decoder enforces (http.go: cborDec).

// jsonLimits bounds a JSON document while it is scanned.
type jsonLimits struct {
	// depth bounds the nesting of arrays and objects; the outermost
	// container is at depth 1.
	depth int
	// elements bounds the members of one array or object.
	elements int
	// str bounds one string's bytes as written (escapes included).
	str int
}

// jsonError is a JSON syntax error or a limit exceeded, at a byte offset of
// the scanned document.
type jsonError struct {
	Off   int
	Msg   string
	Limit bool // a limit, not a syntax error
	Size  bool // the limit is a size (a string too long)
}

// Error returns the message and the offset.
func (e *jsonError) Error() string { return fmt.Sprintf("%s at byte %d", e.Msg, e.Off) }

// jscan is a JSON scanner over a byte slice.
type jscan struct {
	b   []byte
	i   int
	lim jsonLimits
}

func (s *jscan) errorf(format string, args ...any) error {
	return &jsonError{Off: s.i, Msg: fmt.Sprintf(format, args...)}
}

func (s *jscan) limitf(format string, args ...any) error {
	return &jsonError{Off: s.i, Msg: fmt.Sprintf(format, args...), Limit: true}
}

// unexpected describes the byte at s.i for a syntax error.
func (s *jscan) unexpected(want string) error {
	if s.i >= len(s.b) {
		return s.errorf("unexpected end of JSON, want %s", want)
	}
	c := s.b[s.i]
	if c >= 0x20 && c < 0x7f {
		return s.errorf("invalid character %q, want %s", c, want)
	}
	return s.errorf("invalid byte 0x%02x, want %s", c, want)
}

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// scanJSON checks that b is exactly one JSON value (whitespace around it
// allowed) within lim, with strings of valid UTF-8 (escapes included: a
// lone surrogate is refused, not replaced by U+FFFD).
func scanJSON(b []byte, lim jsonLimits) error {
	s := jscan{b: b, lim: lim}
	s.ws()
	if err := s.skip(0); err != nil {
		return err
	}
	s.ws()
	if s.i != len(s.b) {
		return s.errorf("data after the JSON value")
	}
	return nil
}

// skip checks one value at s.i, nested in depth containers, and moves past
// it. Recursion is bounded by lim.depth.
func (s *jscan) skip(depth int) error {
	if s.i >= len(s.b) {
		return s.unexpected("a value")
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, err := s.str(nil, false)
		return err
	case c == '[' || c == '{':
		if depth >= s.lim.depth {
			return s.limitf("value nested deeper than %d levels", s.lim.depth)
		}
		closer, empty := s.enter()
		for n := 1; !empty; n++ {
			if _, err := s.member(closer, n, nil, false); err != nil {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			more, err := s.next(closer)
			if err != nil {
				return err
			}
			empty = !more
		}
		return nil
	case c == '-' || c >= '0' && c <= '9':
		_, err := s.number()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.unexpected("a value")
}

// enter moves past the '[' or '{' at s.i and returns the closing bracket;
// empty reports an empty container (then s.i is past its closer too).
func (s *jscan) enter() (closer byte, empty bool) {
	closer = ']'
	if s.b[s.i] == '{' {
		closer = '}'
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == closer {
		s.i++
		return closer, true
	}
	return closer, false
}

// member starts the n-th member (from 1) of a container: it enforces
// lim.elements and, in an object, reads the member's name (appended to
// key with keep) and the colon, leaving s.i at the value.
func (s *jscan) member(closer byte, n int, key []byte, keep bool) ([]byte, error) {
	if n > s.lim.elements {
		if closer == '}' {
			return nil, s.limitf("object of more than %d members", s.lim.elements)
		}
		return nil, s.limitf("array of more than %d elements", s.lim.elements)
	}
	if closer != '}' {
		return key, nil
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, s.unexpected("a member name (a string)")
	}
	key, err := s.str(key, keep)
	if err != nil {
		return nil, err
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return nil, s.unexpected("':'")
	}
	s.i++
	s.ws()
	return key, nil
}

// next moves past the ',' after a member (more) or the container's closer.
func (s *jscan) next(closer byte) (more bool, err error) {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ',' {
		s.i++
		s.ws()
		return true, nil
	}
	if s.i < len(s.b) && s.b[s.i] == closer {
		s.i++
		return false, nil
	}
	return false, s.unexpected(fmt.Sprintf("',' or '%c'", closer))
}

func (s *jscan) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.unexpected("a value")
	}
	s.i += len(word)
	return nil
}

// number checks the number at s.i, moves past it and returns its text.
func (s *jscan) number() ([]byte, error) {
	start := s.i
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
		if s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			return nil, s.errorf("number with a leading zero")
		}
	} else if digits() == 0 {
		return nil, s.unexpected("a digit")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return nil, s.unexpected("a digit")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return nil, s.unexpected("a digit")
		}
	}
	if s.i-start > 1024 {
		return nil, s.limitf("number of more than 1024 characters")
	}
	return s.b[start:s.i], nil
}

// str checks the string at s.i (which is '"') and moves past it. With
// keep, it appends the decoded string to dst and returns it.
func (s *jscan) str(dst []byte, keep bool) ([]byte, error) {
	start := s.i
	s.i++ // the opening quote
	for {
		if s.i-start > s.lim.str+2 {
			return nil, &jsonError{Off: start, Msg: fmt.Sprintf("string of more than %d bytes", s.lim.str), Limit: true, Size: true}
		}
		if s.i >= len(s.b) {
			return nil, s.errorf("unterminated string")
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return dst, nil
		case c < 0x20:
			return nil, s.errorf("control character 0x%02x in a string (escape it)", c)
		case c == '\\':
			r, err := s.escape()
			if err != nil {
				return nil, err
			}
			if keep {
				dst = utf8.AppendRune(dst, r)
			}
		case c < utf8.RuneSelf:
			if keep {
				dst = append(dst, c)
			}
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, s.errorf("invalid UTF-8 in a string")
			}
			if keep {
				dst = append(dst, s.b[s.i:s.i+size]...)
			}
			s.i += size
		}
	}
}

// escape decodes the escape sequence at s.i ('\\') and moves past it. A
// \u escape of a surrogate must be a valid pair.
func (s *jscan) escape() (rune, error) {
	if s.i+1 >= len(s.b) {
		return 0, s.errorf("unterminated string")
	}
	c := s.b[s.i+1]
	s.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
	default:
		s.i--
		return 0, s.errorf("invalid escape \\%c in a string", c)
	}
	r, ok := s.hex4()
	if !ok {
		return 0, s.errorf(`invalid \u escape in a string`)
	}
	if r < 0xd800 || r > 0xdfff {
		return r, nil
	}
	if r >= 0xdc00 || s.i+1 >= len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
		return 0, s.errorf("invalid UTF-8 in a string: unpaired surrogate \\u%04x", r)
	}
	s.i += 2
	r2, ok := s.hex4()
	if !ok || r2 < 0xdc00 || r2 > 0xdfff {
		return 0, s.errorf("invalid UTF-8 in a string: unpaired surrogate \\u%04x", r)
	}
	return 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00), nil
}

func (s *jscan) hex4() (rune, bool) {
	if len(s.b)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return r, true
}

// countJSONArray counts the elements of the JSON array b (checked already:
// it allocates nothing, and fails on anything but an array).
func countJSONArray(b []byte) (int, error) {
	s := jscan{b: b, lim: jsonLimits{depth: math.MaxInt32, elements: math.MaxInt32, str: math.MaxInt32}}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return 0, s.unexpected("an array")
	}
	closer, empty := s.enter()
	n := 0
	for more := !empty; more; {
		n++
		if err := s.skip(1); err != nil {
			return 0, err
		}
		var err error
		if more, err = s.next(closer); err != nil {
			return 0, err
		}
	}
	return n, nil
}
