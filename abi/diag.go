package abi

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDiagnosticBytes bounds the text Diagnose returns: the bytes it renders
// may come from a guest, and the text goes to logs and error messages.
const MaxDiagnosticBytes = 4096

// Diagnose renders b, one CBOR item, in diagnostic notation (RFC 8949
// section 8): 1, -2, 1.5, "text", h'0102', [1, 2], {"k": true}, 51000([...]),
// null, simple(16). Bytes that are not exactly one well-formed item within
// the ABI's limits (Validate) render as "<malformed CBOR ...>" with their
// first bytes in hex. Output over MaxDiagnosticBytes is cut and ends in
// "...". It never fails and allocates at most about MaxDiagnosticBytes.
func Diagnose(b []byte) string {
	if err := Validate(b); err != nil {
		const show = 64
		if len(b) > show {
			return "<malformed CBOR " + hex.EncodeToString(b[:show]) + "...>"
		}
		return "<malformed CBOR " + hex.EncodeToString(b) + ">"
	}
	p := diagPrinter{}
	p.item(b)
	if p.cut {
		s := p.sb.String()
		if len(s) > MaxDiagnosticBytes {
			s = s[:MaxDiagnosticBytes]
		}
		return s + "..."
	}
	return p.sb.String()
}

// diagPrinter writes diagnostic notation of a validated item; once the text
// reaches MaxDiagnosticBytes it stops (cut).
type diagPrinter struct {
	sb  strings.Builder
	cut bool
}

func (p *diagPrinter) write(s string) {
	if p.cut {
		return
	}
	p.sb.WriteString(s)
	if p.sb.Len() > MaxDiagnosticBytes {
		p.cut = true
	}
}

// item prints the item at the start of b (well-formed: Validate passed) and
// returns its length.
func (p *diagPrinter) item(b []byte) int {
	major := b[0] >> 5
	ai := b[0] & 0x1f
	arg, h, _ := readHead(b)
	switch major {
	case 0:
		p.write(strconv.FormatUint(arg, 10))
		return h
	case 1:
		if arg > math.MaxInt64 {
			// -1 - arg does not fit an int64: print it by hand.
			p.write("-" + addOne(strconv.FormatUint(arg, 10)))
		} else {
			p.write(strconv.FormatInt(-1-int64(arg), 10))
		}
		return h
	case 2:
		end := h + int(arg)
		s := b[h:end]
		if len(s) > MaxDiagnosticBytes/2 {
			s = s[:MaxDiagnosticBytes/2+1] // enough to reach the cut
		}
		p.write("h'" + hex.EncodeToString(s))
		p.write("'")
		return end
	case 3:
		end := h + int(arg)
		p.text(b[h:end])
		return end
	case 4, 5:
		open, close := "[", "]"
		n := arg
		if major == 5 {
			open, close = "{", "}"
		}
		p.write(open)
		off := h
		for i := uint64(0); i < n; i++ {
			if i > 0 {
				p.write(", ")
			}
			if p.cut {
				// Validate bounded the work; skip the rest without printing.
				off += ItemLen(b[off:])
				if major == 5 {
					off += ItemLen(b[off:])
				}
				continue
			}
			off += p.item(b[off:])
			if major == 5 {
				p.write(": ")
				off += p.item(b[off:])
			}
		}
		p.write(close)
		return off
	case 6:
		p.write(strconv.FormatUint(arg, 10) + "(")
		k := p.item(b[h:])
		p.write(")")
		return h + k
	default:
		switch {
		case ai == 20:
			p.write("false")
		case ai == 21:
			p.write("true")
		case ai == 22:
			p.write("null")
		case ai == 23:
			p.write("undefined")
		case ai == 25:
			p.float(halfToFloat(uint16(arg)))
		case ai == 26:
			p.float(float64(math.Float32frombits(uint32(arg))))
		case ai == 27:
			p.float(math.Float64frombits(arg))
		default:
			p.write("simple(" + strconv.FormatUint(arg, 10) + ")")
		}
		return h
	}
}

// addOne returns the decimal string s plus one (s is all digits).
func addOne(s string) string {
	d := []byte(s)
	for i := len(d) - 1; i >= 0; i-- {
		if d[i] < '9' {
			d[i]++
			return string(d)
		}
		d[i] = '0'
	}
	return "1" + string(d)
}

// text writes a quoted text string: printable ASCII as is, the usual
// escapes, everything else as \uXXXX (UTF-16), as fxamacker's Diagnose did.
func (p *diagPrinter) text(s []byte) {
	var buf []byte
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		if len(buf) > MaxDiagnosticBytes {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\\' || c == '"':
				buf = append(buf, '\\', c)
			case c >= ' ' && c <= '~':
				buf = append(buf, c)
			default:
				buf = appendU16(buf, rune(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r < 0x10000 {
			buf = appendU16(buf, r)
		} else {
			r1, r2 := utf16.EncodeRune(r)
			buf = appendU16(appendU16(buf, r1), r2)
		}
		i += size
	}
	buf = append(buf, '"')
	p.write(string(buf))
}

func appendU16(b []byte, r rune) []byte {
	const digits = "0123456789abcdef"
	return append(b, '\\', 'u', digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf])
}

// float writes a float the way RFC 8949 section 8 does: always with a
// decimal point or an exponent, and NaN, Infinity, -Infinity.
func (p *diagPrinter) float(f float64) {
	switch {
	case math.IsNaN(f):
		p.write("NaN")
		return
	case math.IsInf(f, 1):
		p.write("Infinity")
		return
	case math.IsInf(f, -1):
		p.write("-Infinity")
		return
	}
	var b []byte
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		b = strconv.AppendFloat(nil, f, 'e', -1, 64)
		if n := len(b); n >= 4 && string(b[n-4:n-1]) == "e-0" {
			b = append(b[:n-2], b[n-1])
		}
	} else {
		b = strconv.AppendFloat(nil, f, 'f', -1, 64)
	}
	if !strings.ContainsRune(string(b), '.') {
		if i := strings.IndexByte(string(b), 'e'); i < 0 {
			b = append(b, '.', '0')
		} else {
			b = append(b[:i], append([]byte(".0"), b[i:]...)...)
		}
	}
	p.write(string(b))
}

// halfToFloat converts an IEEE 754 half-precision float.
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h >> 10 & 0x1f)
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 31:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	default:
		return sign * math.Ldexp(frac+1024, exp-25)
	}
}
