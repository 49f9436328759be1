package abi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestReadULEB128(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		bits uint
		v    uint64
		n    int
		err  error
	}{
		{[]byte{0x00}, 32, 0, 1, nil},
		{[]byte{0x7f, 0xff}, 32, 127, 1, nil},
		{[]byte{0xe5, 0x8e, 0x26}, 32, 624485, 3, nil},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x00}, 32, 0, 5, nil}, // not minimal: allowed
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 32, 1<<32 - 1, 5, nil},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 32, 0, 5, ErrLEB128Range},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 32, 0, 5, ErrLEB128TooLong},
		{[]byte{0x80, 0x80}, 32, 0, 2, ErrLEB128Truncated},
		{nil, 32, 0, 0, ErrLEB128Truncated},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 64, 1<<64 - 1, 10, nil},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 64, 0, 10, ErrLEB128Range},
	} {
		v, n, err := ReadULEB128(tc.in, tc.bits)
		if v != tc.v || n != tc.n || !errors.Is(err, tc.err) {
			t.Errorf("ReadULEB128(%x, %d) = %d, %d, %v; want %d, %d, %v", tc.in, tc.bits, v, n, err, tc.v, tc.n, tc.err)
		}
	}
}

// FuzzReadULEB128: with 64 bits it reads what encoding/binary.Uvarint
// reads; with 32 it reads what fits in 32 bits and never more than 5 bytes.
func FuzzReadULEB128(f *testing.F) {
	f.Add([]byte{0xe5, 0x8e, 0x26})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := ReadULEB128(b, 64)
		want, wn := binary.Uvarint(b)
		if (err == nil) != (wn > 0) || err == nil && (v != want || n != wn) {
			t.Fatalf("ReadULEB128(%x, 64) = %d, %d, %v; Uvarint %d, %d", b, v, n, err, want, wn)
		}
		v32, n32, err32 := ReadULEB128(b, 32)
		if n32 < 0 || n32 > len(b) || n32 > 5 {
			t.Fatalf("ReadULEB128(%x, 32) read %d bytes", b, n32)
		}
		if err32 == nil && (v32 > 1<<32-1 || err != nil || v32 != v || n32 != n) {
			t.Fatalf("ReadULEB128(%x, 32) = %d, %d; 64 bits: %d, %d, %v", b, v32, n32, v, n, err)
		}
	})
}

// appendSection appends a section of the binary format.
func appendSection(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

func customSection(name string, content []byte) []byte {
	body := binary.AppendUvarint(nil, uint64(len(name)))
	return append(append(body, name...), content...)
}

func TestCustomSection(t *testing.T) {
	header := []byte("\x00asm\x01\x00\x00\x00")
	m := appendSection(append([]byte{}, header...), 1, []byte{0x00}) // an empty type section
	m = appendSection(m, 0, customSection("other", []byte("x")))
	m = appendSection(m, 0, customSection(ManifestSection, []byte{0xa0}))
	m = appendSection(m, 0, customSection(ManifestSection, []byte{0xa1})) // the first counts
	if got, ok := CustomSection(m, ManifestSection); !ok || !bytes.Equal(got, []byte{0xa0}) {
		t.Errorf("CustomSection = %x, %v", got, ok)
	}
	if _, ok := CustomSection(m, "missing"); ok {
		t.Error("found a missing section")
	}
	for name, bad := range map[string][]byte{
		"empty":          nil,
		"not wasm":       []byte("\x00elf\x01\x00\x00\x00"),
		"size too large": append(append([]byte{}, header...), 0x00, 0x7f, 0x01),
		"size truncated": append(append([]byte{}, header...), 0x00, 0x80),
	} {
		if _, ok := CustomSection(bad, ManifestSection); ok {
			t.Errorf("%s: found a section", name)
		}
	}
	// A custom section whose name overruns it is skipped, not fatal.
	skip := appendSection(append([]byte{}, header...), 0, []byte{0x10, 'a'})
	skip = appendSection(skip, 0, customSection("n", []byte("ok")))
	if got, ok := CustomSection(skip, "n"); !ok || string(got) != "ok" {
		t.Errorf("after a bad name: %q, %v", got, ok)
	}
}

// FuzzCustomSection: on any bytes CustomSection returns a part of them.
func FuzzCustomSection(f *testing.F) {
	header := []byte("\x00asm\x01\x00\x00\x00")
	f.Add(appendSection(append([]byte{}, header...), 0, customSection(ManifestSection, []byte{0xa0})), ManifestSection)
	f.Add(appendSection(append([]byte{}, header...), 0, []byte{0x10, 'a'}), "a")
	f.Fuzz(func(t *testing.T, wasm []byte, name string) {
		got, ok := CustomSection(wasm, name)
		if !ok {
			return
		}
		if len(got) > len(wasm) || len(got) > 0 && !bytes.Contains(wasm, got) {
			t.Fatalf("CustomSection returned %x, not part of %x", got, wasm)
		}
	})
}

// FuzzDiagnose: on any bytes the diagnostic printer returns bounded text
// (abi/codec checks it against fxamacker's on valid values).
func FuzzDiagnose(f *testing.F) {
	f.Add([]byte{0x83, 0x01, 0x61, 'a', 0xf5})
	f.Add([]byte{0xd9, 0xc7, 0x38, 0x82, 0x61, 'a', 0x61, 'b'})
	f.Add(bytes.Repeat([]byte{0x81}, 40))
	f.Add(append([]byte{0x5a, 0x00, 0x01, 0x00, 0x00}, make([]byte, 1<<16)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Diagnose(b)
		if len(s) > MaxDiagnosticBytes+3 || len(s) == 0 {
			t.Fatalf("Diagnose(%x) returned %d bytes", b, len(s))
		}
		if Validate(b) != nil && s[0] != '<' {
			t.Fatalf("Diagnose of malformed %x = %q", b, s)
		}
	})
}
