#!/usr/bin/env python3
"""Append the custom sections a .wat declares to the .wasm wat2wasm built.

Usage: wat_custom.py NAME.wat NAME.wasm

A .wat may declare custom sections with the annotation
    (@custom "section name" "data" "more data" ...)
(the WebAssembly annotations proposal). wabt 1.0.32's wat2wasm parses it with
--enable-annotations but does not emit it; newer wabt does. This script
appends every declared section the .wasm does not already hold (so it is a
no-op after a wat2wasm that emits them). Placement clauses such as
(after data) are ignored: the sections go at the end of the module.
Only the Python standard library is used.
"""
import re
import sys


def wat_string(src, i):
    """Decodes the WAT string literal starting at src[i] == '"'; returns (bytes, next index)."""
    assert src[i] == '"'
    out = bytearray()
    i += 1
    while src[i] != '"':
        c = src[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = src[i + 1]
        simple = {"t": b"\t", "n": b"\n", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}
        if e in simple:
            out += simple[e]
            i += 2
        elif e == "u":
            j = src.index("}", i)
            out += chr(int(src[i + 3 : j].replace("_", ""), 16)).encode("utf-8")
            i = j + 1
        else:
            out.append(int(src[i + 1 : i + 3], 16))
            i += 3
    return bytes(out), i + 1


def declared_sections(src):
    src = re.sub(r";;[^\n]*", "", src)  # line comments (block comments are not used)
    sections = []
    for m in re.finditer(r"\(@custom\s+", src):
        name, i = wat_string(src, m.end())
        data = bytearray()
        while True:
            while src[i].isspace():
                i += 1
            if src[i] == '"':
                chunk, i = wat_string(src, i)
                data += chunk
            elif src[i] == "(":  # placement such as (after data)
                i = src.index(")", i) + 1
            elif src[i] == ")":
                break
            else:
                raise SystemExit("wat_custom.py: cannot parse (@custom ...) near %r" % src[i : i + 20])
        sections.append((name, bytes(data)))
    return sections


def leb128(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_leb128(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def existing_custom_names(wasm):
    if wasm[:8] != b"\0asm\x01\0\0\0":
        raise SystemExit("wat_custom.py: not a wasm 1.0 module")
    names, i = set(), 8
    while i < len(wasm):
        sid = wasm[i]
        size, j = read_leb128(wasm, i + 1)
        if sid == 0:
            nlen, k = read_leb128(wasm, j)
            names.add(wasm[k : k + nlen])
        i = j + size
    return names


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    wat_path, wasm_path = sys.argv[1:]
    with open(wat_path, encoding="utf-8") as f:
        sections = declared_sections(f.read())
    with open(wasm_path, "rb") as f:
        wasm = f.read()
    have = existing_custom_names(wasm)
    extra = bytearray()
    for name, data in sections:
        if name in have:
            continue
        body = leb128(len(name)) + name + data
        extra += b"\x00" + leb128(len(body)) + body
    if extra:
        with open(wasm_path, "wb") as f:
            f.write(wasm + bytes(extra))


if __name__ == "__main__":
    main()
