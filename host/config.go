package host

import (
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/fsys"
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
	// AdmissionTimeout bounds how long a spawn waits for resources that are
	// taken now (default 30s); one that can never fit fails at once.
	AdmissionTimeout time.Duration `json:"admission_timeout,omitempty"`

	// fs is the file system DataDir is kept on (nil: the operating
	// system's). It is unexported on purpose: only this package's
	// fault-injection tests set it (internal/fsys.Faulty), so the public
	// Config does not grow a file-system abstraction.
	fs fsys.FS
}

// NodeResources is a host's resource capacity. Zero fields take defaults:
// CPU the CPUs the process may use (GOMAXPROCS), GPU none, Memory
// unlimited (when set, each actor reserves at least its memory limit),
// Custom none.
type NodeResources struct {
	CPU    float64            `json:"cpu,omitempty"`
	GPU    float64            `json:"gpu,omitempty"`
	Memory int64              `json:"memory,omitempty"` // bytes
	Custom map[string]float64 `json:"custom,omitempty"`
}

// Options configures one actor at Spawn. Zero fields take the host's
// Config.Defaults, then the built-in defaults.
type Options struct {
	// Name, if set, must be unique among the live actors of its namespace;
	// GetActor and Lookup find it.
	Name string `json:"name,omitempty"`
	// Namespace scopes Name (default "default"; a child spawned by a guest
	// defaults to its parent's namespace).
	Namespace string `json:"namespace,omitempty"`
	// GetIfExists makes Spawn return the live actor of that name and class
	// instead of failing with ErrNameTaken (Ray's get_if_exists). Concurrent
	// calls create exactly one actor.
	GetIfExists bool `json:"get_if_exists,omitempty"`
	// Detached actors have no owner: they live until killed or exited. Others
	// die with their owner (a Session, a parent actor, or the host).
	Detached bool `json:"detached,omitempty"`
	// MaxChildren bounds the live actors this actor may own through the
	// spawn import (default 1000).
	MaxChildren int `json:"max_children,omitempty"`
	// MemoryPages limits the actor's linear memory, in 64 KiB pages (default 4096 = 256 MiB).
	MemoryPages uint32 `json:"memory_pages,omitempty"`
	// CallTimeout is the deadline of each call, the constructor included (default 30s).
	CallTimeout time.Duration `json:"call_timeout,omitempty"`
	// Fuel, if set, limits each call (the constructor included) to that many
	// units of deterministic fuel: roughly one unit per WebAssembly
	// instruction executed. A call that runs out fails with a TrapError of
	// reason fuel, like a trap. The same call on the same state always uses
	// the same fuel, unlike a deadline.
	Fuel uint64 `json:"fuel,omitempty"`
	// MaxPending bounds calls queued on the actor; beyond it Call fails with
	// ErrBackpressure (default 100000).
	MaxPending int `json:"max_pending,omitempty"`
	// MaxRestarts is how often the actor is recreated after a trap: 0 never
	// (the default), N times, or -1 without limit (Ray's max_reconstructions).
	MaxRestarts int `json:"max_restarts,omitempty"`
	// Durable actors outlive the host: a host started again on the same
	// Config.DataDir brings them back with their state. Detached actors are
	// durable on a host with a DataDir. Needs Config.DataDir.
	Durable bool `json:"durable,omitempty"`
	// CheckpointEvery, if set, checkpoints the actor after every that many
	// completed calls.
	CheckpointEvery int `json:"checkpoint_every,omitempty"`
	// CheckpointInterval, if set, checkpoints the actor after a call that
	// completes at least this long after its previous checkpoint.
	CheckpointInterval time.Duration `json:"checkpoint_interval,omitempty"`

	// MaxConcurrency is Ray's max_concurrency: how many calls of the actor
	// may run at once. Only 1 (the default) is supported: a sandbox is
	// single-threaded and holds the actor's whole state, so calls run one
	// at a time; spawn several actors for parallelism. Larger values fail
	// with ErrInvalidOptions (docs/SCHEDULING.md).
	MaxConcurrency int `json:"max_concurrency,omitempty"`

	// Ray resource requests, reserved for the actor's lifetime against the
	// host's Config.Node (admission).
	NumCPUs   float64            `json:"num_cpus,omitempty"`
	NumGPUs   float64            `json:"num_gpus,omitempty"`
	Memory    int64              `json:"memory,omitempty"` // bytes
	Resources map[string]float64 `json:"resources,omitempty"`
}

const (
	defaultMaxClassBytes    = 64 << 20
	defaultLogLines         = 1000
	defaultMemoryPages      = 4096
	defaultCallTimeout      = 30 * time.Second
	defaultMaxPending       = 100000
	maxMemoryPages          = 65536
	defaultMaxChildren      = 1000
	maxGuestFutures         = 10000
	defaultMaxQueuedCalls   = 1_000_000
	defaultAdmissionTimeout = 30 * time.Second
)

// DefaultNamespace is the namespace of actors spawned without one.
const DefaultNamespace = "default"

func (c Config) withDefaults() (Config, error) {
	if c.Workers < 0 || c.MaxClassBytes < 0 || c.MaxArgBytes < 0 || c.MaxResultBytes < 0 || c.LogLines < 0 || c.KeepCheckpoints < 0 ||
		c.PassivateAfter < 0 || c.MemoryBudget < 0 || c.MaxQueuedCalls < 0 {
		return c, fmt.Errorf("%w: negative Config field", ErrInvalidOptions)
	}
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
	switch c.Durability {
	case "":
		c.Durability = DurabilityWrite
	case DurabilitySync, DurabilityWrite, DurabilityCheckpoint:
	default:
		return c, fmt.Errorf("%w: durability %q (want sync, write or checkpoint)", ErrInvalidOptions, c.Durability)
	}
	if c.AdmissionTimeout < 0 {
		return c, fmt.Errorf("%w: negative admission_timeout", ErrInvalidOptions)
	}
	if c.AdmissionTimeout == 0 {
		c.AdmissionTimeout = defaultAdmissionTimeout
	}
	if c.MaxQueuedCalls == 0 {
		c.MaxQueuedCalls = defaultMaxQueuedCalls
	}
	if c.KeepCheckpoints == 0 {
		c.KeepCheckpoints = keepCheckpoints
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxClassBytes == 0 {
		c.MaxClassBytes = defaultMaxClassBytes
	}
	if c.MaxArgBytes == 0 {
		c.MaxArgBytes = abi.DefaultMaxArgBytes
	}
	if c.MaxResultBytes == 0 {
		c.MaxResultBytes = abi.DefaultMaxResultBytes
	}
	if c.LogLines == 0 {
		c.LogLines = defaultLogLines
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
	builtin := Options{MemoryPages: defaultMemoryPages, CallTimeout: defaultCallTimeout, MaxPending: defaultMaxPending,
		Namespace: DefaultNamespace, MaxChildren: defaultMaxChildren}
	d, err := c.Defaults.merge(builtin)
	if err != nil {
		return c, err
	}
	c.Defaults = d
	return c, nil
}

// merge fills zero fields of o from d and validates the result.
func (o Options) merge(d Options) (Options, error) {
	if o.MemoryPages == 0 {
		o.MemoryPages = d.MemoryPages
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = d.CallTimeout
	}
	if o.MaxPending == 0 {
		o.MaxPending = d.MaxPending
	}
	if o.MaxRestarts == 0 {
		o.MaxRestarts = d.MaxRestarts
	}
	if o.Namespace == "" {
		o.Namespace = d.Namespace
	}
	if o.MaxChildren == 0 {
		o.MaxChildren = d.MaxChildren
	}
	if o.Fuel == 0 {
		o.Fuel = d.Fuel
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = d.CheckpointEvery
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = d.CheckpointInterval
	}
	return o, o.validate()
}

func (o Options) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	switch {
	case o.MemoryPages > maxMemoryPages:
		return bad("memory_pages %d exceeds %d (4 GiB)", o.MemoryPages, maxMemoryPages)
	case o.CallTimeout < 0:
		return bad("negative call_timeout")
	case o.MaxPending < 0:
		return bad("negative max_pending")
	case o.MaxRestarts < -1:
		return bad("max_restarts %d: want -1 (unlimited), 0 or more", o.MaxRestarts)
	case len(o.Name) > 256:
		return bad("name longer than 256 bytes")
	case len(o.Namespace) > 256:
		return bad("namespace longer than 256 bytes")
	case o.Fuel > 1<<62:
		return bad("fuel %d above 2^62", o.Fuel)
	case o.MaxChildren < 0:
		return bad("negative max_children")
	case o.GetIfExists && o.Name == "":
		return bad("get_if_exists needs a name")
	case o.MaxConcurrency < 0 || o.MaxConcurrency > 1:
		return bad("max_concurrency %d: only 1 is supported (a sandbox runs one call at a time; spawn several actors for parallelism)", o.MaxConcurrency)
	case o.CheckpointEvery < 0 || o.CheckpointInterval < 0:
		return bad("negative checkpoint_every or checkpoint_interval")
	}
	if err := checkQuantity("num_cpus", o.NumCPUs); err != nil {
		return err
	}
	if err := checkQuantity("num_gpus", o.NumGPUs); err != nil {
		return err
	}
	// Ray: fractional GPUs only below one GPU.
	if o.NumGPUs > 1 && o.NumGPUs != math.Trunc(o.NumGPUs) {
		return bad("num_gpus %v: a request above 1 must be a whole number", o.NumGPUs)
	}
	if o.Memory < 0 {
		return bad("negative memory")
	}
	for k, v := range o.Resources {
		switch k {
		case "":
			return bad("empty resource name")
		case "CPU", "GPU", "memory", "object_store_memory":
			return bad("resource %q: use the dedicated field", k)
		}
		if err := checkQuantity("resources["+k+"]", v); err != nil {
			return err
		}
	}
	return nil
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

func checkQuantity(name string, v float64) error {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%w: %s must be a finite number >= 0, got %v", ErrInvalidOptions, name, v)
	}
	return nil
}

// checkArgSize fails with ErrTooLarge for encoded arguments over the limit.
func checkArgSize(n, limit int) error {
	if n > limit {
		return fmt.Errorf("%w: arguments of %d bytes exceed the limit of %d", ErrTooLarge, n, limit)
	}
	return nil
}
