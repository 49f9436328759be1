package api

import (
	"cmp"
	"fmt"
	"math"
	"strings"
	"time"
)

// DefaultNamespace is the namespace of actors spawned without one.
const DefaultNamespace = "default"

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
//
// The fields for which zero means something (no restarts, no deadline of
// its own, no fuel limit, no checkpoint policy, no children) are pointers:
// nil takes the default, a pointer to zero asks for zero, whatever the
// host's defaults are (Ptr(0)). In JSON, a field left out takes the
// default and an explicit 0 asks for zero. The options an actor reports
// (ActorInfo.Options) have every one of them set.
//
// Its JSON form is the HTTP API's, WireOptions (durations in whole
// milliseconds), wherever it is written: in requests, in responses and in
// a durable actor's files.
type Options struct {
	// Name, if set, must be unique among the live actors of its namespace;
	// GetActor and Lookup find it.
	Name string
	// Namespace scopes Name (default "default"; a child spawned by a guest
	// defaults to its parent's namespace).
	Namespace string
	// GetIfExists makes Spawn return the live actor of that name and class
	// instead of failing with ErrNameTaken (Ray's get_if_exists). Concurrent
	// calls create exactly one actor.
	GetIfExists bool
	// Detached actors have no owner: they live until killed or exited. Others
	// die with their owner (a Session, a parent actor, or the host).
	Detached bool
	// MaxChildren bounds the live actors this actor may own through the
	// spawn import (default 1000; 0: it may spawn none).
	MaxChildren *int
	// MemoryPages limits the actor's linear memory, in 64 KiB pages (default 4096 = 256 MiB).
	MemoryPages uint32
	// CallTimeout is the deadline of each call, the constructor included
	// (default 30s, at most Config.MaxCallTimeout). It is wall-clock time
	// from the call's start, time spent yielded to other namespaces
	// included. 0 asks for no deadline of the actor's own: calls run until
	// the host's cap (Config.MaxCallTimeout, and the namespace's
	// Quota.CallTimeout if lower).
	CallTimeout *time.Duration
	// Fuel, if set, limits each call (the constructor included) to that many
	// units of deterministic fuel: roughly one unit per WebAssembly
	// instruction executed. A call that runs out fails with a TrapError of
	// reason fuel, like a trap. The same call on the same state always uses
	// the same fuel, unlike a deadline. 0: no fuel limit.
	Fuel *uint64
	// MaxPending bounds calls queued on the actor; beyond it Call fails with
	// ErrBackpressure (default 100000).
	MaxPending int
	// MaxRestarts is how often the actor is recreated after a trap: 0 never
	// (the built-in default), N times, or -1 without limit (Ray's
	// max_reconstructions).
	MaxRestarts *int
	// Durable actors outlive the host: a host started again on the same
	// Config.DataDir brings them back with their state. Detached actors are
	// durable on a host with a DataDir. Needs Config.DataDir.
	Durable bool
	// CheckpointEvery, if not 0, checkpoints the actor after every that many
	// completed calls.
	CheckpointEvery *int
	// CheckpointInterval, if not 0, checkpoints the actor after a call that
	// completes at least this long after its previous checkpoint.
	CheckpointInterval *time.Duration

	// MaxConcurrency is Ray's max_concurrency: how many calls of the actor
	// may run at once. Only 1 (the default) is supported: a sandbox is
	// single-threaded and holds the actor's whole state, so calls run one
	// at a time; spawn several actors for parallelism. Larger values fail
	// with ErrInvalidOptions (docs/SCHEDULING.md).
	MaxConcurrency int

	// Ray resource requests, reserved for the actor's lifetime against the
	// host's Config.Node (admission).
	NumCPUs   float64
	NumGPUs   float64
	Memory    int64 // bytes
	Resources map[string]float64
}

// Durability says when a durable actor's completed call is safe from a
// crash. Every mode keeps checkpoints (written atomically and fsynced) and
// the actor's identity; they differ in the calls made since the latest
// checkpoint. See docs/SNAPSHOTS.md.
type Durability string

// Durability modes.
const (
	// DurabilitySync writes each completed call to the actor's journal and
	// fsyncs it before the call's result is returned: no acknowledged call
	// is lost, even to a power failure. It costs an fsync per call.
	DurabilitySync Durability = "sync"
	// DurabilityWrite (the default) writes each completed call to the
	// journal before its result is returned, without fsync: no acknowledged
	// call is lost when the host process dies (kill -9, a crash), because
	// the kernel still holds the write; a power failure or kernel crash can
	// lose the calls since the latest checkpoint.
	DurabilityWrite Durability = "write"
	// DurabilityCheckpoint keeps no journal on disk: after a host restart a
	// durable actor is back at its latest checkpoint, and the calls made
	// since are lost. Use it with a checkpoint policy (CheckpointEvery).
	DurabilityCheckpoint Durability = "checkpoint"
)

// Quota bounds what one namespace may hold on a host: every tenant is
// hostile, so no namespace can take more than its share. Zero fields take
// the host's default (Config.Quota, then the built-in defaults below);
// Unlimited (-1) lifts a bound. Refusals fail with ErrQuota (guests:
// wactor.quota; HTTP: 429) and name the quota.
type Quota struct {
	// Actors bounds the namespace's live actors, passivated ones included
	// (default 10,000).
	Actors int `json:"actors,omitempty"`
	// Memory bounds the linear memory of the namespace's live sandboxes, in
	// bytes (default 4 GiB). A spawn that would pass it is refused, and so
	// is a guest's memory.grow (it returns -1). On wasmtime, whose engine
	// owns the memory, each call's limit is set from what the quota leaves
	// when it starts; a call that still grew past the quota (racing another
	// of the namespace) fails with a TrapError of reason memory when it
	// returns.
	Memory int64 `json:"memory,omitempty"`
	// PendingCalls bounds the calls queued on the namespace's actors, not
	// yet running (default 100,000).
	PendingCalls int `json:"pending_calls,omitempty"`
	// Waiting bounds the namespace's guests blocked at once in call, await
	// or spawn (default 1,000): each holds a goroutine, and on wasmtime an
	// OS thread (see Config.MaxWaiting).
	Waiting int `json:"waiting,omitempty"`
	// Classes and ClassBytes bound the classes a namespace has uploaded,
	// by count and by module bytes (defaults 100 and 256 MiB). They are
	// enforced where classes are owned by namespaces (see host/tenancy).
	Classes    int   `json:"classes,omitempty"`
	ClassBytes int64 `json:"class_bytes,omitempty"`
	// CallTimeout caps the call deadline (Options.CallTimeout) of the
	// namespace's actors below Config.MaxCallTimeout, which caps every
	// namespace's (default and Unlimited: that cap alone). A spawn asking
	// for more fails with ErrQuota; one that asks for nothing gets the
	// lesser of the default deadline and this cap.
	CallTimeout time.Duration `json:"call_timeout,omitempty"`
}

// Unlimited, as a Quota field (or Config.MaxDepth), lifts the bound.
const Unlimited = -1

// Upper bounds of Options' numeric fields (docs/API.md, "Options"): far
// above any sane use, low enough that no arithmetic on them overflows and
// no request can ask the host for an absurd amount of anything.
const (
	// MaxMemoryPages is the largest Options.MemoryPages: 4 GiB, all a
	// 32-bit linear memory can address.
	MaxMemoryPages        = 65536
	maxMaxPending         = 10_000_000
	maxMaxRestarts        = 1_000_000
	maxMaxChildren        = 1_000_000
	maxFuel               = 1 << 62
	maxCheckpointEvery    = 1_000_000_000
	maxCheckpointInterval = 365 * 24 * time.Hour
	maxQuantity           = 1e9     // num_cpus, num_gpus, each custom resource
	maxMemoryRequest      = 1 << 50 // Options.Memory, bytes
	maxResources          = 64      // custom resources per actor
)

// Validate checks o against the bounds of every field (docs/API.md,
// "Options"), the name grammar and Ray's rules for resource requests. It
// fails with an error wrapping ErrInvalidOptions.
func (o Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
	}
	switch {
	case o.MemoryPages > MaxMemoryPages:
		return bad("memory_pages %d exceeds the maximum of %d (4 GiB)", o.MemoryPages, MaxMemoryPages)
	case val(o.CallTimeout) < 0:
		return bad("negative call_timeout")
	case o.MaxPending < 0 || o.MaxPending > maxMaxPending:
		return bad("max_pending %d out of range [0, %d]", o.MaxPending, maxMaxPending)
	case val(o.MaxRestarts) < -1 || val(o.MaxRestarts) > maxMaxRestarts:
		return bad("max_restarts %d: want -1 (unlimited) or 0 to %d", val(o.MaxRestarts), maxMaxRestarts)
	case val(o.Fuel) > maxFuel:
		return bad("fuel %d exceeds the maximum of %d (2^62)", val(o.Fuel), uint64(maxFuel))
	case val(o.MaxChildren) < 0 || val(o.MaxChildren) > maxMaxChildren:
		return bad("max_children %d out of range [0, %d]", val(o.MaxChildren), maxMaxChildren)
	case val(o.CheckpointEvery) > maxCheckpointEvery:
		return bad("checkpoint_every %d exceeds the maximum of %d", val(o.CheckpointEvery), maxCheckpointEvery)
	case val(o.CheckpointInterval) > maxCheckpointInterval:
		return bad("checkpoint_interval %v exceeds the maximum of %v", val(o.CheckpointInterval), maxCheckpointInterval)
	case o.NumCPUs > maxQuantity || o.NumGPUs > maxQuantity:
		return bad("num_cpus and num_gpus may not exceed %g", float64(maxQuantity))
	case o.Memory > maxMemoryRequest:
		return bad("memory %d exceeds the maximum of %d bytes (1 PiB)", o.Memory, int64(maxMemoryRequest))
	case len(o.Resources) > maxResources:
		return bad("%d resources exceed the maximum of %d", len(o.Resources), maxResources)
	case o.GetIfExists && o.Name == "":
		return bad("get_if_exists needs a name")
	case o.MaxConcurrency < 0 || o.MaxConcurrency > 1:
		return bad("max_concurrency %d: only 1 is supported (a sandbox runs one call at a time; spawn several actors for parallelism)", o.MaxConcurrency)
	case val(o.CheckpointEvery) < 0 || val(o.CheckpointInterval) < 0:
		return bad("negative checkpoint_every or checkpoint_interval")
	}
	if o.Name != "" {
		if err := CheckName("actor name", o.Name); err != nil {
			return err
		}
	}
	if err := CheckName("namespace", o.Namespace); err != nil {
		return err
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
		if err := CheckResourceName(k); err != nil {
			return err
		}
		if err := checkQuantity("resources["+k+"]", v); err != nil {
			return err
		}
		if v > maxQuantity {
			return bad("resources[%s] %v exceeds the maximum of %g", k, v, float64(maxQuantity))
		}
	}
	return nil
}

func checkQuantity(name string, v float64) error {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%w: %s must be a finite number >= 0, got %v", ErrInvalidOptions, name, v)
	}
	return nil
}

// Validate checks that every field is Unlimited, 0 (default) or positive.
func (q Quota) Validate() error {
	if q.Actors < Unlimited || q.PendingCalls < Unlimited || q.Waiting < Unlimited || q.Classes < Unlimited || q.Memory < Unlimited || q.ClassBytes < Unlimited ||
		q.CallTimeout < Unlimited {
		return fmt.Errorf("%w: quota fields must be -1 (unlimited), 0 (default) or positive", ErrInvalidOptions)
	}
	return nil
}

// WithDefaults fills the zero fields of q from d.
func (q Quota) WithDefaults(d Quota) Quota {
	q.Actors = cmp.Or(q.Actors, d.Actors)
	q.Memory = cmp.Or(q.Memory, d.Memory)
	q.PendingCalls = cmp.Or(q.PendingCalls, d.PendingCalls)
	q.Waiting = cmp.Or(q.Waiting, d.Waiting)
	q.Classes = cmp.Or(q.Classes, d.Classes)
	q.ClassBytes = cmp.Or(q.ClassBytes, d.ClassBytes)
	q.CallTimeout = cmp.Or(q.CallTimeout, d.CallTimeout)
	return q
}

// CheckResourceName checks a custom resource's name (Options.Resources,
// the host's Config.Node.Custom): the name grammar (CheckName), and not a
// built-in resource's name in any case ("CPU", "gpu", "Memory",
// "object_store_memory"), which has its own field. It is the one check of
// resource names: the scheduler refuses the same names.
func CheckResourceName(name string) error {
	if err := CheckName("resource name", name); err != nil {
		return err
	}
	if IsBuiltinResource(name) {
		return fmt.Errorf("%w: resource %q: use the dedicated field (num_cpus, num_gpus, memory)", ErrInvalidOptions, name)
	}
	return nil
}

// IsBuiltinResource reports whether name is, in any case, the name of a
// built-in resource: cpu, gpu, memory or object_store_memory.
func IsBuiltinResource(name string) bool {
	switch strings.ToLower(name) {
	case "cpu", "gpu", "memory", "object_store_memory":
		return true
	}
	return false
}

// Ptr returns a pointer to v: Options' optional fields take one, so that
// an explicit zero (Ptr(0)) differs from the default (nil).
func Ptr[T any](v T) *T { return &v }

// val is *p, or zero for nil.
func val[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
