package host

import (
	"cmp"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/fsys"
	"github.com/wactor/wactor/scheduler"
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

const (
	defaultMaxClassBytes = 64 << 20
	defaultLogLines      = 1000
	defaultLogBytes      = 1 << 20
	minLogBytes          = 4 << 10
	defaultKeepDead      = 1000
	defaultKeepDeadFor   = 10 * time.Minute
	defaultDeadLogBytes  = 32 << 10
	defaultLogBudget     = 256 << 20
	defaultMemoryPages   = 4096
	defaultCallTimeout   = 30 * time.Second
	defaultMaxPending    = 100000

	defaultMaxChildren      = 1000
	maxGuestFutures         = 10000
	defaultMaxQueuedCalls   = 1_000_000
	defaultAdmissionTimeout = 30 * time.Second
	defaultLoadTimeout      = 5 * time.Second
	maxLoadTimeout          = 10 * time.Minute
	defaultClassBudget      = 2 << 30
	defaultMaxCallTimeout   = 5 * time.Minute
	minTimeSlice            = time.Millisecond
	defaultMaxDepth         = 32
	defaultMaxWaiting       = 100_000
	defaultMaxWaitingCgo    = 4000 // below Go's 10,000 threads (runtime/debug.SetMaxThreads)
)

// Upper bounds of Config's newer limits (checkBounds): far above any sane
// setting, so that a typo cannot turn a bound into none.
const (
	maxKeepDead       = 1_000_000
	maxKeepDeadFor    = 30 * 24 * time.Hour
	maxTimeSlice      = time.Second // past it fairness across namespaces means little
	maxMaxCallTimeout = 24 * time.Hour
	maxMaxDepth       = 1_000_000
	maxMaxWaiting     = 10_000_000
)

func (c Config) withDefaults() (Config, error) {
	if c.Workers < 0 || c.MaxClassBytes < 0 || c.MaxArgBytes < 0 || c.MaxResultBytes < 0 || c.LogLines < 0 || c.KeepCheckpoints < 0 ||
		c.PassivateAfter < 0 || c.MemoryBudget < 0 || c.MaxQueuedCalls < 0 || c.TimeSlice < 0 || c.MaxCallTimeout < 0 {
		return c, fmt.Errorf("%w: negative Config field", ErrInvalidOptions)
	}
	if err := c.checkBounds(); err != nil {
		return c, err
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
	if c.MaxDepth < Unlimited {
		return c, fmt.Errorf("%w: max_depth %d: want -1 (unlimited), 0 (default %d) or more", ErrInvalidOptions, c.MaxDepth, defaultMaxDepth)
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = defaultMaxDepth
	}
	if c.MaxWaiting < Unlimited {
		return c, fmt.Errorf("%w: max_waiting %d: want -1 (unlimited), 0 (default) or more", ErrInvalidOptions, c.MaxWaiting)
	}
	if c.MaxWaiting == 0 {
		c.MaxWaiting = defaultMaxWaiting
		if c.Engine == EngineWasmtime {
			c.MaxWaiting = defaultMaxWaitingCgo
		}
	}
	if err := c.Quota.Validate(); err != nil {
		return c, err
	}
	c.Quota = c.Quota.WithDefaults(builtinQuota)
	for ns, q := range c.Quotas {
		if ns == "" {
			return c, fmt.Errorf("%w: quotas: empty namespace", ErrInvalidOptions)
		}
		if err := q.Validate(); err != nil {
			return c, fmt.Errorf("quotas[%q]: %w", ns, err)
		}
	}
	if c.AdmissionTimeout < 0 {
		return c, fmt.Errorf("%w: negative admission_timeout", ErrInvalidOptions)
	}
	if c.AdmissionTimeout == 0 {
		c.AdmissionTimeout = defaultAdmissionTimeout
	}
	switch {
	case c.LoadTimeout < 0 || c.LoadTimeout > maxLoadTimeout:
		return c, fmt.Errorf("%w: load_timeout %s: want 0 (default %s) up to %s", ErrInvalidOptions, c.LoadTimeout, defaultLoadTimeout, maxLoadTimeout)
	case c.LoadTimeout == 0:
		c.LoadTimeout = defaultLoadTimeout
	}
	switch {
	case c.ClassMemoryBudget < 0:
		return c, fmt.Errorf("%w: negative class_memory_budget", ErrInvalidOptions)
	case c.ClassMemoryBudget == 0:
		c.ClassMemoryBudget = defaultClassBudget
	}
	if c.TimeSlice == 0 {
		c.TimeSlice = scheduler.DefaultSlice
	}
	if c.TimeSlice < minTimeSlice {
		// The slice timer runs every TimeSlice under contention.
		return c, fmt.Errorf("%w: time_slice %v is below the minimum of %v", ErrInvalidOptions, c.TimeSlice, minTimeSlice)
	}
	if c.MaxCallTimeout == 0 {
		c.MaxCallTimeout = defaultMaxCallTimeout
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
	if err := c.logDefaults(); err != nil {
		return c, err
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

// checkBounds checks the upper bounds of Config's numeric fields and the
// names of the node's custom resources.
func (c Config) checkBounds() error {
	for _, f := range []struct {
		name   string
		v, max int64
	}{
		{"workers", int64(c.Workers), 4096},
		{"max_class_bytes", int64(c.MaxClassBytes), 1 << 30},
		{"max_arg_bytes", int64(c.MaxArgBytes), 1 << 30},
		{"max_result_bytes", int64(c.MaxResultBytes), 1 << 30},
		{"log_lines", int64(c.LogLines), 1_000_000},
		{"keep_checkpoints", int64(c.KeepCheckpoints), 10_000},
		{"max_queued_calls", int64(c.MaxQueuedCalls), 1 << 30},
		{"memory_budget", c.MemoryBudget, 1 << 50},
		{"log_bytes", int64(c.LogBytes), 1 << 30},
		{"dead_log_bytes", int64(c.DeadLogBytes), 1 << 30},
		{"log_budget", c.LogBudget, 1 << 50},
		{"keep_dead", int64(c.KeepDead), maxKeepDead},
		{"keep_dead_for", int64(c.KeepDeadFor), int64(maxKeepDeadFor)},
		{"class_memory_budget", c.ClassMemoryBudget, 1 << 50},
		{"time_slice", int64(c.TimeSlice), int64(maxTimeSlice)},
		{"max_call_timeout", int64(c.MaxCallTimeout), int64(maxMaxCallTimeout)},
		{"max_depth", int64(c.MaxDepth), maxMaxDepth},
		{"max_waiting", int64(c.MaxWaiting), maxMaxWaiting},
	} {
		if f.v > f.max {
			return fmt.Errorf("%w: %s %d exceeds the maximum of %d", ErrInvalidOptions, f.name, f.v, f.max)
		}
	}
	for k := range c.Node.Custom {
		if err := api.CheckResourceName(k); err != nil {
			return err
		}
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

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// checkArgSize fails with ErrTooLarge for encoded arguments over the limit.
func checkArgSize(n, limit int) error {
	if n > limit {
		return fmt.Errorf("%w: arguments of %d bytes exceed the limit of %d", ErrTooLarge, n, limit)
	}
	return nil
}

// logDefaults fills and checks the log and dead-actor limits.
func (c *Config) logDefaults() error {
	if c.LogBytes < 0 || c.DeadLogBytes < 0 || c.KeepDeadFor < 0 || c.KeepDead < -1 || c.LogBudget < Unlimited {
		return fmt.Errorf("%w: negative log_bytes, dead_log_bytes or keep_dead_for, or keep_dead or log_budget below -1", ErrInvalidOptions)
	}
	if c.LogBudget == 0 {
		c.LogBudget = defaultLogBudget
	}
	if c.LogBytes == 0 {
		c.LogBytes = defaultLogBytes
	}
	if c.DeadLogBytes == 0 {
		c.DeadLogBytes = min(defaultDeadLogBytes, c.LogBytes)
	}
	if c.LogBytes < minLogBytes || c.DeadLogBytes < minLogBytes {
		return fmt.Errorf("%w: log_bytes and dead_log_bytes must be at least %d", ErrInvalidOptions, minLogBytes)
	}
	c.DeadLogBytes = min(c.DeadLogBytes, c.LogBytes)
	if c.KeepDead == 0 {
		c.KeepDead = defaultKeepDead
	}
	if c.KeepDeadFor == 0 {
		c.KeepDeadFor = defaultKeepDeadFor
	}
	return nil
}
