package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/internal/instrument"
	"github.com/wactor/wactor/internal/memtrack"
	"github.com/wactor/wactor/snapshots"
)

// ClassInfo describes a loaded class.
type ClassInfo struct {
	// ID is the class's content address: "sha256:" and the hex SHA-256 of the
	// module bytes as uploaded. The same bytes give the same ID on every host.
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Doc  string `json:"doc,omitempty"`
	// Size is the module's size in bytes, as uploaded.
	Size int `json:"size"`
	// HasManifest reports whether arity checks and return counts come from a manifest.
	HasManifest bool `json:"has_manifest"`
	// Init describes the constructor, if the class has one.
	Init *abi.MethodSpec `json:"init,omitempty"`
	// Methods lists the methods in name order.
	Methods  []abi.MethodSpec `json:"methods"`
	LoadedAt time.Time        `json:"loaded_at"`
}

type method struct {
	name    string
	checked bool // arity checked against spec
	spec    abi.MethodSpec
}

type class struct {
	info     ClassInfo
	compiled wazero.CompiledModule
	methods  []method
	byName   map[string]int
	hasInit  bool
	// hasLoadCheckpoint: the class exports wactor_load_checkpoint.
	hasLoadCheckpoint bool
	initSpec          *abi.MethodSpec
	minPages          uint32
	interruptExport   string
	wasm              []byte // as uploaded, for variants compiled on demand

	fuelOnce sync.Once
	fuel     wazero.CompiledModule // the variant with fuel metering, compiled on first use
	fuelErr  error
	globals  map[uint32]string // every original global's export name, for snapshots

	// segments are the data segments taken out of the compiled module
	// (split), which a cold start writes itself and a start from a snapshot
	// skips (instrument.SplitData).
	segments []instrument.Segment
	split    bool
	// template is the class's state after _initialize, taken at load, which
	// spawns start from; tmplFile holds its memory for sandboxes to map
	// copy-on-write.
	template *snapshots.State
	tmplFile *memtrack.Template
}

// templateMinBytes is the smallest template that spawns start from: below
// it (a C guest's 128 KiB), running _initialize is as fast as mapping the
// template (BenchmarkSpawn_Template). Smaller templates still serve as the
// base that passivated states are encoded against.
const templateMinBytes = 1 << 20

// prepare rewrites a module for the host: instrumentation, then the data
// segments taken out where possible.
func prepare(wasm []byte, opts instrument.Options) (*instrument.Result, []instrument.Segment, bool, error) {
	inst, err := instrument.Rewrite(wasm, opts)
	if err != nil {
		return nil, nil, false, err
	}
	bare, segs, err := instrument.SplitData(inst.Wasm)
	if err != nil {
		return inst, nil, false, nil // keep the segments in the module
	}
	inst.Wasm = bare
	return inst, segs, true, nil
}

// ClassID computes the content address of module bytes, as LoadClass does.
func ClassID(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return "sha256:" + hex.EncodeToString(sum[:])
}

var methodParams = []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}
var methodResults = []api.ValueType{api.ValueTypeI64}

func sameSig(d api.FunctionDefinition, params, results []api.ValueType) bool {
	return slices.Equal(d.ParamTypes(), params) && slices.Equal(d.ResultTypes(), results)
}

// compileClass validates and compiles a module. It does not run guest code.
func compileClass(ctx context.Context, e *engine, id string, wasm []byte) (*class, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, moduleErrorf(nil, "not a WebAssembly module (bad magic number)")
	}
	inst, segs, split, err := prepare(wasm, instrument.Options{Interrupt: true, Yield: true, ExportGlobals: true})
	if err != nil {
		return nil, moduleErrorf(err, "%v", err)
	}
	if inst.MutatesTables {
		// Snapshots hold memory and globals; a class that changes its tables
		// could not be checkpointed or restarted exactly (docs/SNAPSHOTS.md).
		return nil, moduleErrorf(nil, "the module changes its tables or element segments (table.set/grow/fill/copy/init, elem.drop), which snapshots cannot capture")
	}
	compiled, err := e.rt.CompileModule(ctx, inst.Wasm)
	if err != nil {
		return nil, moduleErrorf(err, "%v", err)
	}
	c := &class{compiled: compiled, byName: map[string]int{}, interruptExport: inst.InterruptExport, globals: inst.GlobalExports, wasm: wasm, segments: segs, split: split}
	fail := func(format string, args ...any) (*class, error) {
		_ = compiled.Close(ctx)
		return nil, moduleErrorf(nil, format, args...)
	}

	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		switch mod {
		case abi.ImportModule:
			if slices.Contains(abi.ReservedImports(), name) {
				return fail("import %s.%s is reserved for a later ABI version", mod, name)
			}
			def, ok := e.hostDefs[name]
			if !ok {
				return fail("unknown import %s.%s", mod, name)
			}
			if !sameSig(imp, def.ParamTypes(), def.ResultTypes()) {
				return fail("import %s.%s has signature %v -> %v, want %v -> %v", mod, name,
					imp.ParamTypes(), imp.ResultTypes(), def.ParamTypes(), def.ResultTypes())
			}
		case abi.WASIModule:
			def, ok := e.wasiDefs[name]
			if !ok {
				return fail("unknown import %s.%s", mod, name)
			}
			if !sameSig(imp, def.ParamTypes(), def.ResultTypes()) {
				return fail("import %s.%s has the wrong signature", mod, name)
			}
		default:
			return fail("unknown import %s.%s: a class may import only from %q and %q", mod, name, abi.ImportModule, abi.WASIModule)
		}
	}
	if len(compiled.ImportedMemories()) > 0 {
		return fail("a class must define its memory, not import it")
	}
	mem, ok := compiled.ExportedMemories()[abi.ExportMemory]
	if !ok {
		return fail("missing export %q", abi.ExportMemory)
	}
	c.minPages = mem.Min()

	exports := compiled.ExportedFunctions()
	if _, ok := exports[abi.ExportStart]; ok {
		return fail("module exports %s: it is a command; build it as a reactor (see docs/ABI.md)", abi.ExportStart)
	}
	required := []struct {
		name            string
		params, results []api.ValueType
	}{
		{abi.ExportVersion, nil, []api.ValueType{api.ValueTypeI32}},
		{abi.ExportAlloc, []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
	}
	for _, r := range required {
		d, ok := exports[r.name]
		if !ok {
			return fail("missing export %q (see docs/ABI.md)", r.name)
		}
		if !sameSig(d, r.params, r.results) {
			return fail("export %q has signature %v -> %v, want %v -> %v", r.name, d.ParamTypes(), d.ResultTypes(), r.params, r.results)
		}
	}
	optional := map[string][2][]api.ValueType{
		abi.ExportInit:              {methodParams, methodResults},
		abi.ExportManifest:          {nil, {api.ValueTypeI64}},
		abi.ExportInitialize:        {nil, nil},
		abi.ExportShouldCheckpoint:  {{api.ValueTypeI64, api.ValueTypeI64}, {api.ValueTypeI32}},
		abi.ExportReseed:            {nil, nil},
		abi.ExportLoadCheckpoint:    {methodParams, methodResults},
		abi.ExportCheckpointExpired: {methodParams, methodResults},
	}
	for name, sig := range optional {
		if d, ok := exports[name]; ok && !sameSig(d, sig[0], sig[1]) {
			return fail("export %q has signature %v -> %v, want %v -> %v", name, d.ParamTypes(), d.ResultTypes(), sig[0], sig[1])
		}
	}
	_, c.hasInit = exports[abi.ExportInit]
	_, c.hasLoadCheckpoint = exports[abi.ExportLoadCheckpoint]

	names := make([]string, 0, len(exports))
	for name, d := range exports {
		if abi.IsReservedExport(name) {
			continue
		}
		if !sameSig(d, methodParams, methodResults) {
			return fail("export %q has signature %v -> %v; a method must be (i32, i32) -> i64", name, d.ParamTypes(), d.ResultTypes())
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		c.methods = append(c.methods, method{name: name, spec: abi.MethodSpec{Name: name, Params: nil, Returns: 1}})
		c.byName[name] = i
	}

	c.info = ClassInfo{ID: id, Size: len(wasm), LoadedAt: time.Now()}
	for _, cs := range compiled.CustomSections() {
		if cs.Name() == abi.ManifestSection {
			if err := c.applyManifest(cs.Data()); err != nil {
				_ = compiled.Close(ctx)
				return nil, err
			}
			break
		}
	}
	return c, nil
}

// applyManifest checks a manifest against the exports and records it.
func (c *class) applyManifest(b []byte) error {
	m, err := abi.DecodeManifest(b)
	if err != nil {
		return moduleErrorf(err, "%v", err)
	}
	for _, spec := range m.Methods {
		i, ok := c.byName[spec.Name]
		if !ok {
			return moduleErrorf(nil, "manifest names method %q, which the module does not export", spec.Name)
		}
		if spec.Returns == 0 {
			spec.Returns = 1
		}
		c.methods[i].spec = spec
		c.methods[i].checked = true
	}
	if m.Init != nil {
		if !c.hasInit {
			return moduleErrorf(nil, "manifest describes a constructor, but the module does not export %s", abi.ExportInit)
		}
		spec := *m.Init
		c.initSpec = &spec
	}
	c.info.Name, c.info.Doc = m.Name, m.Doc
	c.info.HasManifest = true
	return nil
}

// probe instantiates the class once to check its version and read a manifest
// it serves through the wactor_manifest export.
// With template, it keeps the state after _initialize as the class's
// template, which spawns start from instead of running _initialize again.
func (c *class) probe(ctx context.Context, e *engine, limits Options, template bool) error {
	logs := newLogRing(16)
	sb, err := newSandbox(ctx, e, c, nil, "probe", logs, limits.MemoryPages, limits.CallTimeout, nil, nil, recOff)
	if err != nil {
		var te *TrapError
		if errors.As(err, &te) {
			return moduleErrorf(err, "_initialize failed: %v", err)
		}
		return err
	}
	defer sb.close()
	if template && !sb.usedTemplate {
		if c.template, err = sb.capture("template:"+c.info.ID, 0); err != nil {
			return err
		}
		if f, err := memtrack.NewTemplate(c.template.Memory.Bytes()); err == nil {
			c.tmplFile = f
		}
	}
	var version uint64
	_, err = sb.run(ctx, abi.ExportVersion, limits.CallTimeout, func() error {
		res, err := sb.mod.ExportedFunction(abi.ExportVersion).Call(sb.ctx)
		if err == nil {
			version = res[0]
		}
		return err
	})
	if err != nil {
		return moduleErrorf(err, "%s failed: %v", abi.ExportVersion, err)
	}
	if uint32(version) != abi.Version {
		return moduleErrorf(nil, "ABI version %d, this host supports %d", int32(version), abi.Version)
	}
	fn := sb.mod.ExportedFunction(abi.ExportManifest)
	if fn == nil || c.info.HasManifest {
		return nil
	}
	var raw []byte
	_, err = sb.run(ctx, abi.ExportManifest, limits.CallTimeout, func() error {
		res, err := fn.Call(sb.ctx)
		if err != nil {
			return err
		}
		ptr, n := abi.UnpackPtrLen(res[0])
		b, ok := sb.mem.Read(ptr, n)
		if !ok {
			return fmt.Errorf("manifest [%d, +%d) out of bounds", ptr, n)
		}
		raw = append([]byte(nil), b...)
		return nil
	})
	if err != nil {
		return moduleErrorf(err, "%s failed: %v", abi.ExportManifest, err)
	}
	return c.applyManifest(raw)
}

// finish fills the public description once loading succeeded.
func (c *class) finish() {
	c.info.Methods = make([]abi.MethodSpec, len(c.methods))
	for i, m := range c.methods {
		c.info.Methods[i] = m.spec
	}
	c.info.Init = c.initSpec
}

// fuelVariant returns the class compiled with deterministic fuel metering
// (docs/RATIONALE.md), compiling it on first use: only actors that ask for a
// fuel limit pay for the metering. Its original globals keep their indices,
// so snapshots move freely between the two variants.
func (c *class) fuelVariant(ctx context.Context, e *engine) (wazero.CompiledModule, error) {
	c.fuelOnce.Do(func() {
		inst, _, split, err := prepare(c.wasm, instrument.Options{Interrupt: true, Yield: true, ExportGlobals: true, Fuel: true})
		if err == nil && split != c.split {
			err = errors.New("fuel variant's data segments differ")
		}
		if err != nil {
			c.fuelErr = moduleErrorf(err, "%v", err)
			return
		}
		c.fuel, c.fuelErr = e.rt.CompileModule(ctx, inst.Wasm)
	})
	return c.fuel, c.fuelErr
}

func (c *class) lookup(name string) (int, *method, error) {
	i, ok := c.byName[name]
	if !ok {
		return 0, nil, fmt.Errorf("%w: %q in class %s", ErrMethodNotFound, name, c.info.ID)
	}
	return i, &c.methods[i], nil
}
