package engine

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
)

// ModuleInfo is what ParseModule reads from a module: the same listing for
// every engine.
type ModuleInfo struct {
	Imports []Import
	Exports []Export
	// Memories lists every memory, imported ones first.
	Memories []MemoryType
}

// CheckMemoryLimit returns an error wrapping ErrInstantiate if a memory of
// the module starts larger than cfg's limit.
func (info *ModuleInfo) CheckMemoryLimit(cfg *InstanceConfig) error {
	limit := cfg.MemoryLimitBytes() / PageSize
	for _, m := range info.Memories {
		if m.Min > limit {
			return fmt.Errorf("%w: the module's memory starts at %d pages, over the limit of %d", ErrInstantiate, m.Min, limit)
		}
	}
	return nil
}

// errMalformed is wrapped by ParseModule's errors (with ErrCompile).
var errMalformed = errors.New("malformed or unsupported module")

type parser struct {
	b   []byte
	p   int
	err error
}

func (r *parser) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %w: at byte %d: %s", ErrCompile, errMalformed, r.p, fmt.Sprintf(format, args...))
	}
	r.p = len(r.b)
}

func (r *parser) byte() byte {
	if r.p >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	c := r.b[r.p]
	r.p++
	return c
}

func (r *parser) bytes(n uint64) []byte {
	if n > uint64(len(r.b)-r.p) {
		r.fail("unexpected end")
		return nil
	}
	s := r.b[r.p : r.p+int(n)]
	r.p += int(n)
	return s
}

// uleb reads an unsigned LEB128 of at most bits bits.
func (r *parser) uleb(bits uint) uint64 {
	if r.err != nil {
		r.fail("LEB128 too long")
		return 0
	}
	v, n, err := abi.ReadULEB128(r.b[r.p:], bits)
	r.p += n
	switch err {
	case nil:
		return v
	case abi.ErrLEB128Truncated:
		r.fail("unexpected end")
	case abi.ErrLEB128TooLong:
		r.fail("LEB128 too long")
	default:
		r.fail("LEB128 out of range")
	}
	return 0
}

func (r *parser) u32() uint32 { return uint32(r.uleb(32)) }

// skipSLEB skips a signed LEB128 of at most bits bits.
func (r *parser) skipSLEB(bits uint) {
	for n := uint(0); ; n++ {
		if n*7 >= bits || r.err != nil {
			r.fail("LEB128 too long")
			return
		}
		if r.byte()&0x80 == 0 {
			return
		}
	}
}

func (r *parser) name() string {
	b := r.bytes(uint64(r.u32()))
	if !utf8.Valid(b) {
		r.fail("name is not UTF-8")
	}
	return string(b)
}

func (r *parser) valType() ValueType {
	t := ValueType(r.byte())
	switch t {
	case I32, I64, F32, F64, V128, FuncRef, ExternRef:
		return t
	}
	r.fail("unsupported value type 0x%02x", byte(t))
	return 0
}

func (r *parser) limits(memory bool) (l Limits, shared, is64 bool) {
	flags := r.byte()
	allowed := byte(0x05) // bit 0: has a maximum; bit 2: 64-bit
	if memory {
		allowed = 0x07 // bit 1: shared
	}
	if flags&^allowed != 0 {
		r.fail("unsupported limits flags 0x%02x", flags)
		return l, false, false
	}
	shared, is64 = flags&2 != 0, flags&4 != 0
	bits := uint(32)
	if is64 {
		bits = 64
	}
	l.Min = r.uleb(bits)
	if flags&1 != 0 {
		l.HasMax = true
		l.Max = r.uleb(bits)
	}
	return l, shared, is64
}

func (r *parser) globalType() GlobalType {
	t := r.valType()
	m := r.byte()
	if m > 1 {
		r.fail("bad mutability %d", m)
	}
	return GlobalType{Type: t, Mutable: m == 1}
}

func (r *parser) tableType() TableType {
	elem := r.valType()
	if elem != FuncRef && elem != ExternRef {
		r.fail("bad table element type %s", elem)
	}
	l, _, _ := r.limits(false)
	return TableType{Limits: l, Elem: elem}
}

func (r *parser) memoryType() MemoryType {
	l, shared, is64 := r.limits(true)
	return MemoryType{Limits: l, Shared: shared, Memory64: is64}
}

// skipConstExpr skips a constant expression up to its end opcode.
func (r *parser) skipConstExpr() {
	for r.err == nil {
		switch op := r.byte(); op {
		case 0x0b: // end
			return
		case 0x41: // i32.const
			r.skipSLEB(32)
		case 0x42: // i64.const
			r.skipSLEB(64)
		case 0x43: // f32.const
			r.bytes(4)
		case 0x44: // f64.const
			r.bytes(8)
		case 0x23, 0xd2: // global.get, ref.func
			r.u32()
		case 0xd0: // ref.null
			r.valType()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended constants
		case 0xfd: // v128.const
			if r.u32() != 12 {
				r.fail("unsupported constant SIMD instruction")
				return
			}
			r.bytes(16)
		default:
			r.fail("unsupported constant instruction 0x%02x", op)
		}
	}
}

// ParseModule lists the imports and exports of a module (with their types)
// from its binary form. It checks the structure it reads, not the whole
// module: an engine's Compile validates. Errors wrap ErrCompile.
func ParseModule(wasm []byte) (*ModuleInfo, error) {
	r := &parser{b: wasm}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%w: %w: not a WebAssembly module (bad magic number)", ErrCompile, errMalformed)
	}
	if string(wasm[4:8]) != "\x01\x00\x00\x00" {
		return nil, fmt.Errorf("%w: %w: unsupported binary version (a component?)", ErrCompile, errMalformed)
	}
	r.p = 8
	info := &ModuleInfo{}
	var types []FuncType
	var funcs []uint32 // type index of every function, imports first
	var tags []uint32  // type index of every tag, imports first
	var globals []GlobalType
	var memories []MemoryType
	var tables []TableType
	typeOf := func(s *parser, idx uint32) FuncType {
		if uint64(idx) >= uint64(len(types)) {
			s.fail("type index %d out of range", idx)
			return FuncType{}
		}
		return types[idx]
	}
	for r.p < len(wasm) && r.err == nil {
		id := r.byte()
		size := r.u32()
		body := r.bytes(uint64(size))
		if r.err != nil {
			break
		}
		s := &parser{b: body}
		n := uint32(0)
		if id >= 1 && id <= 7 || id == 13 {
			n = s.u32()
			// Every entry takes at least one byte: refuse impossible counts
			// before allocating for them.
			if uint64(n) > uint64(len(body)) {
				s.fail("count %d larger than its section", n)
				n = 0
			}
		}
		switch id {
		case 1: // type
			types = make([]FuncType, 0, n)
			for i := uint32(0); i < n && s.err == nil; i++ {
				if f := s.byte(); f != 0x60 {
					s.fail("unsupported type form 0x%02x (GC types?)", f)
					break
				}
				var ft FuncType
				np := s.u32()
				if uint64(np) > uint64(len(body)) {
					s.fail("too many parameters")
				}
				for j := uint32(0); j < np && s.err == nil; j++ {
					ft.Params = append(ft.Params, s.valType())
				}
				nr := s.u32()
				if uint64(nr) > uint64(len(body)) {
					s.fail("too many results")
				}
				for j := uint32(0); j < nr && s.err == nil; j++ {
					ft.Results = append(ft.Results, s.valType())
				}
				types = append(types, ft)
			}
		case 2: // import
			info.Imports = make([]Import, 0, n)
			for i := uint32(0); i < n && s.err == nil; i++ {
				imp := Import{Module: s.name(), Name: s.name(), Kind: ExternKind(s.byte())}
				switch imp.Kind {
				case KindFunc:
					idx := s.u32()
					imp.Func = typeOf(s, idx)
					funcs = append(funcs, idx)
				case KindTable:
					imp.Table = s.tableType()
					tables = append(tables, imp.Table)
				case KindMemory:
					imp.Memory = s.memoryType()
					memories = append(memories, imp.Memory)
				case KindGlobal:
					imp.Global = s.globalType()
					globals = append(globals, imp.Global)
				case KindTag:
					if s.byte() != 0 {
						s.fail("bad tag attribute")
					}
					idx := s.u32()
					imp.Func = typeOf(s, idx)
					tags = append(tags, idx)
				default:
					s.fail("bad import kind %d", imp.Kind)
				}
				info.Imports = append(info.Imports, imp)
			}
		case 3: // function
			for i := uint32(0); i < n && s.err == nil; i++ {
				funcs = append(funcs, s.u32())
			}
		case 4: // table
			for i := uint32(0); i < n && s.err == nil; i++ {
				tables = append(tables, s.tableType())
			}
		case 5: // memory
			for i := uint32(0); i < n && s.err == nil; i++ {
				memories = append(memories, s.memoryType())
			}
		case 6: // global
			for i := uint32(0); i < n && s.err == nil; i++ {
				globals = append(globals, s.globalType())
				s.skipConstExpr()
			}
		case 7: // export
			info.Exports = make([]Export, 0, n)
			for i := uint32(0); i < n && s.err == nil; i++ {
				e := Export{Name: s.name(), Kind: ExternKind(s.byte()), Index: s.u32()}
				if s.err != nil {
					break
				}
				var count int
				switch e.Kind {
				case KindFunc:
					count = len(funcs)
				case KindTable:
					count = len(tables)
				case KindMemory:
					count = len(memories)
				case KindGlobal:
					count = len(globals)
				case KindTag:
					count = len(tags)
				default:
					s.fail("bad export kind %d", e.Kind)
					continue
				}
				if uint64(e.Index) >= uint64(count) {
					s.fail("export %q: %s index %d out of range", e.Name, e.Kind, e.Index)
					continue
				}
				switch e.Kind {
				case KindFunc:
					e.Func = typeOf(s, funcs[e.Index])
				case KindTable:
					e.Table = tables[e.Index]
				case KindMemory:
					e.Memory = memories[e.Index]
				case KindGlobal:
					e.Global = globals[e.Index]
				case KindTag:
					e.Func = typeOf(s, tags[e.Index])
				}
				info.Exports = append(info.Exports, e)
			}
		case 13: // tag
			for i := uint32(0); i < n && s.err == nil; i++ {
				if s.byte() != 0 {
					s.fail("bad tag attribute")
				}
				tags = append(tags, s.u32())
			}
		}
		if s.err != nil {
			// Report the position in the whole module.
			return nil, fmt.Errorf("section %d: %w", id, s.err)
		}
		if (id >= 1 && id <= 7 || id == 13) && s.p != len(body) {
			return nil, fmt.Errorf("%w: %w: section %d has %d trailing bytes", ErrCompile, errMalformed, id, len(body)-s.p)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	info.Memories = memories
	return info, nil
}
