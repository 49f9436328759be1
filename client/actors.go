package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/wactor/wactor/api"
)

// Spawn creates an actor of a class (POST /v1/actors): it runs the
// constructor with args (which may include Futures) and returns the
// actor. The actor gets the token's namespace (opts.Namespace may be empty
// or that namespace; another one is ErrForbidden). opts.CallTimeout is sent
// in milliseconds (a positive timeout under 1ms as 1ms). With opts.Name and
// opts.GetIfExists it returns the live actor of that name instead of failing
// with ErrNameTaken. A failing constructor fails Spawn with ErrAppError or
// ErrTrap and leaves no live actor (the host lists it dead, reason
// "constructor failed"); one that calls exit returns the actor dead (exited).
func (c *Client) Spawn(ctx context.Context, class string, opts api.Options, args ...any) (api.ActorInfo, error) {
	wa, err := wireArgs(args)
	if err != nil {
		return api.ActorInfo{}, err
	}
	wo := opts.Wire()
	in := struct {
		Class   string          `json:"class"`
		Args    []any           `json:"args"`
		Options api.WireOptions `json:"options"`
	}{class, wa, wo}
	var info api.WireActor
	if _, err = c.doJSON(ctx, http.MethodPost, c.endpoint(nil, "/v1/actors"), in, &info); err != nil {
		return api.ActorInfo{}, err
	}
	return info.Info(), nil
}

// ActorFilter selects actors in Actors; empty fields match everything.
type ActorFilter struct {
	// Class is a class ID.
	Class string
	// Name is an actor name.
	Name string
	// State is "pending", "alive", "restarting" or "dead".
	State string
}

// Actors lists the live actors of the token's namespace that match the
// filter (GET /v1/actors).
func (c *Client) Actors(ctx context.Context, filter ActorFilter) ([]api.ActorInfo, error) {
	q := url.Values{}
	if filter.Class != "" {
		q.Set("class", filter.Class)
	}
	if filter.Name != "" {
		q.Set("name", filter.Name)
	}
	if filter.State != "" {
		q.Set("state", filter.State)
	}
	var out api.ActorList
	if _, err := c.doJSON(ctx, http.MethodGet, c.endpoint(q, "/v1/actors"), nil, &out); err != nil {
		return nil, err
	}
	infos := make([]api.ActorInfo, len(out.Actors))
	for i, a := range out.Actors {
		infos[i] = a.Info()
	}
	return infos, nil
}

// Actor returns one actor (GET /v1/actors/{id}); ErrActorNotFound for
// unknown IDs and for actors of other namespaces.
func (c *Client) Actor(ctx context.Context, id string) (api.ActorInfo, error) {
	return c.actorInfo(ctx, c.endpoint(nil, "/v1/actors/", id))
}

func (c *Client) actorInfo(ctx context.Context, u string) (api.ActorInfo, error) {
	var info api.WireActor
	if _, err := c.doJSON(ctx, http.MethodGet, u, nil, &info); err != nil {
		return api.ActorInfo{}, err
	}
	return info.Info(), nil
}

// Lookup returns the live actor with that name in the token's namespace
// (GET /v1/names/{name}).
func (c *Client) Lookup(ctx context.Context, name string) (api.ActorInfo, error) {
	return c.actorInfo(ctx, c.endpoint(nil, "/v1/names/", name))
}

// Kill kills an actor (DELETE /v1/actors/{id}): a running call is stopped,
// queued calls fail with ErrActorDied, and its name is released.
func (c *Client) Kill(ctx context.Context, id string) error {
	_, err := c.doJSON(ctx, http.MethodDelete, c.endpoint(nil, "/v1/actors/", id), nil, nil)
	return err
}

// Node returns the server's resource use (GET /v1/node). With a tokens
// file it needs an operator token (ErrForbidden otherwise).
func (c *Client) Node(ctx context.Context) (api.NodeUsage, error) {
	var u api.NodeUsage
	_, err := c.doJSON(ctx, "GET", c.endpoint(nil, "/v1/node"), nil, &u)
	return u, err
}

// Namespace returns what the token's namespace holds against its quota
// (GET /v1/namespace).
func (c *Client) Namespace(ctx context.Context) (api.NamespaceUsage, error) {
	var u api.NamespaceUsage
	_, err := c.doJSON(ctx, "GET", c.endpoint(nil, "/v1/namespace"), nil, &u)
	return u, err
}
