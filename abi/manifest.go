package abi

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Param type names a manifest may use.
var paramTypes = map[string]bool{
	"int": true, "uint": true, "float": true, "bool": true, "text": true,
	"bytes": true, "array": true, "map": true, "any": true,
}

// Manifest describes a class's methods (docs/ABI.md section 5).
type Manifest struct {
	ABI     int          `cbor:"abi" json:"abi"`
	Name    string       `cbor:"name,omitempty" json:"name,omitempty"`
	Doc     string       `cbor:"doc,omitempty" json:"doc,omitempty"`
	Init    *MethodSpec  `cbor:"init,omitempty" json:"init,omitempty"`
	Methods []MethodSpec `cbor:"methods" json:"methods"`
}

// MethodSpec describes one method (or the constructor) in a manifest.
type MethodSpec struct {
	Name     string   `cbor:"name,omitempty" json:"name,omitempty"`
	Params   []string `cbor:"params" json:"params"`
	Variadic bool     `cbor:"variadic,omitempty" json:"variadic,omitempty"`
	Returns  int      `cbor:"returns,omitempty" json:"returns,omitempty"`
	Doc      string   `cbor:"doc,omitempty" json:"doc,omitempty"`
}

// CheckArity reports whether n arguments fit the spec.
func (m MethodSpec) CheckArity(n int) bool {
	if m.Variadic {
		return n >= len(m.Params)
	}
	return n == len(m.Params)
}

// DefaultReturns is the method's default number of return values (at least 1).
func (m MethodSpec) DefaultReturns() int {
	if m.Returns <= 0 {
		return 1
	}
	return m.Returns
}

// maxManifestBytes bounds a manifest; it is read once per class.
const maxManifestBytes = 1 << 20

// DecodeManifest decodes and checks a manifest from untrusted bytes. It does
// not know the module's exports: the caller checks that listed methods exist.
func DecodeManifest(b []byte) (*Manifest, error) {
	if len(b) > maxManifestBytes {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrManifest, len(b), maxManifestBytes)
	}
	if err := Validate(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	var m Manifest
	if err := decodeManifest(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if m.ABI != Version {
		return nil, fmt.Errorf("%w: abi %d, want %d", ErrManifest, m.ABI, Version)
	}
	seen := make(map[string]bool, len(m.Methods))
	check := func(what string, s MethodSpec) error {
		if s.Returns < 0 || s.Returns > 64 {
			return fmt.Errorf("%w: %s: returns %d out of range 0..64", ErrManifest, what, s.Returns)
		}
		for _, p := range s.Params {
			if !paramTypes[p] {
				return fmt.Errorf("%w: %s: unknown parameter type %q", ErrManifest, what, p)
			}
		}
		return nil
	}
	for _, s := range m.Methods {
		if s.Name == "" || !utf8.ValidString(s.Name) || IsReservedExport(s.Name) {
			return nil, fmt.Errorf("%w: invalid method name %q", ErrManifest, s.Name)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("%w: method %q listed twice", ErrManifest, s.Name)
		}
		seen[s.Name] = true
		if err := check("method "+s.Name, s); err != nil {
			return nil, err
		}
	}
	if m.Init != nil {
		if err := check("init", *m.Init); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// EncodeManifest encodes a manifest: a map with the keys of docs/ABI.md
// section 5, in the order of the struct's fields, empty optional ones left out.
func EncodeManifest(m *Manifest) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil manifest", ErrEncode)
	}
	n := 2 // abi and methods are always written
	if m.Name != "" {
		n++
	}
	if m.Doc != "" {
		n++
	}
	if m.Init != nil {
		n++
	}
	b := appendHead(nil, 0xa0, uint64(n))
	b = appendInt(appendText(b, "abi"), int64(m.ABI))
	if m.Name != "" {
		b = appendText(appendText(b, "name"), m.Name)
	}
	if m.Doc != "" {
		b = appendText(appendText(b, "doc"), m.Doc)
	}
	if m.Init != nil {
		b = appendMethodSpec(appendText(b, "init"), m.Init)
	}
	b = appendText(b, "methods")
	if m.Methods == nil {
		b = append(b, 0xf6)
	} else {
		b = appendHead(b, 0x80, uint64(len(m.Methods)))
		for i := range m.Methods {
			b = appendMethodSpec(b, &m.Methods[i])
		}
	}
	return b, nil
}

func appendMethodSpec(b []byte, s *MethodSpec) []byte {
	n := 1 // params is always written
	for _, set := range []bool{s.Name != "", s.Variadic, s.Returns != 0, s.Doc != ""} {
		if set {
			n++
		}
	}
	b = appendHead(b, 0xa0, uint64(n))
	if s.Name != "" {
		b = appendText(appendText(b, "name"), s.Name)
	}
	b = appendText(b, "params")
	if s.Params == nil {
		b = append(b, 0xf6)
	} else {
		b = appendHead(b, 0x80, uint64(len(s.Params)))
		for _, p := range s.Params {
			b = appendText(b, p)
		}
	}
	if s.Variadic {
		b = appendText(b, "variadic")
		b = append(b, 0xf5)
	}
	if s.Returns != 0 {
		b = appendInt(appendText(b, "returns"), int64(s.Returns))
	}
	if s.Doc != "" {
		b = appendText(appendText(b, "doc"), s.Doc)
	}
	return b
}

// decodeManifest decodes validated bytes into m the way the reflection-based
// codec (abi/codec) does, which FuzzDecodeManifest_MatchesCodec checks: map
// keys match field names exactly or else ignoring case, the first occurrence
// of a field wins, unknown text keys and integer keys are skipped, other keys
// are an error, null leaves a field unset, and a value of the wrong type is
// an error naming the field.
func decodeManifest(b []byte, m *Manifest) error {
	return decodeMap(b, "manifest", manifestFields[:], func(field int, v []byte) error {
		switch field {
		case 0:
			return decodeInt(v, "abi", &m.ABI)
		case 1:
			return decodeString(v, "name", &m.Name)
		case 2:
			return decodeString(v, "doc", &m.Doc)
		case 3:
			if isNull(v) {
				return nil
			}
			m.Init = new(MethodSpec)
			return decodeMethodSpec(v, "init", m.Init)
		default:
			if isNull(v) {
				return nil
			}
			if v[0]>>5 != 4 {
				return fieldTypeError("methods", v)
			}
			n, off, _ := readHead(v)
			m.Methods = make([]MethodSpec, n)
			for i := range m.Methods {
				k := ItemLen(v[off:])
				if err := decodeMethodSpec(v[off:off+k], "methods", &m.Methods[i]); err != nil {
					return err
				}
				off += k
			}
			return nil
		}
	})
}

// Map keys of a manifest and of a method spec, in the structs' field order.
var (
	manifestFields = [...]string{"abi", "name", "doc", "init", "methods"}
	specFields     = [...]string{"name", "params", "variadic", "returns", "doc"}
)

func decodeMethodSpec(b []byte, what string, s *MethodSpec) error {
	if isNull(b) {
		return nil
	}
	return decodeMap(b, what, specFields[:], func(field int, v []byte) error {
		switch field {
		case 0:
			return decodeString(v, "name", &s.Name)
		case 1:
			if isNull(v) {
				return nil
			}
			if v[0]>>5 != 4 {
				return fieldTypeError("params", v)
			}
			n, off, _ := readHead(v)
			s.Params = make([]string, n)
			for i := range s.Params {
				k := ItemLen(v[off:])
				if err := decodeString(v[off:off+k], "params", &s.Params[i]); err != nil {
					return err
				}
				off += k
			}
			return nil
		case 2:
			switch v[0] {
			case 0xf4, 0xf5:
				s.Variadic = v[0] == 0xf5
			case 0xf6, 0xf7:
			default:
				return fieldTypeError("variadic", v)
			}
			return nil
		case 3:
			return decodeInt(v, "returns", &s.Returns)
		default:
			return decodeString(v, "doc", &s.Doc)
		}
	})
}

// decodeMap calls f for each pair of the map b (well-formed) whose key names
// one of fields (by index), once per field: the first occurrence wins.
func decodeMap(b []byte, what string, fields []string, f func(field int, v []byte) error) error {
	if b[0]>>5 != 5 {
		return fmt.Errorf("%s: %s is not a map", what, cborTypeName(b))
	}
	var found uint64 // bit i: fields[i] was set
	n, off, _ := readHead(b)
	for i := uint64(0); i < n; i++ {
		key := b[off:]
		k := ItemLen(key)
		key = key[:k]
		off += k
		k = ItemLen(b[off:])
		v := b[off : off+k]
		off += k
		switch key[0] >> 5 {
		case 0, 1: // integer keys name no field of these structs
			if arg, _, _ := readHead(key); arg > math.MaxInt64 {
				return fmt.Errorf("%s: map key %s overflows", what, cborTypeName(key))
			}
			continue
		case 3:
		default:
			return fmt.Errorf("%s: a map key of type %s cannot name a field", what, cborTypeName(key))
		}
		name, _ := decodeText(Value(key))
		field := -1
		for j, fn := range fields {
			if name == fn {
				field = j
				break
			}
		}
		if field < 0 {
			for j, fn := range fields {
				if strings.EqualFold(name, fn) {
					field = j
					break
				}
			}
		}
		if field < 0 || found&(1<<field) != 0 {
			continue
		}
		found |= 1 << field
		if err := f(field, v); err != nil {
			return err
		}
	}
	return nil
}

func isNull(v []byte) bool { return len(v) == 1 && (v[0] == 0xf6 || v[0] == 0xf7) }

func decodeString(v []byte, field string, dst *string) error {
	if isNull(v) {
		return nil
	}
	s, ok := decodeText(Value(v))
	if !ok {
		return fieldTypeError(field, v)
	}
	*dst = s
	return nil
}

func decodeInt(v []byte, field string, dst *int) error {
	if isNull(v) {
		return nil
	}
	major := v[0] >> 5
	if major > 1 {
		return fieldTypeError(field, v)
	}
	n, _, _ := readHead(v)
	if n > math.MaxInt {
		return fmt.Errorf("field %s: %s overflows", field, cborTypeName(v))
	}
	if major == 1 {
		*dst = -1 - int(n)
	} else {
		*dst = int(n)
	}
	return nil
}

func fieldTypeError(field string, v []byte) error {
	return fmt.Errorf("field %s: %s is not of the expected type", field, cborTypeName(v))
}

// cborTypeName names the CBOR type of the item at the start of v, for errors.
func cborTypeName(v []byte) string {
	switch v[0] >> 5 {
	case 0:
		return "positive integer"
	case 1:
		return "negative integer"
	case 2:
		return "byte string"
	case 3:
		return "UTF-8 text string"
	case 4:
		return "array"
	case 5:
		return "map"
	case 6:
		return "tag"
	default:
		switch v[0] {
		case 0xf4, 0xf5:
			return "boolean"
		case 0xf6, 0xf7:
			return "null"
		case 0xf9, 0xfa, 0xfb:
			return "floating-point number"
		}
		return "simple value"
	}
}
