package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/instrument"
	"github.com/wactor/wactor/internal/memtrack"
	"github.com/wactor/wactor/snapshots"
)

// Method is one method of a class.
type Method struct {
	// Name is the method's export name.
	Name string
	// Checked: the class's manifest describes it, and calls are checked
	// against Spec's arity.
	Checked bool
	// Spec describes the method (from the manifest if Checked).
	Spec abi.MethodSpec
}

// Class is a module checked against the ABI and compiled by an Engine, with
// what its sandboxes need: its methods, manifest, data segments and
// template. It is safe for concurrent use once loaded (Finish).
type Class struct {
	// Info is the class's public description, filled by Compile, Probe and
	// Finish; read-only once the class is loaded.
	Info api.ClassInfo
	// module is the class compiled by the host's engine (which compiles
	// the variant with fuel metering itself, on first use, where it needs
	// one: wazero).
	module  engine.Module
	exports map[string]bool // exported function names
	methods []Method
	byName  map[string]int
	// maxMethod is the length of the longest method name: a guest's call
	// naming a longer one is refused before its name is copied.
	maxMethod int
	hasInit   bool
	// hasLoadCheckpoint: the class exports wactor_load_checkpoint.
	hasLoadCheckpoint bool
	initSpec          *abi.MethodSpec
	minPages          uint32
	globals           map[uint32]string // every original global's export name, for snapshots

	// segments are the data segments taken out of the compiled module
	// (split), which a cold start writes itself and a start from a snapshot
	// skips (instrument.SplitData).
	segments []instrument.Segment
	split    bool
	// hasStart: the module had a start section, which prepare took out and
	// exported as instrument.StartExport; a cold start calls it first.
	hasStart bool

	// tmplMu guards the template against its release (UnloadClass) while a
	// sandbox starts from it.
	tmplMu sync.RWMutex
	// template is the class's state after _initialize, taken at load, which
	// spawns start from; tmplFile holds its memory for sandboxes to map
	// copy-on-write. tmplBytes is what both hold (Probe's reserve).
	template  *snapshots.State
	tmplFile  *memtrack.Template
	tmplBytes int64
}

// ReleaseTemplate frees the class's template, if it has one, and returns
// the bytes it held (as Probe reserved them). It waits for sandboxes
// starting from it.
func (c *Class) ReleaseTemplate() int64 {
	c.tmplMu.Lock()
	defer c.tmplMu.Unlock()
	if c.tmplFile != nil {
		_ = c.tmplFile.Close()
	}
	n := c.tmplBytes
	c.template, c.tmplFile, c.tmplBytes = nil, nil, 0
	return n
}

// templateMinBytes is the smallest template that spawns start from: below
// it (a C guest's 128 KiB), running _initialize is as fast as mapping the
// template (BenchmarkSpawn_Template). Smaller templates still serve as the
// base that passivated states are encoded against.
const templateMinBytes = 1 << 20

// prepared is a module as prepare rewrote it.
type prepared struct {
	inst     *instrument.Result
	segs     []instrument.Segment
	split    bool // the data segments were taken out (segs)
	hasStart bool // the start section was taken out (instrument.StartExport)
}

// prepare rewrites a module for the host: its section structure checked
// against limits first, in one pass that allocates only its output (so
// that what follows costs a small multiple of the module's size), custom
// sections and the start section taken out (instrument.Sanitize: the
// instance then runs no guest code, and the host calls the start function
// with a deadline), every global exported (for snapshots), then the data
// segments taken out where possible. The engine adds its own
// instrumentation (interrupts, yields, fuel) where it needs it.
func prepare(wasm []byte) (*prepared, error) {
	san, err := instrument.Sanitize(wasm, instrument.Limits{})
	if err != nil {
		return nil, err
	}
	// The rewrite with interrupt checks is only a check: it rejects modules
	// the instrumentation cannot handle on any engine (so a class loads on
	// both or neither) and finds code that changes tables.
	check, err := instrument.Rewrite(san.Wasm, instrument.Options{Interrupt: true, ExportGlobals: true, MaxCallDepth: 1 << 16})
	if err != nil {
		return nil, err
	}
	inst, err := instrument.Rewrite(san.Wasm, instrument.Options{ExportGlobals: true})
	if err != nil {
		return nil, err
	}
	inst.MutatesTables = check.MutatesTables
	p := &prepared{inst: inst, hasStart: san.HasStart}
	bare, segs, err := instrument.SplitData(inst.Wasm)
	if err != nil {
		return p, nil // keep the segments in the module
	}
	inst.Wasm, p.segs, p.split = bare, segs, true
	return p, nil
}

// abiModule describes a module's imports and exports as package abi does
// (the engine's types are abi's).
func abiModule(imports []engine.Import, exports []engine.Export) abi.ModuleInfo {
	m := abi.ModuleInfo{Imports: make([]abi.Import, len(imports)), Exports: make([]abi.Export, len(exports))}
	for i, imp := range imports {
		m.Imports[i] = abi.Import{Module: imp.Module, Name: imp.Name, Kind: imp.Kind}
		if imp.Kind == engine.KindFunc {
			m.Imports[i].Func = imp.Func
		}
	}
	for i, x := range exports {
		m.Exports[i] = abi.Export{Name: x.Name, Kind: x.Kind}
		if x.Kind == engine.KindFunc {
			m.Exports[i].Func = x.Func
		}
	}
	return m
}

// checkError is a module that breaks the contract (abi.Check), as an
// invalid-module error with the contract's reason.
func checkError(err error) error {
	if ce := (*abi.CheckError)(nil); errors.As(err, &ce) {
		return api.ModuleErrorf(nil, "%s", ce.Reason)
	}
	return api.ModuleErrorf(err, "%v", err)
}

// Compile validates module wasm against the ABI and the host's limits,
// rewrites it for the host and compiles it, as class id. It runs no guest
// code (Probe does). A module that is not a valid class fails with an
// *api.ModuleError.
func Compile(ctx context.Context, e *Engine, id string, wasm []byte) (*Class, error) {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, api.ModuleErrorf(nil, "not a WebAssembly module (bad magic number)")
	}
	prep, err := prepare(wasm)
	if ie := (*instrument.Error)(nil); errors.As(err, &ie) && errors.Is(err, instrument.ErrLimit) {
		return nil, api.ModuleErrorf(err, "%s", ie.Detail)
	}
	if err != nil {
		return nil, api.ModuleErrorf(err, "%v", err)
	}
	inst := prep.inst
	if inst.MutatesTables {
		// Snapshots hold memory and globals; a class that changes its tables
		// could not be checkpointed or restarted exactly (docs/SNAPSHOTS.md).
		return nil, api.ModuleErrorf(nil, "the module changes its tables or element segments (table.set/grow/fill/copy/init, elem.drop), which snapshots cannot capture")
	}
	// The module is held to the contract (abi.Check: imports, reserved
	// exports, method signatures and names) before compiling, so a bad one
	// is reported the same way on every engine.
	info, err := engine.ParseModule(inst.Wasm)
	if err != nil {
		return nil, api.ModuleErrorf(err, "%v", err)
	}
	mi := abiModule(info.Imports, info.Exports)
	if err := abi.Check(&mi, api.CheckName); err != nil {
		return nil, checkError(err)
	}
	compiled, err := e.eng.Compile(ctx, inst.Wasm)
	if err != nil {
		return nil, api.ModuleErrorf(err, "%v", err)
	}
	c := &Class{module: compiled, exports: map[string]bool{}, byName: map[string]int{}, globals: inst.GlobalExports, segments: prep.segs, split: prep.split, hasStart: prep.hasStart}
	fail := func(format string, args ...any) (*Class, error) {
		_ = compiled.Close(ctx)
		return nil, api.ModuleErrorf(nil, format, args...)
	}
	// abi.Check checked the exports; the compiled module has the same.
	mem, ok := engine.FindExport(compiled, abi.ExportMemory)
	if !ok || mem.Kind != engine.KindMemory {
		return fail("missing export %q", abi.ExportMemory)
	}
	c.minPages = uint32(mem.Memory.Min)
	var names []string
	for _, x := range compiled.Exports() {
		if x.Kind != engine.KindFunc {
			continue
		}
		c.exports[x.Name] = true
		if !abi.IsReservedExport(x.Name) {
			names = append(names, x.Name)
		}
	}
	c.hasInit = c.exports[abi.ExportInit]
	c.hasLoadCheckpoint = c.exports[abi.ExportLoadCheckpoint]
	sort.Strings(names)
	for i, name := range names {
		c.methods = append(c.methods, Method{Name: name, Spec: abi.MethodSpec{Name: name, Params: nil, Returns: 1}})
		c.byName[name] = i
		c.maxMethod = max(c.maxMethod, len(name))
	}

	c.Info = api.ClassInfo{ID: id, Size: len(wasm), LoadedAt: time.Now()}
	if data, ok := abi.CustomSection(wasm, abi.ManifestSection); ok {
		if err := c.applyManifest(data); err != nil {
			_ = compiled.Close(ctx)
			return nil, err
		}
	}
	return c, nil
}

// applyManifest checks a manifest against the exports and records it.
func (c *Class) applyManifest(b []byte) error {
	m, err := abi.DecodeManifest(b)
	if err != nil {
		return api.ModuleErrorf(err, "%v", err)
	}
	exports := make([]abi.Export, 0, len(c.exports))
	for name := range c.exports {
		exports = append(exports, abi.Export{Name: name, Kind: abi.KindFunc})
	}
	if err := abi.CheckManifest(m, &abi.ModuleInfo{Exports: exports}, api.CheckName); err != nil {
		return checkError(err)
	}
	for _, spec := range m.Methods {
		i := c.byName[spec.Name]
		if spec.Returns == 0 {
			spec.Returns = 1
		}
		c.methods[i].Spec = spec
		c.methods[i].Checked = true
	}
	if m.Init != nil {
		spec := *m.Init
		c.initSpec = &spec
	}
	c.Info.Name, c.Info.Doc = m.Name, m.Doc
	c.Info.HasManifest = true
	return nil
}

// loadHookName names the guest code that loading runs, for errors: the export
// a api.TrapError's Method names, as the API says it.
func loadHookName(export string) string {
	switch export {
	case instrument.StartExport:
		return "start function"
	case "":
		return "start-up code"
	}
	return export
}

// loadError turns the failure of load-time guest code into the error
// LoadClass returns: the caller's context error (wrapped) if it left, or
// api.ErrClosed if the host closed, else a
// ModuleError (HTTP 422) naming the export, with the load deadline when it
// ran past it.
func loadError(ctx context.Context, export string, loadTimeout time.Duration, err error) error {
	var te *api.TrapError
	if !errors.As(err, &te) {
		return err
	}
	if te.Method != "" {
		export = te.Method
	}
	what := loadHookName(export)
	switch {
	case te.Reason == api.TrapCancelled || ctx.Err() != nil:
		cause := context.Cause(ctx) // the caller's context error, or api.ErrClosed
		if cause == nil {
			cause = context.Canceled
		}
		return fmt.Errorf("loading the class stopped in its %s: %w", what, cause)
	case te.Reason == api.TrapDeadline:
		return api.ModuleErrorf(nil, "%s did not return within the load deadline of %s", what, loadTimeout)
	}
	// Not wrapped: the error is the module's (HTTP 422), not a call's.
	return api.ModuleErrorf(nil, "%s failed: %s", what, te.Message)
}

// Probe instantiates the class once with memPages pages of memory, which
// runs its start function and _initialize, to check its version and read
// a manifest it serves through the wactor_manifest export, each under the
// engine's load deadline (its output is discarded). With template, it
// keeps the state after _initialize as the class's template, which
// sandboxes start from instead of running them again, if reserve (nil:
// always) accepts its size (the host's class budget). A failure is an
// *api.ModuleError, or the context's cause if ctx ended.
func (c *Class) Probe(ctx context.Context, e *Engine, memPages uint32, template bool, reserve func(int64) bool) error {
	loadTimeout := e.loadTimeout
	sb, err := newSandbox(ctx, e, Config{Class: c, ActorID: "probe", MemoryPages: memPages, Timeout: loadTimeout}, true)
	if err != nil {
		return loadError(ctx, abi.ExportInitialize, loadTimeout, err)
	}
	defer sb.Close()
	if template && !sb.usedTemplate {
		if err := c.takeTemplate(sb, reserve); err != nil {
			return err
		}
	}
	var version uint64
	_, err = sb.run(ctx, abi.ExportVersion, loadTimeout, func() error {
		stack := []uint64{0}
		err := sb.inst.Call(sb.ctx, abi.ExportVersion, stack)
		version = stack[0]
		return err
	})
	if err != nil {
		return loadError(ctx, abi.ExportVersion, loadTimeout, err)
	}
	if uint32(version) != abi.Version {
		return api.ModuleErrorf(nil, "ABI version %d, this host supports %d", int32(version), abi.Version)
	}
	if !c.exports[abi.ExportManifest] || c.Info.HasManifest {
		return nil
	}
	var raw []byte
	_, err = sb.run(ctx, abi.ExportManifest, loadTimeout, func() error {
		stack := []uint64{0}
		if err := sb.inst.Call(sb.ctx, abi.ExportManifest, stack); err != nil {
			return err
		}
		ptr, n := abi.UnpackPtrLen(stack[0])
		b, ok := sb.mem.Read(ptr, n)
		if !ok {
			return fmt.Errorf("manifest [%d, +%d) out of bounds", ptr, n)
		}
		raw = append([]byte(nil), b...)
		return nil
	})
	if err != nil {
		return loadError(ctx, abi.ExportManifest, loadTimeout, err)
	}
	return c.applyManifest(raw)
}

// takeTemplate keeps the probe's state as the class's template if reserve
// accepts what it holds. Zero pages are shared (snapshots.SparseImageOf)
// and left out of the memory file (memtrack.NewTemplate), so a start-up
// that grows memory without writing it costs nothing: the budget counts
// what was written.
func (c *Class) takeTemplate(sb *Sandbox, reserve func(int64) bool) error {
	if !sb.enter() {
		return fmt.Errorf("%w: the probe's sandbox is gone", api.ErrActorDied)
	}
	defer sb.leave()
	mem, _ := sb.mem.Read(0, uint32(sb.mem.Size()))
	im, held := snapshots.SparseImageOf(mem)
	cost := int64(held)
	var file *memtrack.Template
	// Sandboxes whose memory is the host's map it copy-on-write; with
	// the engine's own memory (wasmtime) they copy the template.
	if sb.lm != nil {
		if f, err := memtrack.NewTemplate(mem); err == nil {
			file = f
			cost += int64(f.Bytes())
		}
	}
	if reserve != nil && !reserve(cost) {
		if file != nil {
			_ = file.Close()
		}
		return nil // no template: spawns run the start-up code
	}
	st := &snapshots.State{
		ClassID: c.Info.ID, ActorID: "template:" + c.Info.ID, Memory: im,
		Globals: make(map[uint32]uint64, len(c.globals)), Taken: time.Now(),
		Nanotime: sb.guestNanotime(),
	}
	for idx, name := range c.globals {
		if g, ok := sb.inst.Global(name); ok && g.Type().Mutable {
			st.Globals[idx] = g.Get()
		}
	}
	st.ID = snapshots.NewID(st.ActorID, st.Taken)
	c.tmplMu.Lock()
	c.template, c.tmplFile, c.tmplBytes = st, file, cost
	c.tmplMu.Unlock()
	return nil
}

// Finish fills the public description (Info) once loading succeeded.
func (c *Class) Finish() {
	c.Info.Methods = make([]abi.MethodSpec, len(c.methods))
	for i, m := range c.methods {
		c.Info.Methods[i] = m.Spec
	}
	c.Info.Init = c.initSpec
}

// Lookup returns method name and its number (Sandbox.Method), or
// api.ErrMethodNotFound.
func (c *Class) Lookup(name string) (int, *Method, error) {
	i, ok := c.byName[name]
	if !ok {
		return 0, nil, fmt.Errorf("%w: %q in class %s", api.ErrMethodNotFound, name, c.Info.ID)
	}
	return i, &c.methods[i], nil
}

// Close frees the class's compiled code. No sandbox of it may be in use.
func (c *Class) Close(ctx context.Context) error { return c.module.Close(ctx) }

// MinPages returns the module's minimum memory in 64 KiB pages.
func (c *Class) MinPages() uint32 { return c.minPages }

// HasInit reports whether the class has a constructor (wactor_init).
func (c *Class) HasInit() bool { return c.hasInit }

// InitSpec returns the constructor's description from the manifest, nil
// without one.
func (c *Class) InitSpec() *abi.MethodSpec { return c.initSpec }

// HasLoadCheckpoint reports whether the class exports
// wactor_load_checkpoint.
func (c *Class) HasLoadCheckpoint() bool { return c.hasLoadCheckpoint }

// HasShouldCheckpoint reports whether the class exports
// wactor_should_checkpoint.
func (c *Class) HasShouldCheckpoint() bool { return c.exports[abi.ExportShouldCheckpoint] }

// MaxMethodName returns the length of the class's longest method name: a
// call naming a longer one can be refused before its name is copied.
func (c *Class) MaxMethodName() int { return c.maxMethod }

// Template returns the class's template (its state after _initialize,
// which sandboxes start from), nil if it has none.
func (c *Class) Template() *snapshots.State { return c.template }

// InitialBytes is the linear memory a new sandbox of c starts with, from
// state from if not nil, else from the template or the module's minimum.
func (c *Class) InitialBytes(from *snapshots.State) int64 {
	n := int64(c.minPages) * 65536
	switch {
	case from != nil:
		n = max(n, int64(from.Memory.Len()))
	case c.template != nil:
		n = max(n, int64(c.template.Memory.Len()))
	}
	return n
}
