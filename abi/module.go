package abi

import (
	"fmt"
	"slices"
	"strings"
)

// This file is the static half of the contract: what a module imports and
// exports, with the signature of each function (docs/ABI.md sections 1 and
// 6), and Check, which holds a parsed module to it. A host parses the module
// with its engine, describes it as a ModuleInfo and calls Check before it
// runs any guest code.

// ValType is a WebAssembly value type, with its binary-format encoding.
type ValType byte

// Value types.
const (
	I32       ValType = 0x7f
	I64       ValType = 0x7e
	F32       ValType = 0x7d
	F64       ValType = 0x7c
	V128      ValType = 0x7b
	FuncRef   ValType = 0x70
	ExternRef ValType = 0x6f
)

// String returns the text-format name of the type ("i32", ...).
func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	}
	return fmt.Sprintf("valtype(0x%02x)", byte(t))
}

// ExternKind is the kind of an import or export, with its binary-format
// encoding.
type ExternKind byte

// Extern kinds.
const (
	KindFunc   ExternKind = 0
	KindTable  ExternKind = 1
	KindMemory ExternKind = 2
	KindGlobal ExternKind = 3
	KindTag    ExternKind = 4
)

// String returns the text-format name of the kind ("func", ...).
func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// FuncType is a function signature.
type FuncType struct {
	Params, Results []ValType
}

// Equal reports whether two signatures are the same.
func (f FuncType) Equal(o FuncType) bool {
	return slices.Equal(f.Params, o.Params) && slices.Equal(f.Results, o.Results)
}

// String formats the signature as "(i32, i32) -> (i64)".
func (f FuncType) String() string {
	list := func(ts []ValType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = t.String()
		}
		return "(" + strings.Join(s, ", ") + ")"
	}
	return list(f.Params) + " -> " + list(f.Results)
}

// Import is one import of a module. Func is set for a function.
type Import struct {
	Module, Name string
	Kind         ExternKind
	Func         FuncType
}

// Export is one export of a module. Func is set for a function.
type Export struct {
	Name string
	Kind ExternKind
	Func FuncType
}

// ModuleInfo describes what Check looks at in a module: its imports and
// exports, in the module's order.
type ModuleInfo struct {
	Imports []Import
	Exports []Export
}

// FuncSpec is one function of the contract: an import the host provides
// (Module set) or an export the host calls.
type FuncSpec struct {
	// Module is the import module (ImportModule or WASIModule); empty for
	// an export.
	Module string
	Name   string
	Type   FuncType
	// Required: an export every module must have.
	Required bool
}

func sig(params []ValType, results ...ValType) FuncType {
	return FuncType{Params: params, Results: results}
}

func vals(ts ...ValType) []ValType { return ts }

// MethodType is the signature of a method, "method shape": (ptr i32,
// len i32) -> i64, the packed pointer and length of the result envelope.
func MethodType() FuncType { return sig(vals(I32, I32), I64) }

// The tables are built by functions, not package variables, so a program
// that links abi without using them (a Go guest) carries neither their code
// nor their initialization; every call returns a new copy, which callers
// may change.

// HostImports returns the functions of ImportModule that version 1
// provides, with their signatures.
func HostImports() []FuncSpec {
	return []FuncSpec{
		{Module: ImportModule, Name: ImportLog, Type: sig(vals(I32, I32, I32))},
		{Module: ImportModule, Name: ImportSelfID, Type: sig(vals(I32, I32), I32)},
		{Module: ImportModule, Name: ImportExit, Type: sig(nil)},
		{Module: ImportModule, Name: ImportCall, Type: sig(vals(I32, I32, I32, I32, I32, I32), I32)},
		{Module: ImportModule, Name: ImportSend, Type: sig(vals(I32, I32, I32, I32, I32, I32), I64)},
		{Module: ImportModule, Name: ImportAwait, Type: sig(vals(I64), I32)},
		{Module: ImportModule, Name: ImportSpawn, Type: sig(vals(I32, I32, I32, I32, I32, I32), I32)},
		{Module: ImportModule, Name: ImportGetActor, Type: sig(vals(I32, I32, I32, I32), I32)},
		{Module: ImportModule, Name: ImportKill, Type: sig(vals(I32, I32), I32)},
		{Module: ImportModule, Name: ImportTake, Type: sig(vals(I32, I32), I32)},
	}
}

// WASIImports returns the functions of WASIModule (WASI preview 1, every
// function of which a guest may import: docs/ABI.md section 6), in the
// order of the specification, with their signatures.
func WASIImports() []FuncSpec {
	errno := []ValType{I32}
	w := func(name string, params ...ValType) FuncSpec {
		return FuncSpec{Module: WASIModule, Name: name, Type: FuncType{Params: params, Results: errno}}
	}
	return []FuncSpec{
		w("args_get", I32, I32),
		w("args_sizes_get", I32, I32),
		w("environ_get", I32, I32),
		w("environ_sizes_get", I32, I32),
		w("clock_res_get", I32, I32),
		w("clock_time_get", I32, I64, I32),
		w("fd_advise", I32, I64, I64, I32),
		w("fd_allocate", I32, I64, I64),
		w("fd_close", I32),
		w("fd_datasync", I32),
		w("fd_fdstat_get", I32, I32),
		w("fd_fdstat_set_flags", I32, I32),
		w("fd_fdstat_set_rights", I32, I64, I64),
		w("fd_filestat_get", I32, I32),
		w("fd_filestat_set_size", I32, I64),
		w("fd_filestat_set_times", I32, I64, I64, I32),
		w("fd_pread", I32, I32, I32, I64, I32),
		w("fd_prestat_get", I32, I32),
		w("fd_prestat_dir_name", I32, I32, I32),
		w("fd_pwrite", I32, I32, I32, I64, I32),
		w("fd_read", I32, I32, I32, I32),
		w("fd_readdir", I32, I32, I32, I64, I32),
		w("fd_renumber", I32, I32),
		w("fd_seek", I32, I64, I32, I32),
		w("fd_sync", I32),
		w("fd_tell", I32, I32),
		w("fd_write", I32, I32, I32, I32),
		w("path_create_directory", I32, I32, I32),
		w("path_filestat_get", I32, I32, I32, I32, I32),
		w("path_filestat_set_times", I32, I32, I32, I32, I64, I64, I32),
		w("path_link", I32, I32, I32, I32, I32, I32, I32),
		w("path_open", I32, I32, I32, I32, I32, I64, I64, I32, I32),
		w("path_readlink", I32, I32, I32, I32, I32, I32),
		w("path_remove_directory", I32, I32, I32),
		w("path_rename", I32, I32, I32, I32, I32, I32),
		w("path_symlink", I32, I32, I32, I32, I32),
		w("path_unlink_file", I32, I32, I32),
		w("poll_oneoff", I32, I32, I32, I32),
		{Module: WASIModule, Name: "proc_exit", Type: sig(vals(I32))}, // does not return
		w("proc_raise", I32),
		w("random_get", I32, I32),
		w("sched_yield"),
		w("sock_accept", I32, I32, I32),
		w("sock_recv", I32, I32, I32, I32, I32, I32),
		w("sock_send", I32, I32, I32, I32, I32),
		w("sock_shutdown", I32, I32),
	}
}

// FuncExports returns the reserved function exports with their signatures,
// the required ones first, in the order of docs/ABI.md section 1. Every
// other function export is a method and has MethodType.
func FuncExports() []FuncSpec {
	return []FuncSpec{
		{Name: ExportVersion, Type: sig(nil, I32), Required: true},
		{Name: ExportAlloc, Type: sig(vals(I32), I32), Required: true},
		{Name: ExportInitialize, Type: sig(nil)},
		{Name: ExportInit, Type: MethodType()},
		{Name: ExportManifest, Type: sig(nil, I64)},
		{Name: ExportShouldCheckpoint, Type: sig(vals(I64, I64), I32)},
		{Name: ExportReseed, Type: sig(nil)},
		{Name: ExportLoadCheckpoint, Type: MethodType()},
		{Name: ExportCheckpointExpired, Type: MethodType()},
	}
}

// LookupImport returns the signature of an import the host provides.
func LookupImport(module, name string) (FuncType, bool) {
	var table []FuncSpec
	switch module {
	case ImportModule:
		table = HostImports()
	case WASIModule:
		table = WASIImports()
	}
	for _, f := range table {
		if f.Name == name {
			return f.Type, true
		}
	}
	return FuncType{}, false
}

// CheckError is a module that breaks the contract. Reason says how, in the
// ABI's words ("missing export \"wactor_alloc\" (see docs/ABI.md)"); Err is
// the cause, if any (a name check's error). It wraps ErrModule.
type CheckError struct {
	Reason string
	Err    error
}

// Error returns "abi: invalid module: " and the reason.
func (e *CheckError) Error() string { return ErrModule.Error() + ": " + e.Reason }

// Unwrap returns ErrModule and the cause, if any.
func (e *CheckError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrModule, e.Err}
	}
	return []error{ErrModule}
}

func checkErrorf(cause error, format string, args ...any) error {
	return &CheckError{Reason: fmt.Sprintf(format, args...), Err: cause}
}

// NameCheck checks a name a module declares against the host's naming
// policy; kind is "method name" or "class name". Check and CheckManifest
// accept nil: no policy.
type NameCheck func(kind, name string) error

// Check holds a module to the contract, in this order, and returns a
// *CheckError for the first rule it breaks:
//
//   - imports: only functions (a memory must be defined, not imported),
//     only from ImportModule and WASIModule, only the functions HostImports
//     and WASIImports list (not ReservedImports), each with its signature;
//   - exports: a memory named ExportMemory; no ExportStart (a command, not a
//     reactor); the required FuncExports, and every reserved function
//     export that is present, with its signature;
//   - every other function export is a method: MethodType, and a name that
//     names passes (kind "method name"; names may be nil).
func Check(m *ModuleInfo, names NameCheck) error {
	for _, imp := range m.Imports {
		mod, name := imp.Module, imp.Name
		if imp.Kind == KindMemory {
			return checkErrorf(nil, "a class must define its memory, not import it")
		}
		if imp.Kind != KindFunc {
			return checkErrorf(nil, "import %s.%s is a %s; a class may import only functions", mod, name, imp.Kind)
		}
		switch mod {
		case ImportModule:
			if slices.Contains(ReservedImports(), name) {
				return checkErrorf(nil, "import %s.%s is reserved for a later ABI version", mod, name)
			}
			def, ok := LookupImport(mod, name)
			if !ok {
				return checkErrorf(nil, "unknown import %s.%s", mod, name)
			}
			if !imp.Func.Equal(def) {
				return checkErrorf(nil, "import %s.%s has signature %s, want %s", mod, name, imp.Func, def)
			}
		case WASIModule:
			def, ok := LookupImport(mod, name)
			if !ok {
				return checkErrorf(nil, "unknown import %s.%s", mod, name)
			}
			if !imp.Func.Equal(def) {
				return checkErrorf(nil, "import %s.%s has the wrong signature", mod, name)
			}
		default:
			return checkErrorf(nil, "unknown import %s.%s: a class may import only from %q and %q", mod, name, ImportModule, WASIModule)
		}
	}

	hasMemory := false
	funcs := map[string]FuncType{}
	for _, x := range m.Exports {
		switch x.Kind {
		case KindMemory:
			hasMemory = hasMemory || x.Name == ExportMemory
		case KindFunc:
			funcs[x.Name] = x.Func
		}
	}
	if !hasMemory {
		return checkErrorf(nil, "missing export %q", ExportMemory)
	}
	if _, ok := funcs[ExportStart]; ok {
		return checkErrorf(nil, "module exports %s: it is a command; build it as a reactor (see docs/ABI.md)", ExportStart)
	}
	for _, r := range FuncExports() {
		d, ok := funcs[r.Name]
		if !ok {
			if r.Required {
				return checkErrorf(nil, "missing export %q (see docs/ABI.md)", r.Name)
			}
			continue
		}
		if !d.Equal(r.Type) {
			return checkErrorf(nil, "export %q has signature %s, want %s", r.Name, d, r.Type)
		}
	}
	method := MethodType()
	for _, x := range m.Exports {
		if x.Kind != KindFunc || IsReservedExport(x.Name) {
			continue
		}
		if !x.Func.Equal(method) {
			return checkErrorf(nil, "export %q has signature %s; a method must be %s", x.Name, x.Func, method)
		}
		// A method name is shown in listings, logs and metrics and is a
		// segment of the HTTP call path: the host's name grammar.
		if names != nil {
			if err := names("method name", x.Name); err != nil {
				return checkErrorf(err, "%v", err)
			}
		}
	}
	return nil
}

// CheckManifest checks a decoded manifest (DecodeManifest checked it alone)
// against the module: every method it lists is a method the module exports,
// a constructor it describes is exported (ExportInit), and its class name
// passes names (kind "class name"; names may be nil). It looks only at the
// names and kinds of m's exports.
func CheckManifest(man *Manifest, m *ModuleInfo, names NameCheck) error {
	funcs := map[string]bool{}
	for _, x := range m.Exports {
		if x.Kind == KindFunc {
			funcs[x.Name] = true
		}
	}
	for _, spec := range man.Methods {
		if !funcs[spec.Name] || IsReservedExport(spec.Name) {
			return checkErrorf(nil, "manifest names method %q, which the module does not export", spec.Name)
		}
	}
	if man.Init != nil && !funcs[ExportInit] {
		return checkErrorf(nil, "manifest describes a constructor, but the module does not export %s", ExportInit)
	}
	if man.Name != "" && names != nil {
		// A class name is shown in listings and logs.
		if err := names("class name", man.Name); err != nil {
			return checkErrorf(err, "manifest: %v", err)
		}
	}
	return nil
}
