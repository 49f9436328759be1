package host

import (
	"context"
	"errors"

	"github.com/wactor/wactor/host/directory"
)

// Session owns the actors spawned through it: when it is closed, they are
// killed (reason: owner gone), except detached ones. It models a driver
// program in Ray, or a client connection of the API server. Safe for
// concurrent use.
type Session struct {
	h   *Host
	own directory.Owner[*actor]
}

// NewSession starts a session.
func (h *Host) NewSession() *Session { return &Session{h: h} }

// Spawn is Host.Spawn with the actor owned by the session (unless
// opts.Detached).
func (s *Session) Spawn(ctx context.Context, classID string, opts Options, args ...any) (*Actor, error) {
	return s.h.spawnFor(ctx, &s.own, classID, opts, args)
}

// Close kills the session's actors and refuses further spawns.
func (s *Session) Close(ctx context.Context) error {
	owned, _ := s.h.dir.CloseOwner(&s.own)
	for _, a := range owned {
		a.die(DeathOwnerGone, errors.New("session closed"))
	}
	return ctx.Err()
}
