// Package wire holds the JSON shapes of docs/API.md shared by the server
// (internal/server) and the Go client (client): one definition of each
// shape, with its conversions from the host's types and back to them. The
// CLI prints these shapes for -o json.
package wire

import (
	"time"

	"github.com/wactor/wactor/host"
)

// Options is host.Options on the wire (docs/API.md, "Options"), with
// durations in milliseconds. Zero fields are omitted: they take the
// server's defaults; the optional ones (pointers, as in host.Options) are
// sent when set, so an explicit 0 asks for zero (no restarts, no deadline
// of the actor's own, no fuel limit, no checkpoint policy, no children).
type Options struct {
	Name          string  `json:"name,omitempty"`
	Namespace     string  `json:"namespace,omitempty"`
	GetIfExists   bool    `json:"get_if_exists,omitempty"`
	Detached      bool    `json:"detached,omitempty"`
	MaxChildren   *int    `json:"max_children,omitempty"`
	MemoryPages   uint32  `json:"memory_pages,omitempty"`
	CallTimeoutMS *int64  `json:"call_timeout_ms,omitempty"`
	MaxPending    int     `json:"max_pending,omitempty"`
	MaxRestarts   *int    `json:"max_restarts,omitempty"`
	Fuel          *uint64 `json:"fuel,omitempty"`
	Durable       bool    `json:"durable,omitempty"`
	// MaxConcurrency is Ray's max_concurrency (only 1 is supported).
	MaxConcurrency int `json:"max_concurrency,omitempty"`
	// CheckpointEvery and CheckpointIntervalMS are the checkpoint policy.
	CheckpointEvery      *int               `json:"checkpoint_every,omitempty"`
	CheckpointIntervalMS *int64             `json:"checkpoint_interval_ms,omitempty"`
	NumCPUs              float64            `json:"num_cpus,omitempty"`
	NumGPUs              float64            `json:"num_gpus,omitempty"`
	Memory               int64              `json:"memory,omitempty"`
	Resources            map[string]float64 `json:"resources,omitempty"`
}

// FromOptions converts host options; durations are rounded up to whole
// milliseconds.
func FromOptions(o host.Options) Options {
	return Options{
		Name: o.Name, Namespace: o.Namespace, GetIfExists: o.GetIfExists, Detached: o.Detached,
		MaxChildren: o.MaxChildren, MemoryPages: o.MemoryPages,
		CallTimeoutMS: toMS(o.CallTimeout),
		MaxPending:    o.MaxPending, MaxRestarts: o.MaxRestarts, Fuel: o.Fuel,
		Durable: o.Durable, CheckpointEvery: o.CheckpointEvery, CheckpointIntervalMS: toMS(o.CheckpointInterval),
		MaxConcurrency: o.MaxConcurrency,
		NumCPUs:        o.NumCPUs, NumGPUs: o.NumGPUs, Memory: o.Memory, Resources: o.Resources,
	}
}

// ToHost converts back to host options. It does not validate: the host
// does (and the server checks the namespace and the timeout's range first).
func (o Options) ToHost() host.Options {
	return host.Options{
		Name: o.Name, Namespace: o.Namespace, GetIfExists: o.GetIfExists, Detached: o.Detached,
		MaxChildren: o.MaxChildren, MemoryPages: o.MemoryPages,
		CallTimeout: fromMS(o.CallTimeoutMS),
		MaxPending:  o.MaxPending, MaxRestarts: o.MaxRestarts, Fuel: o.Fuel,
		Durable: o.Durable, CheckpointEvery: o.CheckpointEvery, MaxConcurrency: o.MaxConcurrency,
		CheckpointInterval: fromMS(o.CheckpointIntervalMS),
		NumCPUs:            o.NumCPUs, NumGPUs: o.NumGPUs, Memory: o.Memory, Resources: o.Resources,
	}
}

// toMS is a duration in whole milliseconds, rounded up (a positive
// duration under 1ms is 1, not 0: "none"); nil stays nil.
func toMS(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	ms := (*d + time.Millisecond - 1).Milliseconds()
	if *d <= 0 {
		ms = d.Milliseconds()
	}
	return &ms
}

// fromMS is toMS reversed.
func fromMS(ms *int64) *time.Duration {
	if ms == nil {
		return nil
	}
	d := time.Duration(*ms) * time.Millisecond
	return &d
}

// Actor is host.ActorInfo on the wire (docs/API.md, "ActorInfo"): the
// namespace at the top as well as in the options.
type Actor struct {
	ID          string     `json:"id"`
	Name        string     `json:"name,omitempty"`
	Namespace   string     `json:"namespace"`
	Class       string     `json:"class"`
	State       host.State `json:"state"`
	QueueLen    int        `json:"queue_len"`
	MemoryBytes uint64     `json:"memory_bytes"`
	CallsServed uint64     `json:"calls_served"`
	Restarts    int        `json:"restarts"`
	Checkpoints int        `json:"checkpoints"`
	Options     Options    `json:"options"`
	Created     time.Time  `json:"created"`
	Running     string     `json:"running,omitempty"`
	Death       string     `json:"death,omitempty"`
	DeathError  string     `json:"death_error,omitempty"`
	// Damage says why a damaged actor is not served.
	Damage *host.Damage `json:"damage,omitempty"`
}

// FromActorInfo converts an actor's state; the namespace is its options'.
func FromActorInfo(i host.ActorInfo) Actor {
	return Actor{
		ID: i.ID, Name: i.Name, Namespace: i.Options.Namespace, Class: i.Class, State: i.State,
		QueueLen: i.QueueLen, MemoryBytes: i.MemoryBytes, CallsServed: i.CallsServed, Restarts: i.Restarts, Checkpoints: i.Checkpoints,
		Options: FromOptions(i.Options), Created: i.Created, Running: i.Running,
		Death: string(i.Death), DeathError: i.DeathError, Damage: i.Damage,
	}
}

// ToHost converts back to the host's form. The options' namespace is the
// top-level one when the options leave it out.
func (a Actor) ToHost() host.ActorInfo {
	opts := a.Options.ToHost()
	if opts.Namespace == "" {
		opts.Namespace = a.Namespace
	}
	return host.ActorInfo{
		ID: a.ID, Name: a.Name, Class: a.Class, State: a.State, QueueLen: a.QueueLen,
		MemoryBytes: a.MemoryBytes, CallsServed: a.CallsServed, Restarts: a.Restarts, Checkpoints: a.Checkpoints,
		Options: opts, Created: a.Created, Running: a.Running,
		Death: host.DeathReason(a.Death), DeathError: a.DeathError, Damage: a.Damage,
	}
}

// ActorList is the body of GET /v1/actors.
type ActorList struct {
	Actors []Actor `json:"actors"`
}
