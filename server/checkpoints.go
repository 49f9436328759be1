package server

import (
	"log/slog"
	"net/http"

	"github.com/wactor/wactor/host"
)

// createCheckpoint: POST /v1/actors/{id}/checkpoints, taken between two
// calls (in order with this request's view of the actor's calls).
func (s *Server) createCheckpoint(rq *request) error {
	a, err := s.actor(rq)
	if err != nil {
		return err
	}
	info, err := a.Checkpoint(rq.ctx())
	if err != nil {
		return err
	}
	rq.logEvent("checkpoint taken", slog.String("actor", a.ID()), slog.String("checkpoint", info.ID))
	rq.reply(http.StatusCreated, info)
	return nil
}

// nodeUsage: GET /v1/node, the host's resource use (host.NodeUsage).
func (s *Server) nodeUsage(rq *request) error {
	rq.reply(http.StatusOK, s.host.Usage())
	return nil
}

// namespaceUsage: GET /v1/namespace, what the caller's namespace holds
// against its quota (host.NamespaceUsage): its own, so any token may ask.
func (s *Server) namespaceUsage(rq *request) error {
	rq.reply(http.StatusOK, s.host.NamespaceUsage(rq.ns))
	return nil
}

// listCheckpoints: GET /v1/actors/{id}/checkpoints, newest first.
func (s *Server) listCheckpoints(rq *request) error {
	a, err := s.actor(rq)
	if err != nil {
		return err
	}
	list, err := a.Checkpoints(rq.ctx())
	if err != nil {
		return err
	}
	rq.reply(http.StatusOK, struct {
		Checkpoints []host.CheckpointInfo `json:"checkpoints"`
	}{list})
	return nil
}

// restoreActor: POST /v1/actors/{id}/restore {"checkpoint": id}.
func (s *Server) restoreActor(rq *request) error {
	a, err := s.actor(rq)
	if err != nil {
		return err
	}
	var body struct {
		Checkpoint string `json:"checkpoint"`
	}
	if err := rq.decode(&body); err != nil {
		return err
	}
	if body.Checkpoint == "" {
		return newError(codeInvalidArgument, "checkpoint is required")
	}
	if err := a.Restore(rq.ctx(), body.Checkpoint); err != nil {
		return err
	}
	rq.logEvent("actor restored", slog.String("actor", a.ID()), slog.String("checkpoint", body.Checkpoint))
	rq.reply(http.StatusOK, a.Info().Wire())
	return nil
}

// repairActor: POST /v1/actors/{id}/repair {"checkpoint": id}, a damaged
// actor brought back from a checkpoint on disk ("" or absent: the newest
// that decodes); see host.Host.RepairActor.
func (s *Server) repairActor(rq *request) error {
	id := rq.r.PathValue("id")
	rq.info.actor = id
	if _, err := s.actorInfo(rq.ctx(), rq.ns, id); err != nil {
		return err
	}
	var body struct {
		Checkpoint string `json:"checkpoint"`
	}
	if err := rq.decode(&body); err != nil {
		return err
	}
	info, err := s.host.RepairActor(rq.ctx(), id, body.Checkpoint)
	if err != nil {
		return err
	}
	rq.logEvent("damaged actor repaired", slog.String("actor", id), slog.String("checkpoint", body.Checkpoint))
	rq.reply(http.StatusOK, info.Wire())
	return nil
}

// discardActor: POST /v1/actors/{id}/discard, a damaged actor given up (its
// files kept aside on the server); see host.Host.DiscardActor.
func (s *Server) discardActor(rq *request) error {
	id := rq.r.PathValue("id")
	rq.info.actor = id
	if _, err := s.actorInfo(rq.ctx(), rq.ns, id); err != nil {
		return err
	}
	if err := s.host.DiscardActor(rq.ctx(), id); err != nil {
		return err
	}
	rq.logEvent("damaged actor discarded", slog.String("actor", id))
	rq.noContent()
	return nil
}
