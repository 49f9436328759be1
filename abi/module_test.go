package abi

import (
	"errors"
	"strings"
	"testing"
)

// validModule is a module that keeps every rule of Check: it imports a
// wactor function and a WASI function, and exports the memory, the required
// and some optional functions, and a method.
func validModule() *ModuleInfo {
	return &ModuleInfo{
		Imports: []Import{
			{Module: ImportModule, Name: ImportLog, Kind: KindFunc, Func: sig(vals(I32, I32, I32))},
			{Module: WASIModule, Name: "fd_write", Kind: KindFunc, Func: sig(vals(I32, I32, I32, I32), I32)},
		},
		Exports: []Export{
			{Name: ExportMemory, Kind: KindMemory},
			{Name: ExportVersion, Kind: KindFunc, Func: sig(nil, I32)},
			{Name: ExportAlloc, Kind: KindFunc, Func: sig(vals(I32), I32)},
			{Name: ExportInit, Kind: KindFunc, Func: MethodType()},
			{Name: ExportInitialize, Kind: KindFunc, Func: sig(nil)},
			{Name: "__stack_pointer", Kind: KindGlobal},
			{Name: "_internal", Kind: KindFunc, Func: sig(vals(F64))}, // reserved: never a method
			{Name: "incr", Kind: KindFunc, Func: MethodType()},
		},
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *ModuleInfo)
		reason string // substring of the CheckError's reason; "" means valid
	}{
		{"valid", func(*ModuleInfo) {}, ""},
		{"memory import", func(m *ModuleInfo) {
			m.Imports = append(m.Imports, Import{Module: "env", Name: "memory", Kind: KindMemory})
		}, "a class must define its memory, not import it"},
		{"global import", func(m *ModuleInfo) {
			m.Imports = append(m.Imports, Import{Module: ImportModule, Name: "g", Kind: KindGlobal})
		}, "import wactor.g is a global; a class may import only functions"},
		{"reserved import", func(m *ModuleInfo) {
			m.Imports = append(m.Imports, Import{Module: ImportModule, Name: "checkpoint", Kind: KindFunc})
		}, "import wactor.checkpoint is reserved for a later ABI version"},
		{"unknown wactor import", func(m *ModuleInfo) {
			m.Imports = append(m.Imports, Import{Module: ImportModule, Name: "nope", Kind: KindFunc})
		}, "unknown import wactor.nope"},
		{"wrong wactor signature", func(m *ModuleInfo) { m.Imports[0].Func = sig(vals(I32)) },
			"import wactor.log has signature (i32) -> (), want (i32, i32, i32) -> ()"},
		{"unknown WASI import", func(m *ModuleInfo) {
			m.Imports = append(m.Imports, Import{Module: WASIModule, Name: "nope", Kind: KindFunc})
		}, "unknown import wasi_snapshot_preview1.nope"},
		{"wrong WASI signature", func(m *ModuleInfo) { m.Imports[1].Func = sig(nil) },
			"import wasi_snapshot_preview1.fd_write has the wrong signature"},
		{"other module", func(m *ModuleInfo) {
			m.Imports = append(m.Imports, Import{Module: "env", Name: "foo", Kind: KindFunc})
		}, `unknown import env.foo: a class may import only from "wactor" and "wasi_snapshot_preview1"`},
		{"no memory", func(m *ModuleInfo) { m.Exports = m.Exports[1:] }, `missing export "memory"`},
		{"memory under another name", func(m *ModuleInfo) { m.Exports[0].Name = "mem" }, `missing export "memory"`},
		{"command", func(m *ModuleInfo) {
			m.Exports = append(m.Exports, Export{Name: ExportStart, Kind: KindFunc, Func: sig(nil)})
		}, "module exports _start: it is a command"},
		{"no version", func(m *ModuleInfo) { m.Exports = append(m.Exports[:1], m.Exports[2:]...) },
			`missing export "wactor_abi_version" (see docs/ABI.md)`},
		{"no alloc", func(m *ModuleInfo) { m.Exports = append(m.Exports[:2], m.Exports[3:]...) },
			`missing export "wactor_alloc" (see docs/ABI.md)`},
		{"wrong alloc signature", func(m *ModuleInfo) { m.Exports[2].Func = sig(vals(I64), I64) },
			`export "wactor_alloc" has signature (i64) -> (i64), want (i32) -> (i32)`},
		{"wrong optional signature", func(m *ModuleInfo) { m.Exports[3].Func = sig(nil) },
			`export "wactor_init" has signature () -> (), want (i32, i32) -> (i64)`},
		{"wrong method signature", func(m *ModuleInfo) { m.Exports[7].Func = sig(vals(I32), I64) },
			`export "incr" has signature (i32) -> (i64); a method must be (i32, i32) -> (i64)`},
		{"method name refused", func(m *ModuleInfo) { m.Exports[7].Name = "bad/name" }, "no slashes"},
	}
	names := func(kind, name string) error {
		if strings.Contains(name, "/") {
			return errors.New(kind + " " + name + ": no slashes")
		}
		return nil
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validModule()
			tt.change(m)
			err := Check(m, names)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			var ce *CheckError
			if !errors.As(err, &ce) || !errors.Is(err, ErrModule) {
				t.Fatalf("err = %v, want a *CheckError", err)
			}
			if !strings.Contains(ce.Reason, tt.reason) {
				t.Fatalf("reason %q, want %q", ce.Reason, tt.reason)
			}
		})
	}
	if err := Check(&ModuleInfo{Exports: []Export{{Name: "memory", Kind: KindMemory}}}, nil); err == nil {
		t.Fatal("Check accepted a module with only a memory")
	}
}

func TestCheckManifest(t *testing.T) {
	names := func(kind, name string) error {
		if name == "bad" {
			return errors.New(kind + " refused")
		}
		return nil
	}
	tests := []struct {
		name   string
		man    Manifest
		reason string
	}{
		{"valid", Manifest{ABI: 1, Name: "c", Init: &MethodSpec{}, Methods: []MethodSpec{{Name: "incr"}}}, ""},
		{"unexported method", Manifest{ABI: 1, Methods: []MethodSpec{{Name: "missing"}}}, `manifest names method "missing", which the module does not export`},
		{"reserved export as method", Manifest{ABI: 1, Methods: []MethodSpec{{Name: "_internal"}}}, `manifest names method "_internal"`},
		{"constructor not exported", Manifest{ABI: 1, Init: &MethodSpec{}}, "manifest describes a constructor, but the module does not export wactor_init"},
		{"class name refused", Manifest{ABI: 1, Name: "bad"}, "manifest: class name refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validModule()
			if tt.name == "constructor not exported" {
				m.Exports = append(m.Exports[:3], m.Exports[4:]...)
			}
			err := CheckManifest(&tt.man, m, names)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("CheckManifest: %v", err)
				}
				return
			}
			var ce *CheckError
			if !errors.As(err, &ce) || !strings.Contains(ce.Reason, tt.reason) {
				t.Fatalf("err = %v, want reason %q", err, tt.reason)
			}
		})
	}
}

// TestTables: the tables hold what docs/ABI.md says, and callers get copies.
func TestTables(t *testing.T) {
	docs := map[string]string{ // docs/ABI.md sections 1 and 6
		"wactor.log":                "(i32, i32, i32) -> ()",
		"wactor.self_id":            "(i32, i32) -> (i32)",
		"wactor.exit":               "() -> ()",
		"wactor.call":               "(i32, i32, i32, i32, i32, i32) -> (i32)",
		"wactor.send":               "(i32, i32, i32, i32, i32, i32) -> (i64)",
		"wactor.await":              "(i64) -> (i32)",
		"wactor.spawn":              "(i32, i32, i32, i32, i32, i32) -> (i32)",
		"wactor.get_actor":          "(i32, i32, i32, i32) -> (i32)",
		"wactor.kill":               "(i32, i32) -> (i32)",
		"wactor.take":               "(i32, i32) -> (i32)",
		"wactor_abi_version":        "() -> (i32)",
		"wactor_alloc":              "(i32) -> (i32)",
		"_initialize":               "() -> ()",
		"wactor_init":               "(i32, i32) -> (i64)",
		"wactor_manifest":           "() -> (i64)",
		"wactor_should_checkpoint":  "(i64, i64) -> (i32)",
		"wactor_reseed":             "() -> ()",
		"wactor_load_checkpoint":    "(i32, i32) -> (i64)",
		"wactor_checkpoint_expired": "(i32, i32) -> (i64)",
	}
	seen := 0
	for _, f := range append(HostImports(), FuncExports()...) {
		name := f.Name
		if f.Module != "" {
			name = f.Module + "." + name
		}
		if want, ok := docs[name]; !ok || f.Type.String() != want {
			t.Errorf("%s: %s, docs/ABI.md says %q", name, f.Type, want)
		}
		seen++
	}
	if seen != len(docs) {
		t.Errorf("the tables list %d functions, docs/ABI.md %d", seen, len(docs))
	}
	if got := MethodType().String(); got != "(i32, i32) -> (i64)" {
		t.Errorf("MethodType = %s", got)
	}
	if len(HostImports()) != 10 || len(WASIImports()) != 46 {
		t.Errorf("%d wactor imports, %d WASI imports", len(HostImports()), len(WASIImports()))
	}
	var required []string
	for _, f := range FuncExports() {
		if f.Required {
			required = append(required, f.Name)
		}
	}
	if strings.Join(required, ",") != ExportVersion+","+ExportAlloc {
		t.Errorf("required exports %v", required)
	}
	h := HostImports()
	h[0].Type.Params[0] = F64
	if ft, _ := LookupImport(ImportModule, ImportLog); ft.Params[0] != I32 {
		t.Error("HostImports shares its table with the caller")
	}
	for _, name := range ReservedImports() {
		if _, ok := LookupImport(ImportModule, name); ok {
			t.Errorf("reserved import %s is also provided", name)
		}
	}
}
