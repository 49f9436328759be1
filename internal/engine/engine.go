package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/wactor/wactor/abi"
)

// PageSize is the size of a WebAssembly page in bytes.
const PageSize = 65536

// MaxPages is the number of pages of the largest 32-bit linear memory (4 GiB).
const MaxPages = 65536

// The types of the WebAssembly binary format the engines share are the
// contract's (package abi): one definition of each.
type (
	// ValueType is a value type (abi.ValType).
	ValueType = abi.ValType
	// ExternKind is the kind of an import or export (abi.ExternKind).
	ExternKind = abi.ExternKind
	// FuncType is a function signature (abi.FuncType).
	FuncType = abi.FuncType
)

// Value types.
const (
	I32       = abi.I32
	I64       = abi.I64
	F32       = abi.F32
	F64       = abi.F64
	V128      = abi.V128
	FuncRef   = abi.FuncRef
	ExternRef = abi.ExternRef
)

// Extern kinds.
const (
	KindFunc   = abi.KindFunc
	KindTable  = abi.KindTable
	KindMemory = abi.KindMemory
	KindGlobal = abi.KindGlobal
	KindTag    = abi.KindTag
)

// GlobalType is the type of a global.
type GlobalType struct {
	Type    ValueType
	Mutable bool
}

// Limits are the size limits of a memory (in pages) or a table (in elements).
type Limits struct {
	Min    uint64
	Max    uint64 // meaningful only with HasMax
	HasMax bool
}

// MemoryType is the type of a linear memory.
type MemoryType struct {
	Limits
	Shared   bool
	Memory64 bool
}

// TableType is the type of a table.
type TableType struct {
	Limits
	Elem ValueType
}

// Import is one import of a module. Only the type field of its Kind is set
// (Func also for a tag: its parameters).
type Import struct {
	Module, Name string
	Kind         ExternKind
	Func         FuncType
	Global       GlobalType
	Memory       MemoryType
	Table        TableType
}

// Export is one export of a module. Only the type field of its Kind is set.
type Export struct {
	Name string
	Kind ExternKind
	// Index is the exported item's index in the module's index space of its
	// kind (imports first).
	Index  uint32
	Func   FuncType
	Global GlobalType
	Memory MemoryType
	Table  TableType
}

// Engine compiles modules. It is safe for concurrent use.
type Engine interface {
	// Name is the name the engine is registered under ("wazero", ...).
	Name() string
	// Compile validates and compiles a module. It runs no guest code.
	// Errors wrap ErrCompile.
	Compile(ctx context.Context, wasm []byte) (Module, error)
	// Close releases the engine. Modules and instances must be closed first.
	Close(ctx context.Context) error
}

// Module is a compiled module. It is safe for concurrent use.
type Module interface {
	// Imports lists the module's imports in order. The slice is shared:
	// do not modify it.
	Imports() []Import
	// Exports lists the module's exports in order. Items an engine adds for
	// its own use (instrumentation) are not listed. The slice is shared: do
	// not modify it.
	Exports() []Export
	// Instantiate creates an instance. It runs no exported function (in
	// particular not _initialize), only a start function the module
	// declares in its start section, if any (an ABI reactor has none).
	// Errors wrap ErrLink or ErrInstantiate.
	Instantiate(ctx context.Context, cfg InstanceConfig) (Instance, error)
	// Close releases the compiled code. Instances must be closed first.
	Close(ctx context.Context) error
}

// Instance is an instantiated module. It runs one call at a time; only
// Interrupt may be called concurrently with a call.
type Instance interface {
	// Call calls an exported function. stack holds the parameters on entry
	// and the results on return (as wazero's CallWithStack): its length must
	// be at least the larger of the number of parameters and results. Each
	// value is the raw bits of the WebAssembly value (i32 zero-extended,
	// floats as their IEEE 754 bits). ctx is passed to host functions; it
	// does not stop the call (use Interrupt, e.g. from context.AfterFunc).
	// A trap returns a *TrapError; other errors wrap ErrNoFunc, ErrStack or
	// ErrClosed.
	Call(ctx context.Context, name string, stack []uint64) error
	// Memory returns the module's exported linear memory (the first one),
	// or nil if it exports none.
	Memory() Memory
	// Global returns the exported global of that name.
	Global(name string) (Global, bool)
	// SetFuel sets the fuel left for the following calls. It returns an error
	// wrapping ErrNoFuel if the instance was created without fuel metering.
	SetFuel(fuel uint64) error
	// Fuel returns the fuel left (0 without fuel metering).
	Fuel() uint64
	// FuelUsed returns the fuel the latest call consumed (0 without fuel
	// metering). It is deterministic: the same call on the same state uses
	// the same fuel. Engines count differently, so figures of two engines
	// cannot be compared.
	FuelUsed() uint64
	// Interrupt makes the running call stop with a *TrapError of kind
	// TrapInterrupted at its next function entry or loop iteration; a host
	// function that blocks must watch for it itself. With no call running,
	// the next call stops at once instead: the request stays until a call
	// returns it. Safe from any goroutine, and after Close (then a no-op).
	Interrupt()
	// Yield asks the running call to call InstanceConfig.OnYield, on the
	// goroutine running the call, at its next function entry or loop
	// iteration (wazero: the instrumented interrupt check; wasmtime: an
	// epoch deadline). OnYield may block as long as it likes: the call is
	// paused meanwhile, and continues when it returns, unless Interrupt
	// was called, in which case the call stops as Interrupt says. A request
	// made while no call runs may reach the next call: OnYield must
	// tolerate being called when it has nothing to do. Safe from any
	// goroutine; a no-op without OnYield, with Config.NoInterrupt, or after
	// Close.
	Yield()
	// Close releases the instance. Views returned by its memory become
	// invalid.
	Close(ctx context.Context) error
}

// MemoryLimiter is implemented by the instances of engines that own their
// linear memory (wasmtime), whose growth no InstanceConfig.MemoryAllocator
// can refuse. SetMemoryLimit sets the limit memory.grow is checked against
// from the next growth on, capped at InstanceConfig.MemoryLimitPages; a
// limit below the memory's size only refuses growth (memory never shrinks).
// Call it between calls, like Call.
type MemoryLimiter interface {
	SetMemoryLimit(bytes uint64)
}

// Memory is a linear memory. Every access is bounds-checked: an access
// outside the memory returns false and touches nothing.
type Memory interface {
	// Size returns the size in bytes.
	Size() uint64
	// Read returns a view of n bytes at offset, valid until the guest runs
	// again, the memory grows or the instance is closed; copy what must
	// outlive that. Writing to the view writes to the memory.
	Read(offset, n uint32) ([]byte, bool)
	// Write copies b to offset.
	Write(offset uint32, b []byte) bool
	// Grow grows the memory by delta pages and returns its previous size in
	// pages. It fails past the module's maximum or the instance's limit.
	Grow(deltaPages uint32) (previousPages uint32, ok bool)
}

// Global is an exported global. Values are raw bits, as on the call stack.
type Global interface {
	// Type returns the global's type.
	Type() GlobalType
	// Get returns the value.
	Get() uint64
	// Set sets the value; it fails with ErrImmutable for a constant global.
	Set(v uint64) error
}

// Caller is what a host function sees of the instance that called it. It is
// valid only until the host function returns.
type Caller interface {
	// Memory returns the caller's exported memory, or nil.
	Memory() Memory
	// Data returns InstanceConfig.Data of the calling instance.
	Data() any
}

// HostFunc is a function the host provides to guests.
type HostFunc struct {
	// Name is the import name.
	Name string
	// Params and Results are the signature; a guest importing the function
	// with another signature fails to instantiate.
	Params, Results []ValueType
	// Func runs the function. stack holds the parameters on entry and
	// receives the results (its length is the larger of the two counts).
	// To trap, Func panics, preferably with an error: the call then fails
	// with a *TrapError of kind TrapHost (TrapExit for an *ExitError) whose
	// Cause is that error.
	Func func(ctx context.Context, c Caller, stack []uint64)
}

// Type returns the function's signature.
func (h HostFunc) Type() FuncType { return FuncType{Params: h.Params, Results: h.Results} }

// InstanceConfig configures one instance.
type InstanceConfig struct {
	// HostFuncs are the functions of import module "wactor" (abi.ImportModule).
	HostFuncs []HostFunc
	// MemoryLimitPages caps the linear memory (memory.grow fails past it;
	// a module whose initial memory exceeds it fails to instantiate).
	// 0 means MaxPages.
	MemoryLimitPages uint32
	// Fuel enables fuel metering when > 0 and is the fuel available to the
	// first calls (see Instance.SetFuel). The engine must have been created
	// with fuel support (Config.NoFuel false).
	Fuel uint64
	// WASI configures WASI preview 1.
	WASI WASIConfig
	// Data is returned by Caller.Data to host functions.
	Data any
	// MemoryAllocator, if set, backs the instance's linear memory on engines
	// whose memory can live in the host's buffers (wazero); engines that
	// manage their own memory (wasmtime) ignore it. It is called once, at
	// instantiation, with the memory's initial size and its maximum in
	// bytes (already capped by MemoryLimitPages); the LinearMemory must
	// refuse (return nil) growth past that maximum.
	MemoryAllocator func(capacity, max uint64) LinearMemory
	// OnYield, if set, is called by a running call after Instance.Yield
	// (see there). It runs on the call's goroutine, inside the guest call,
	// so it must not call into the instance.
	OnYield func()
}

// LinearMemory backs a linear memory for InstanceConfig.MemoryAllocator (as
// wazero's experimental.LinearMemory).
type LinearMemory interface {
	// Reallocate returns the memory resized to size bytes (keeping its
	// content), or nil if it cannot grow that far.
	Reallocate(size uint64) []byte
	// Free is called when the instance is closed.
	Free()
}

// Config configures an engine.
type Config struct {
	// NoInterrupt compiles guests without interrupt checks: Instance.Interrupt
	// then does nothing, and a guest in an endless loop cannot be stopped.
	// For benchmarks and trusted guests.
	NoInterrupt bool
	// NoFuel compiles guests without fuel metering: InstanceConfig.Fuel must
	// then be 0.
	NoFuel bool
	// CacheDir, if set, keeps compiled code on disk there (wazero); engines
	// without such a cache ignore it. Without it, wazero shares compiled code
	// in memory between the engines of a process.
	CacheDir string
}

// Factory creates an engine.
type Factory func(ctx context.Context, cfg Config) (Engine, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes an engine available under name. Implementations call it
// from init; it panics if the name is taken.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, ok := registry[name]; ok {
		panic("engine: " + name + " registered twice")
	}
	registry[name] = f
}

// Names returns the names of the registered engines, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New creates an engine by name. Errors wrap ErrUnknownEngine for a name that
// is not registered (its package was not imported, or not built: wasmtime
// needs the build tag "wasmtime").
func New(ctx context.Context, name string, cfg Config) (Engine, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q (registered: %s)", ErrUnknownEngine, name, strings.Join(Names(), ", "))
	}
	return f(ctx, cfg)
}

// MemoryLimitBytes returns the memory limit of cfg in bytes.
func (cfg *InstanceConfig) MemoryLimitBytes() uint64 {
	if cfg.MemoryLimitPages == 0 || cfg.MemoryLimitPages > MaxPages {
		return MaxPages * PageSize
	}
	return uint64(cfg.MemoryLimitPages) * PageSize
}

// FindExport returns the export of that name.
func FindExport(m Module, name string) (Export, bool) {
	for _, e := range m.Exports() {
		if e.Name == name {
			return e, true
		}
	}
	return Export{}, false
}
