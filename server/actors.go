package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// maxTimeoutMs bounds the millisecond durations of requests (7 days).
const maxTimeoutMs = 7 * 24 * 3600 * 1000

// maxCheckpointIntervalMs bounds options.checkpoint_interval_ms (365 days,
// the host's bound on Options.CheckpointInterval).
const maxCheckpointIntervalMs = 365 * 24 * 3600 * 1000

// spawnOptions converts spawn options; the actor goes to the caller's
// namespace, and asking for another one is forbidden.
func spawnOptions(o api.WireOptions, namespace string) (host.Options, error) {
	if o.Namespace != "" && o.Namespace != namespace {
		return host.Options{}, fmt.Errorf("%w: options.namespace %q: this token may only spawn in namespace %q", host.ErrForbidden, o.Namespace, namespace)
	}
	if ms := deref(o.CallTimeoutMS); ms < 0 || ms > maxTimeoutMs {
		return host.Options{}, newError(codeInvalidArgument, "options.call_timeout_ms %d out of range [0, %d]", ms, maxTimeoutMs)
	}
	// Checked in milliseconds, before the conversion to a duration can
	// overflow; the host bounds the rest.
	if ms := deref(o.CheckpointIntervalMS); ms < 0 || ms > maxCheckpointIntervalMs {
		return host.Options{}, newError(codeInvalidArgument, "options.checkpoint_interval_ms %d out of range [0, %d]", ms, maxCheckpointIntervalMs)
	}
	opts := o.Options()
	opts.Namespace = namespace
	return opts, nil
}

// actorIn returns a handle to the live actor id of namespace; another
// namespace's actors are not found, exactly like missing ones. A recently
// dead actor of the namespace is an *host.ActorDiedError (410), a damaged
// one a *host.DamagedError (409).
func (s *Server) actorIn(ctx context.Context, namespace, id string) (*host.Actor, error) {
	a, err := s.host.Actor(ctx, id)
	if err == nil && a.Namespace() == namespace {
		return a, nil
	}
	if info, ierr := s.host.Info(ctx, id); ierr == nil && info.Options.Namespace == namespace {
		switch {
		case info.State == host.StateDead:
			return nil, &host.ActorDiedError{ActorID: id, Reason: info.Death}
		case errors.Is(err, host.ErrDamaged):
			return nil, err // 409, with the reason
		}
	}
	return nil, fmt.Errorf("%w: %s", host.ErrActorNotFound, id)
}

// actorInfo returns the state of a live or kept dead actor of namespace.
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

// args converts a request's arguments for host.Actor.Submit or host.Spawn:
// each one as it is scanned, into one buffer bounded by the host's
// max_arg_bytes (values.go: jsonArgs, cborArgs).
func (s *Server) args(rq *request, raw rawArgs) ([]any, error) {
	if raw.data == nil {
		return nil, nil
	}
	res := resolver{s, rq}
	budget := s.host.Config().MaxArgBytes
	if raw.isCBOR {
		return cborArgs(raw.data, res)
	}
	return jsonArgs(raw.data, res, budget)
}

// spawnRequest is the body of POST /v1/actors.
type spawnRequest struct {
	Class   string          `json:"class"`
	Args    rawArgs         `json:"args"`
	Options api.WireOptions `json:"options"`
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
	opts, err := spawnOptions(req.Options, rq.ns)
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
	rq.reply(http.StatusCreated, a.Info().Wire())
	return nil
}

// listActors: GET /v1/actors?class=&name=&state=, the namespace's live
// actors and its share of the dead ones the host keeps (host.Config.KeepDead), in creation order.
func (s *Server) listActors(rq *request) error {
	q := rq.r.URL.Query()
	class, name, state := q.Get("class"), q.Get("name"), host.State(q.Get("state"))
	switch state {
	case "", host.StatePending, host.StateAlive, host.StateRestarting, host.StateDead:
	default:
		return newError(codeBadRequest, "query parameter state=%q: want pending, alive, restarting or dead", state)
	}
	out := api.ActorList{Actors: []api.WireActor{}}
	for _, a := range s.host.Actors() {
		if a.Options.Namespace != rq.ns || class != "" && a.Class != class ||
			name != "" && a.Name != name || state != "" && a.State != state {
			continue
		}
		out.Actors = append(out.Actors, a.Wire())
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
	rq.reply(http.StatusOK, info.Wire())
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
	rq.reply(http.StatusOK, a.Info().Wire())
	return nil
}

// deref is *p, or 0 for nil.
func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
