package abi

import "errors"

// Readers of the WebAssembly binary format that the contract needs before
// (and without) an engine: the LEB128 numbers of the format and custom
// sections, where a class's manifest may travel (ManifestSection). Every
// reader takes untrusted bytes.

// Errors of ReadULEB128.
var (
	// ErrLEB128Truncated: the bytes end inside the number.
	ErrLEB128Truncated = errors.New("abi: truncated LEB128")
	// ErrLEB128TooLong: the number takes more bytes than its width allows.
	ErrLEB128TooLong = errors.New("abi: LEB128 too long")
	// ErrLEB128Range: the last byte sets bits above the width.
	ErrLEB128Range = errors.New("abi: LEB128 out of range")
)

// ReadULEB128 decodes the unsigned LEB128 number at the start of b, of at
// most bits bits (32 for a u32 of the format, 64 at most), and returns it
// and its length in bytes. On error n is the number of bytes read.
func ReadULEB128(b []byte, bits uint) (v uint64, n int, err error) {
	if len(b) > 0 && b[0] < 0x80 { // one byte: most numbers in a module
		return uint64(b[0]), 1, nil
	}
	for shift := uint(0); ; shift += 7 {
		if shift >= bits {
			return 0, n, ErrLEB128TooLong
		}
		if n >= len(b) {
			return 0, n, ErrLEB128Truncated
		}
		c := b[n]
		n++
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift+7 > bits && c>>(bits-shift) != 0 {
				return 0, n, ErrLEB128Range
			}
			return v, n, nil
		}
	}
}

// CustomSection returns the content of the first custom section of that
// name in a module (after the section's name), and whether there is one.
// It reads the sections' framing only, so it works on a module an engine
// has not validated; it stops at the first malformed section header.
func CustomSection(wasm []byte, name string) ([]byte, bool) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, false
	}
	p := 8
	for p < len(wasm) {
		id := wasm[p]
		size, k, err := ReadULEB128(wasm[p+1:], 32)
		if err != nil || size > uint64(len(wasm)-p-1-k) {
			return nil, false
		}
		body := wasm[p+1+k : p+1+k+int(size)]
		p += 1 + k + int(size)
		if id != 0 {
			continue
		}
		n, r, err := ReadULEB128(body, 32)
		if err != nil || n > uint64(len(body)-r) {
			continue
		}
		if string(body[r:r+int(n)]) == name {
			return body[r+int(n):], true
		}
	}
	return nil, false
}
