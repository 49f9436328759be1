package abi

import (
	"fmt"
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
	if err := decMode.Unmarshal(b, &m); err != nil {
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

// EncodeManifest encodes a manifest.
func EncodeManifest(m *Manifest) ([]byte, error) {
	b, err := encMode.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncode, err)
	}
	return b, nil
}
