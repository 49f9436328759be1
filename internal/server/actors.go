package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/wactor/wactor/host"
)

// maxTimeoutMs bounds the millisecond durations of requests (7 days).
const maxTimeoutMs = 7 * 24 * 3600 * 1000

// wireOptions is host.Options on the wire (docs/API.md, "Options"), with
// durations in milliseconds.
type wireOptions struct {
	Name          string             `json:"name,omitempty"`
	Namespace     string             `json:"namespace,omitempty"`
	GetIfExists   bool               `json:"get_if_exists,omitempty"`
	Detached      bool               `json:"detached,omitempty"`
	MaxChildren   int                `json:"max_children,omitempty"`
	MemoryPages   uint32             `json:"memory_pages,omitempty"`
	CallTimeoutMs int64              `json:"call_timeout_ms,omitempty"`
	MaxPending    int                `json:"max_pending,omitempty"`
	MaxRestarts   int                `json:"max_restarts,omitempty"`
	NumCPUs       float64            `json:"num_cpus,omitempty"`
	NumGPUs       float64            `json:"num_gpus,omitempty"`
	Memory        int64              `json:"memory,omitempty"`
	Resources     map[string]float64 `json:"resources,omitempty"`
}

// hostOptions converts spawn options; the actor goes to the caller's
// namespace, and asking for another one is forbidden.
func (o wireOptions) hostOptions(namespace string) (host.Options, error) {
	if o.Namespace != "" && o.Namespace != namespace {
		return host.Options{}, newError(codeForbidden, "options.namespace %q: this token may only spawn in namespace %q", o.Namespace, namespace)
	}
	if o.CallTimeoutMs < 0 || o.CallTimeoutMs > maxTimeoutMs {
		return host.Options{}, newError(codeInvalidArgument, "options.call_timeout_ms %d out of range [0, %d]", o.CallTimeoutMs, maxTimeoutMs)
	}
	return host.Options{
		Name: o.Name, Namespace: namespace, GetIfExists: o.GetIfExists, Detached: o.Detached,
		MaxChildren: o.MaxChildren, MemoryPages: o.MemoryPages,
		CallTimeout: time.Duration(o.CallTimeoutMs) * time.Millisecond,
		MaxPending:  o.MaxPending, MaxRestarts: o.MaxRestarts,
		NumCPUs: o.NumCPUs, NumGPUs: o.NumGPUs, Memory: o.Memory, Resources: o.Resources,
	}, nil
}

func toWireOptions(o host.Options) wireOptions {
	return wireOptions{
		Name: o.Name, Namespace: o.Namespace, GetIfExists: o.GetIfExists, Detached: o.Detached,
		MaxChildren: o.MaxChildren, MemoryPages: o.MemoryPages,
		CallTimeoutMs: o.CallTimeout.Milliseconds(),
		MaxPending:    o.MaxPending, MaxRestarts: o.MaxRestarts,
		NumCPUs: o.NumCPUs, NumGPUs: o.NumGPUs, Memory: o.Memory, Resources: o.Resources,
	}
}

// wireActor is host.ActorInfo on the wire (docs/API.md, "ActorInfo").
type wireActor struct {
	ID          string      `json:"id"`
	Name        string      `json:"name,omitempty"`
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
	Running     string      `json:"running,omitempty"`
	Death       string      `json:"death,omitempty"`
	DeathError  string      `json:"death_error,omitempty"`
}

func toWireActor(i host.ActorInfo) wireActor {
	return wireActor{
		ID: i.ID, Name: i.Name, Namespace: i.Options.Namespace, Class: i.Class, State: i.State,
		QueueLen: i.QueueLen, MemoryBytes: i.MemoryBytes, CallsServed: i.CallsServed, Restarts: i.Restarts, Checkpoints: i.Checkpoints,
		Options: toWireOptions(i.Options), Created: i.Created, Running: i.Running,
		Death: string(i.Death), DeathError: i.DeathError,
	}
}

// actorIn returns a handle to the live actor id of namespace; another
// namespace's actors are not found, exactly like missing ones. A recently
// dead actor of the namespace is an *host.ActorDiedError (410).
func (s *Server) actorIn(ctx context.Context, namespace, id string) (*host.Actor, error) {
	a, err := s.host.Actor(ctx, id)
	if err == nil && a.Namespace() == namespace {
		return a, nil
	}
	if info, ierr := s.host.Info(ctx, id); ierr == nil && info.Options.Namespace == namespace && info.State == host.StateDead {
		return nil, &host.ActorDiedError{ActorID: id, Reason: info.Death}
	}
	return nil, fmt.Errorf("%w: %s", host.ErrActorNotFound, id)
}

// actorInfo returns the state of a live or recently dead actor of namespace.
func (s *Server) actorInfo(ctx context.Context, namespace, id string) (host.ActorInfo, error) {
	info, err := s.host.Info(ctx, id)
	if err != nil || info.Options.Namespace != namespace {
		return host.ActorInfo{}, fmt.Errorf("%w: %s", host.ErrActorNotFound, id)
	}
	return info, nil
}

// actor returns the actor named by the path's {id} in the caller's namespace.
func (s *Server) actor(rq *request) (*host.Actor, error) {
	id := rq.r.PathValue("id")
	rq.info.actor = id
	return s.actorIn(rq.ctx(), rq.ns, id)
}

// resolver resolves argument references in the caller's namespace.
type resolver struct {
	s  *Server
	rq *request
}

func (r resolver) actorClass(id string) (string, error) {
	a, err := r.s.actorIn(r.rq.ctx(), r.rq.ns, id)
	if err != nil {
		return "", err
	}
	return a.Class(), nil
}

func (r resolver) future(id string) (*host.Future, error) {
	return r.s.futures.get(r.rq.ns, id, time.Now())
}

// args converts a request's arguments for host.Actor.Submit or host.Spawn.
func (s *Server) args(rq *request, raw []rawArg) ([]any, error) {
	res := resolver{s, rq}
	out := make([]any, len(raw))
	for i, a := range raw {
		var (
			v   any
			err error
		)
		if a.isCBOR {
			v, err = cborArg(a.data, res)
		} else {
			v, err = jsonArg(a.data, res)
		}
		if err != nil {
			e := errorFor(err)
			return nil, &apiError{Code: e.Code, Message: fmt.Sprintf("argument %d: %s", i, e.Message), Details: e.Details}
		}
		out[i] = v
	}
	return out, nil
}

// spawnRequest is the body of POST /v1/actors.
type spawnRequest struct {
	Class   string      `json:"class"`
	Args    []rawArg    `json:"args"`
	Options wireOptions `json:"options"`
}

// spawnActor: POST /v1/actors. The actor is owned by the host (see the
// package comment) and lives in the caller's namespace.
func (s *Server) spawnActor(rq *request) error {
	var req spawnRequest
	if err := rq.decode(&req); err != nil {
		return err
	}
	if req.Class == "" {
		return newError(codeInvalidArgument, "class is required")
	}
	if !s.classes.owns(rq.ns, req.Class) {
		return fmt.Errorf("%w: %s", host.ErrClassNotFound, req.Class)
	}
	opts, err := req.Options.hostOptions(rq.ns)
	if err != nil {
		return err
	}
	args, err := s.args(rq, req.Args)
	if err != nil {
		return err
	}
	a, err := s.host.Spawn(rq.ctx(), req.Class, opts, args...)
	if err != nil {
		return err
	}
	rq.info.actor = a.ID()
	rq.logEvent("actor spawned", slog.String("actor", a.ID()), slog.String("class", a.Class()), slog.String("name", a.Name()))
	rq.reply(http.StatusCreated, toWireActor(a.Info()))
	return nil
}

// actorList is the body of GET /v1/actors.
type actorList struct {
	Actors []wireActor `json:"actors"`
}

// listActors: GET /v1/actors?class=&name=&state=, the namespace's live
// actors and its share of the host's last 1,000 dead ones, in creation order.
func (s *Server) listActors(rq *request) error {
	q := rq.r.URL.Query()
	class, name, state := q.Get("class"), q.Get("name"), host.State(q.Get("state"))
	switch state {
	case "", host.StatePending, host.StateAlive, host.StateRestarting, host.StateDead:
	default:
		return newError(codeBadRequest, "query parameter state=%q: want pending, alive, restarting or dead", state)
	}
	out := actorList{Actors: []wireActor{}}
	for _, a := range s.host.Actors(rq.ctx()) {
		if a.Options.Namespace != rq.ns || class != "" && a.Class != class ||
			name != "" && a.Name != name || state != "" && a.State != state {
			continue
		}
		out.Actors = append(out.Actors, toWireActor(a))
	}
	rq.reply(http.StatusOK, out)
	return nil
}

// showActor: GET /v1/actors/{id}, a live or recently dead actor.
func (s *Server) showActor(rq *request) error {
	id := rq.r.PathValue("id")
	rq.info.actor = id
	info, err := s.actorInfo(rq.ctx(), rq.ns, id)
	if err != nil {
		return err
	}
	rq.reply(http.StatusOK, toWireActor(info))
	return nil
}

// killActor: DELETE /v1/actors/{id}. Killing a dead actor succeeds.
func (s *Server) killActor(rq *request) error {
	a, err := s.actor(rq)
	if errors.Is(err, host.ErrActorDied) {
		rq.noContent()
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.Kill(rq.ctx()); err != nil {
		return err
	}
	rq.logEvent("actor killed", slog.String("actor", a.ID()))
	rq.noContent()
	return nil
}

// lookupName: GET /v1/names/{name}, the live actor of that name in the
// caller's namespace.
func (s *Server) lookupName(rq *request) error {
	a, err := s.host.Lookup(rq.ctx(), rq.ns, rq.r.PathValue("name"))
	if err != nil {
		return err
	}
	rq.info.actor = a.ID()
	rq.reply(http.StatusOK, toWireActor(a.Info()))
	return nil
}
