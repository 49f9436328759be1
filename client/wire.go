package client

import (
	"time"

	"github.com/wactor/wactor/host"
)

// wireOptions is host.Options as the API sends it: durations in
// milliseconds (call_timeout_ms).
type wireOptions struct {
	Name          string             `json:"name,omitempty"`
	Namespace     string             `json:"namespace,omitempty"`
	GetIfExists   bool               `json:"get_if_exists,omitempty"`
	Detached      bool               `json:"detached,omitempty"`
	MaxChildren   int                `json:"max_children,omitempty"`
	MemoryPages   uint32             `json:"memory_pages,omitempty"`
	CallTimeoutMS int64              `json:"call_timeout_ms,omitempty"`
	MaxPending    int                `json:"max_pending,omitempty"`
	MaxRestarts   int                `json:"max_restarts,omitempty"`
	NumCPUs       float64            `json:"num_cpus,omitempty"`
	NumGPUs       float64            `json:"num_gpus,omitempty"`
	Memory        int64              `json:"memory,omitempty"`
	Resources     map[string]float64 `json:"resources,omitempty"`
}

func toWireOptions(o host.Options) wireOptions {
	ms := o.CallTimeout.Milliseconds()
	if ms == 0 && o.CallTimeout > 0 {
		ms = 1 // a sub-millisecond timeout is not "the default"
	}
	return wireOptions{
		Name: o.Name, Namespace: o.Namespace, GetIfExists: o.GetIfExists, Detached: o.Detached,
		MaxChildren: o.MaxChildren, MemoryPages: o.MemoryPages, CallTimeoutMS: ms,
		MaxPending: o.MaxPending, MaxRestarts: o.MaxRestarts,
		NumCPUs: o.NumCPUs, NumGPUs: o.NumGPUs, Memory: o.Memory, Resources: o.Resources,
	}
}

func (o wireOptions) host() host.Options {
	return host.Options{
		Name: o.Name, Namespace: o.Namespace, GetIfExists: o.GetIfExists, Detached: o.Detached,
		MaxChildren: o.MaxChildren, MemoryPages: o.MemoryPages,
		CallTimeout: time.Duration(o.CallTimeoutMS) * time.Millisecond,
		MaxPending:  o.MaxPending, MaxRestarts: o.MaxRestarts,
		NumCPUs: o.NumCPUs, NumGPUs: o.NumGPUs, Memory: o.Memory, Resources: o.Resources,
	}
}

// wireActor is host.ActorInfo as the API sends it.
type wireActor struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Namespace   string      `json:"namespace"`
	Class       string      `json:"class"`
	State       host.State  `json:"state"`
	QueueLen    int         `json:"queue_len"`
	MemoryBytes uint64      `json:"memory_bytes"`
	CallsServed uint64      `json:"calls_served"`
	Restarts    int         `json:"restarts"`
	Checkpoints int         `json:"checkpoints"`
	Options     wireOptions `json:"options"`
	Created     time.Time   `json:"created"`
	Running     string      `json:"running"`
	Death       string      `json:"death"`
	DeathError  string      `json:"death_error"`
}

func (a wireActor) host() host.ActorInfo {
	opts := a.Options.host()
	if opts.Namespace == "" {
		opts.Namespace = a.Namespace
	}
	return host.ActorInfo{
		ID: a.ID, Name: a.Name, Class: a.Class, State: a.State, QueueLen: a.QueueLen,
		MemoryBytes: a.MemoryBytes, CallsServed: a.CallsServed, Restarts: a.Restarts, Checkpoints: a.Checkpoints,
		Options: opts, Created: a.Created, Running: a.Running,
		Death: host.DeathReason(a.Death), DeathError: a.DeathError,
	}
}
