package host

import (
	"cmp"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/sandbox"
	"github.com/wactor/wactor/host/tenancy"
	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/fsys"
	"github.com/wactor/wactor/scheduler"
	"github.com/wactor/wactor/snapshots"
)

// Config configures a Host. The zero value means sensible defaults; New
// validates it once.
type Config struct {
	// Workers is the number of goroutines that run guest code (default GOMAXPROCS).
	Workers int `json:"workers,omitempty"`
	// MaxClassBytes bounds the size of a module passed to LoadClass (default 64 MiB).
	MaxClassBytes int `json:"max_class_bytes,omitempty"`
	// MaxArgBytes bounds one call's encoded arguments (default abi.DefaultMaxArgBytes).
	MaxArgBytes int `json:"max_arg_bytes,omitempty"`
	// MaxResultBytes bounds one result envelope (default abi.DefaultMaxResultBytes).
	MaxResultBytes int `json:"max_result_bytes,omitempty"`
	// Engine is the WebAssembly engine that runs this host's guests:
	// "wazero" (the default, pure Go, in every build) or "wasmtime" (only in
	// builds with -tags wasmtime, which need cgo). Another name, or one
	// this build lacks, fails New with ErrInvalidOptions. Snapshots move
	// between hosts of either engine. See docs/RATIONALE.md for which to
	// pick.
	Engine string `json:"engine,omitempty"`
	// CacheDir, if set, keeps compiled classes on disk so a restarted host
	// does not compile them again. Without it, compiled code is shared in
	// memory by the hosts of one process.
	CacheDir string `json:"cache_dir,omitempty"`
	// LogLines is how many log lines each actor keeps (default 1000).
	LogLines int `json:"log_lines,omitempty"`
	// LogBytes bounds what each actor's log holds, in bytes (default 1 MiB,
	// at least 4 KiB, at most 1 GiB): each line costs its text plus 64 bytes, and the
	// oldest lines are dropped first (counted in LogStats). Lines are cut
	// at MaxLogLine bytes, whatever their source.
	LogBytes int `json:"log_bytes,omitempty"`
	// LogBudget bounds what all actors' logs hold together, in bytes
	// (default 256 MiB, at most 1 PiB; Unlimited lifts it): past it, a log that takes a
	// new line is first cut to its last DeadLogBytes, so the logs hold at
	// most LogBudget plus DeadLogBytes per actor however many actors flood
	// them (NodeUsage.LogBytes).
	LogBudget int64 `json:"log_budget,omitempty"`
	// KeepDead is how many dead actors the host keeps, with their final
	// state (Info: death reason and error) and the end of their log (Logs),
	// for KeepDeadFor after they died (default 1000, at most 1,000,000; -1
	// keeps none). When
	// full, the oldest of the namespace with the most kept goes first. Calls
	// to a kept dead actor still fail with ErrActorDied.
	KeepDead int `json:"keep_dead,omitempty"`
	// KeepDeadFor is how long a dead actor is kept (default 10 minutes, at
	// most 30 days).
	KeepDeadFor time.Duration `json:"keep_dead_for,omitempty"`
	// DeadLogBytes is how much of a kept dead actor's log is kept: its last
	// lines within that many bytes, counted as LogBytes (default 32 KiB, at
	// least 4 KiB, at most LogBytes). The host keeps at most KeepDead times
	// this for dead actors. It is also what a live actor's log is held to
	// while all logs together are past LogBudget.
	DeadLogBytes int `json:"dead_log_bytes,omitempty"`
	// Defaults holds the Options used where a Spawn leaves a field zero.
	Defaults Options `json:"defaults,omitempty"`
	// Logger receives the host's structured logs (default slog.Default()).
	Logger *slog.Logger `json:"-"`
	// Observer receives call and actor events, for metrics (default none).
	Observer Observer `json:"-"`
	// DataDir, if set, makes the host durable: it keeps there the classes it
	// loads and its durable actors (Options.Durable, and detached actors),
	// which a host started on the same DataDir brings back, also after a
	// crash (docs/SNAPSHOTS.md). (Compiled code is cached on disk only with
	// CacheDir.) Without it nothing outlives the host.
	DataDir string `json:"data_dir,omitempty"`
	// Durability says when a durable actor's call is safe (default
	// DurabilityWrite).
	Durability Durability `json:"durability,omitempty"`
	// KeepCheckpoints is how many checkpoints each actor keeps, newest first
	// (default 3).
	KeepCheckpoints int `json:"keep_checkpoints,omitempty"`
	// ColdSpawn makes every actor run its class's start-up code
	// (_initialize). By default a class's state after _initialize is taken
	// once at load, as a template, and spawns copy it instead, which makes
	// spawning a Go guest several times faster (docs/SNAPSHOTS.md). The
	// price: actors of one class start with the same runtime-internal
	// random state (for a Go guest: map iteration order, hash seeds and
	// math/rand's top-level functions); use crypto/rand, or ColdSpawn.
	ColdSpawn bool `json:"cold_spawn,omitempty"`
	// PassivateAfter, if set, passivates actors idle for that long: their
	// sandbox is freed and their state kept as a compressed snapshot (a few
	// kilobytes for a small guest); the next call restores it
	// transparently, with a little extra latency. 0: never.
	PassivateAfter time.Duration `json:"passivate_after,omitempty"`
	// MemoryBudget, if set, bounds the linear memory of live sandboxes, in
	// bytes: past it the least recently used idle actors are passivated
	// early. 0: no bound.
	MemoryBudget int64 `json:"memory_budget,omitempty"`
	// MaxQueuedCalls bounds the calls queued in all actors' mailboxes
	// together (default 1,000,000); past it calls fail with ErrBackpressure
	// (HTTP 429), like a full mailbox (Options.MaxPending).
	MaxQueuedCalls int `json:"max_queued_calls,omitempty"`
	// Node is this host's resource capacity, against which actors' resource
	// requests (Options.NumCPUs, NumGPUs, Memory, Resources) are reserved
	// for their lifetime, as Ray places actors (docs/SCHEDULING.md).
	Node NodeResources `json:"node,omitempty"`
	// LoadTimeout bounds each piece of guest code that loading a class or
	// starting a sandbox cold runs: the start function (a start section),
	// _initialize, wactor_abi_version and wactor_manifest (default 5s, at
	// most 10 minutes). Past it, LoadClass fails with ErrInvalidModule
	// naming the export. A spawn's _initialize and start function get it
	// too, not Options.CallTimeout.
	LoadTimeout time.Duration `json:"load_timeout,omitempty"`
	// ClassMemoryBudget bounds the memory the host keeps for its loaded
	// classes (default 2 GiB, at most 1 PiB): the modules' sizes (NodeUsage.ClassBytes)
	// plus their templates (NodeUsage.TemplateBytes, the state after
	// _initialize that spawns copy). A class whose module does not fit is
	// refused with ErrTooLarge; a class whose template does not fit loads
	// without one, and its actors run _initialize at each spawn instead
	// (docs/SNAPSHOTS.md). UnloadClass gives the memory back.
	ClassMemoryBudget int64 `json:"class_memory_budget,omitempty"`
	// AdmissionTimeout bounds how long a spawn waits for resources that are
	// taken now (default 30s); one that can never fit fails at once.
	AdmissionTimeout time.Duration `json:"admission_timeout,omitempty"`
	// TimeSlice is how long a worker runs one actor (one call, or a batch
	// of calls) while other calls wait for a worker, before it is asked to
	// yield (default 10ms; checked every TimeSlice, so a slice lasts one to
	// two of them). Namespaces with waiting calls take the workers in
	// turn, a slice each (docs/SCHEDULING.md, "Fairness across
	// namespaces"). Without contention nothing is timed. At least 1ms, at
	// most 1s.
	TimeSlice time.Duration `json:"time_slice,omitempty"`
	// MaxCallTimeout caps Options.CallTimeout, from any source (Spawn,
	// Config.Defaults, a guest's spawn options): a spawn asking for more
	// fails with ErrInvalidOptions, and an actor recovered from DataDir
	// with more is cut to it (default 5 minutes, at most 24 hours).
	MaxCallTimeout time.Duration `json:"max_call_timeout,omitempty"`
	// MaxDepth bounds how deep guests nest work (default 32, at most
	// 1,000,000): an actor spawned by a guest, and a call or send made from
	// inside a guest call, is one level deeper than the guest call that
	// made it, which runs at the deeper of its actor's depth and its own (a
	// Go or HTTP call and a Host.Spawn start at level 0, so a Go call into
	// an actor spawned 10 levels deep runs at level 10, and the actor's
	// own spawns and calls count from there). Past it the spawn, call or send
	// fails with ErrQuota (guests: wactor.quota). This bounds chains of
	// spawn-and-call and spawn trees by depth, as Quota bounds them by
	// size. Unlimited (-1) lifts it (quotas still bound what a namespace
	// holds).
	MaxDepth int `json:"max_depth,omitempty"`
	// Quota is every namespace's quota (zero fields: the built-in defaults,
	// see Quota); Quotas overrides it per namespace (zero fields: Quota's),
	// as does Host.SetQuota later.
	Quota  Quota            `json:"quota,omitempty"`
	Quotas map[string]Quota `json:"quotas,omitempty"`
	// MaxWaiting bounds the guests of all namespaces blocked at once in
	// call, await or spawn; past it those imports fail with ErrQuota
	// (wactor.quota). Default: 4,000 with wasmtime, where each waiting
	// guest holds an OS thread (its host function is a cgo callback) and Go
	// aborts the whole process past 10,000 threads; 100,000 with wazero,
	// where it holds a goroutine. At most 10,000,000; Unlimited (-1) lifts
	// it.
	MaxWaiting int `json:"max_waiting,omitempty"`

	// fs is the file system DataDir is kept on (nil: the operating
	// system's). It is unexported on purpose: only this package's
	// fault-injection tests set it (internal/fsys.Faulty), so the public
	// Config does not grow a file-system abstraction.
	fs fsys.FS
}

// Defaults used by more than the table in Config.check.
const (
	defaultMemoryPages = 4096
	defaultCallTimeout = 30 * time.Second
	defaultMaxPending  = 100000
	defaultMaxChildren = 1000
	defaultMaxDepth    = 32
	maxGuestFutures    = 10000
	minLogBytes        = 4 << 10
)

func (c Config) withDefaults() (Config, error) {
	if c.Engine == "" {
		c.Engine = defaultEngine
	}
	if !slices.Contains(engine.Names(), c.Engine) {
		hint := ""
		if c.Engine == EngineWasmtime {
			hint = " (wasmtime needs a build with -tags wasmtime and cgo)"
		}
		return c, fmt.Errorf("%w: engine %q is not available in this build%s; available: %s", ErrInvalidOptions, c.Engine, hint, strings.Join(engine.Names(), ", "))
	}
	if err := c.check(); err != nil {
		return c, err
	}
	switch c.Durability {
	case "":
		c.Durability = DurabilityWrite
	case DurabilitySync, DurabilityWrite, DurabilityCheckpoint:
	default:
		return c, fmt.Errorf("%w: durability %q (want sync, write or checkpoint)", ErrInvalidOptions, c.Durability)
	}
	if err := c.Quota.Validate(); err != nil {
		return c, err
	}
	c.Quota = c.Quota.WithDefaults(tenancy.BuiltinQuota)
	for ns, q := range c.Quotas {
		if ns == "" {
			return c, fmt.Errorf("%w: quotas: empty namespace", ErrInvalidOptions)
		}
		if err := q.Validate(); err != nil {
			return c, fmt.Errorf("quotas[%q]: %w", ns, err)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Defaults.Name != "" {
		return c, fmt.Errorf("%w: Config.Defaults.Name must be empty", ErrInvalidOptions)
	}
	builtin := Options{MemoryPages: defaultMemoryPages, CallTimeout: api.Ptr(defaultCallTimeout), MaxPending: defaultMaxPending,
		Namespace: DefaultNamespace, MaxChildren: api.Ptr(defaultMaxChildren)}
	d, err := mergeOptions(c.Defaults, builtin)
	if err != nil {
		return c, err
	}
	c.Defaults = d
	if err := c.checkCallTimeout(deref(d.CallTimeout)); err != nil {
		return c, fmt.Errorf("%w (Config.Defaults)", err)
	}
	return c, nil
}

// check fills the zero numeric fields of c with their defaults and checks
// every one against its range: one table, so each field is checked once
// and every message says the same thing (0 is the default; -1 means what
// the field's doc says, where it means anything).
func (c *Config) check() error {
	maxWaiting := 100_000
	if c.Engine == EngineWasmtime {
		maxWaiting = 4000 // below Go's 10,000 threads (runtime/debug.SetMaxThreads)
	}
	for _, f := range []interface{ check() error }{
		bound[int]{"workers", &c.Workers, runtime.GOMAXPROCS(0), 1, 4096, ""},
		bound[int]{"max_class_bytes", &c.MaxClassBytes, 64 << 20, 1, 1 << 30, ""},
		bound[int]{"max_arg_bytes", &c.MaxArgBytes, abi.DefaultMaxArgBytes, 1, 1 << 30, ""},
		bound[int]{"max_result_bytes", &c.MaxResultBytes, abi.DefaultMaxResultBytes, 1, 1 << 30, ""},
		bound[int]{"log_lines", &c.LogLines, 1000, 1, 1_000_000, ""},
		bound[int]{"log_bytes", &c.LogBytes, 1 << 20, minLogBytes, 1 << 30, ""},
		bound[int]{"dead_log_bytes", &c.DeadLogBytes, 32 << 10, minLogBytes, 1 << 30, ""},
		bound[int64]{"log_budget", &c.LogBudget, 256 << 20, 1, 1 << 50, "unlimited"},
		bound[int]{"keep_dead", &c.KeepDead, 1000, 1, 1_000_000, "none"},
		bound[time.Duration]{"keep_dead_for", &c.KeepDeadFor, 10 * time.Minute, 1, 30 * 24 * time.Hour, ""},
		bound[int]{"keep_checkpoints", &c.KeepCheckpoints, snapshots.DefaultKeep, 1, 10_000, ""},
		bound[time.Duration]{"passivate_after", &c.PassivateAfter, 0, 1, math.MaxInt64, ""},
		bound[int64]{"memory_budget", &c.MemoryBudget, 0, 1, 1 << 50, ""},
		bound[int]{"max_queued_calls", &c.MaxQueuedCalls, 1_000_000, 1, 1 << 30, ""},
		bound[time.Duration]{"load_timeout", &c.LoadTimeout, 5 * time.Second, 1, 10 * time.Minute, ""},
		bound[int64]{"class_memory_budget", &c.ClassMemoryBudget, 2 << 30, 1, 1 << 50, ""},
		bound[time.Duration]{"admission_timeout", &c.AdmissionTimeout, 30 * time.Second, 1, math.MaxInt64, ""},
		bound[time.Duration]{"time_slice", &c.TimeSlice, scheduler.DefaultSlice, time.Millisecond, time.Second, ""},
		bound[time.Duration]{"max_call_timeout", &c.MaxCallTimeout, 5 * time.Minute, 1, 24 * time.Hour, ""},
		bound[int]{"max_depth", &c.MaxDepth, defaultMaxDepth, 1, 1_000_000, "unlimited"},
		bound[int]{"max_waiting", &c.MaxWaiting, maxWaiting, 1, 10_000_000, "unlimited"},
	} {
		if err := f.check(); err != nil {
			return err
		}
	}
	// A dead actor keeps at most what a live one does.
	c.DeadLogBytes = min(c.DeadLogBytes, c.LogBytes)
	for k := range c.Node.Custom {
		if err := api.CheckResourceName(k); err != nil {
			return err
		}
	}
	return nil
}

// bound is one numeric field of Config: 0 takes def, -1 is allowed when
// minusOne says what it means, and anything else must lie in [min, max].
type bound[T ~int | ~int64] struct {
	name          string
	v             *T
	def, min, max T
	minusOne      string
}

func (b bound[T]) check() error {
	switch v := *b.v; {
	case v == 0:
		*b.v = b.def
	case v == -1 && b.minusOne != "":
	case v < b.min || v > b.max:
		also := ""
		if b.minusOne != "" {
			also = ", -1 (" + b.minusOne + ")"
		}
		return fmt.Errorf("%w: %s %v out of range: want 0 (the default, %v)%s or %v to %v", ErrInvalidOptions, b.name, v, b.def, also, b.min, b.max)
	}
	return nil
}

// checkCallTimeout refuses a call deadline above MaxCallTimeout.
func (c *Config) checkCallTimeout(d time.Duration) error {
	if d > c.MaxCallTimeout {
		return fmt.Errorf("%w: call_timeout %v exceeds the host's maximum of %v", ErrInvalidOptions, d, c.MaxCallTimeout)
	}
	return nil
}

// mergeOptions fills the unset fields of o from d and validates the result.
func mergeOptions(o, d Options) (Options, error) {
	o.MemoryPages = cmp.Or(o.MemoryPages, d.MemoryPages)
	o.MaxPending = cmp.Or(o.MaxPending, d.MaxPending)
	o.Namespace = cmp.Or(o.Namespace, d.Namespace)
	o.CallTimeout = cmp.Or(o.CallTimeout, d.CallTimeout)
	o.MaxRestarts = cmp.Or(o.MaxRestarts, d.MaxRestarts)
	o.MaxChildren = cmp.Or(o.MaxChildren, d.MaxChildren)
	o.Fuel = cmp.Or(o.Fuel, d.Fuel)
	o.CheckpointEvery = cmp.Or(o.CheckpointEvery, d.CheckpointEvery)
	o.CheckpointInterval = cmp.Or(o.CheckpointInterval, d.CheckpointInterval)
	return o, o.Validate()
}

// actorOptions are an actor's resolved options: Options with its optional
// fields set, as plain values that shadow the embedded pointers (so
// a.opts.MaxRestarts is an int).
type actorOptions struct {
	Options
	MaxChildren        int
	CallTimeout        time.Duration
	Fuel               uint64
	MaxRestarts        int
	CheckpointEvery    int
	CheckpointInterval time.Duration
}

// resolveOptions makes the actor options of o, whose unset optional
// fields count as zero.
func resolveOptions(o Options) actorOptions {
	return actorOptions{Options: o, MaxChildren: deref(o.MaxChildren), CallTimeout: deref(o.CallTimeout),
		Fuel: deref(o.Fuel), MaxRestarts: deref(o.MaxRestarts), CheckpointEvery: deref(o.CheckpointEvery),
		CheckpointInterval: deref(o.CheckpointInterval)}
}

// public returns o as Options with every optional field set.
func (o actorOptions) public() Options {
	p := o.Options
	p.MaxChildren, p.CallTimeout, p.Fuel = &o.MaxChildren, &o.CallTimeout, &o.Fuel
	p.MaxRestarts, p.CheckpointEvery, p.CheckpointInterval = &o.MaxRestarts, &o.CheckpointEvery, &o.CheckpointInterval
	return p
}

// deref is *p, or zero for nil.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// Engine names for Config.Engine.
const (
	// EngineWazero is the pure-Go engine, in every build (the default).
	EngineWazero = sandbox.EngineWazero
	// EngineWasmtime is wasmtime (Cranelift), only in builds with the tag
	// "wasmtime" (it needs cgo).
	EngineWasmtime = sandbox.EngineWasmtime
)

// Engines returns the names of the engines this build can run, sorted.
func Engines() []string { return sandbox.Engines() }

// defaultEngine is EngineWazero; the tests set it (tag wasmtime or
// $WACTOR_TEST_ENGINE) to run the whole suite on either engine.
var defaultEngine = EngineWazero
