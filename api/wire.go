package api

import (
	"encoding/json"
	"time"
)

// WireOptions is Options as the HTTP API carries them (docs/API.md,
// "Options"): durations in whole milliseconds, zero fields omitted (they
// take the server's defaults) but for the optional ones (pointers, as in
// Options), sent when set: an explicit 0 asks for zero. It is the "options" of a spawn request and
// of an actor in a response. (Options' own JSON form, with durations in
// nanoseconds, is what a host keeps on disk.)
type WireOptions struct {
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

// Wire returns o as the HTTP API carries it. CallTimeout and
// CheckpointInterval are rounded up to whole milliseconds (a positive
// duration under 1ms is 1, not 0: "none").
func (o Options) Wire() WireOptions {
	return WireOptions{
		Name: o.Name, Namespace: o.Namespace, GetIfExists: o.GetIfExists, Detached: o.Detached,
		MaxChildren: o.MaxChildren, MemoryPages: o.MemoryPages,
		CallTimeoutMS: toMS(o.CallTimeout),
		MaxPending:    o.MaxPending, MaxRestarts: o.MaxRestarts, Fuel: o.Fuel,
		Durable: o.Durable, CheckpointEvery: o.CheckpointEvery, CheckpointIntervalMS: toMS(o.CheckpointInterval),
		MaxConcurrency: o.MaxConcurrency,
		NumCPUs:        o.NumCPUs, NumGPUs: o.NumGPUs, Memory: o.Memory, Resources: o.Resources,
	}
}

// Options converts back. It does not validate (Options.Validate does).
func (o WireOptions) Options() Options {
	return Options{
		Name: o.Name, Namespace: o.Namespace, GetIfExists: o.GetIfExists, Detached: o.Detached,
		MaxChildren: o.MaxChildren, MemoryPages: o.MemoryPages,
		CallTimeout: fromMS(o.CallTimeoutMS),
		MaxPending:  o.MaxPending, MaxRestarts: o.MaxRestarts, Fuel: o.Fuel,
		Durable: o.Durable, CheckpointEvery: o.CheckpointEvery, MaxConcurrency: o.MaxConcurrency,
		CheckpointInterval: fromMS(o.CheckpointIntervalMS),
		NumCPUs:            o.NumCPUs, NumGPUs: o.NumGPUs, Memory: o.Memory, Resources: o.Resources,
	}
}

// WireActor is ActorInfo as the HTTP API carries it (docs/API.md,
// "ActorInfo"), in JSON and in CBOR: the namespace at the top as well as in
// the options, and the options as WireOptions.
type WireActor struct {
	ID          string      `json:"id"`
	Name        string      `json:"name,omitempty"`
	Namespace   string      `json:"namespace"`
	Class       string      `json:"class"`
	State       State       `json:"state"`
	QueueLen    int         `json:"queue_len"`
	MemoryBytes uint64      `json:"memory_bytes"`
	CallsServed uint64      `json:"calls_served"`
	Restarts    int         `json:"restarts"`
	Checkpoints int         `json:"checkpoints"`
	Options     WireOptions `json:"options"`
	Created     time.Time   `json:"created"`
	Running     string      `json:"running,omitempty"`
	Death       string      `json:"death,omitempty"`
	DeathError  string      `json:"death_error,omitempty"`
	// Damage says why a damaged actor is not served.
	Damage *Damage `json:"damage,omitempty"`
}

// Wire returns i as the HTTP API carries it; the namespace is its options'.
func (i ActorInfo) Wire() WireActor {
	return WireActor{
		ID: i.ID, Name: i.Name, Namespace: i.Options.Namespace, Class: i.Class, State: i.State,
		QueueLen: i.QueueLen, MemoryBytes: i.MemoryBytes, CallsServed: i.CallsServed, Restarts: i.Restarts, Checkpoints: i.Checkpoints,
		Options: i.Options.Wire(), Created: i.Created, Running: i.Running,
		Death: string(i.Death), DeathError: i.DeathError, Damage: i.Damage,
	}
}

// Info converts back. The options' namespace is the top-level one when the
// options leave it out.
func (a WireActor) Info() ActorInfo {
	opts := a.Options.Options()
	if opts.Namespace == "" {
		opts.Namespace = a.Namespace
	}
	return ActorInfo{
		ID: a.ID, Name: a.Name, Class: a.Class, State: a.State, QueueLen: a.QueueLen,
		MemoryBytes: a.MemoryBytes, CallsServed: a.CallsServed, Restarts: a.Restarts, Checkpoints: a.Checkpoints,
		Options: opts, Created: a.Created, Running: a.Running,
		Death: DeathReason(a.Death), DeathError: a.DeathError, Damage: a.Damage,
	}
}

// MarshalJSON encodes i in the HTTP API's form (WireActor).
func (i ActorInfo) MarshalJSON() ([]byte, error) { return json.Marshal(i.Wire()) }

// UnmarshalJSON decodes the HTTP API's form (WireActor).
func (i *ActorInfo) UnmarshalJSON(b []byte) error {
	var a WireActor
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	*i = a.Info()
	return nil
}

// ActorList is the body of GET /v1/actors.
type ActorList struct {
	Actors []WireActor `json:"actors"`
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

// MarshalJSON encodes o in the HTTP API's form (WireOptions).
func (o Options) MarshalJSON() ([]byte, error) { return json.Marshal(o.Wire()) }

// UnmarshalJSON decodes the HTTP API's form (WireOptions).
func (o *Options) UnmarshalJSON(b []byte) error {
	var w WireOptions
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*o = w.Options()
	return nil
}
