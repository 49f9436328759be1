package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// Over HTTP, an actor whose constructor calls exit is created (201) dead,
// reason exited, and a call to it is 410 actor_died, reason exited.
func TestAPI_ExitInConstructor(t *testing.T) {
	e := newEnv(t, nil)
	class := e.c.upload(readWasm(t, "host/testdata/init_exit.wasm"))
	a := e.c.spawn(class.ID, nil, map[string]any{"name": "brief"})
	if a.State != host.StateDead || a.Death != string(host.DeathExited) {
		t.Fatalf("spawned %+v, want dead, exited", a)
	}
	got := e.c.do("POST", "/v1/actors/"+a.ID+"/call/get", map[string]any{"args": []any{}}).apiErr(http.StatusGone, codeActorDied)
	if got.Details["reason"] != string(host.DeathExited) {
		t.Fatalf("details %v", got.Details)
	}
	e.c.do("GET", "/v1/names/brief", nil).apiErr(http.StatusNotFound, codeActorNotFound)
}

// Over HTTP, the reply to a call that made the actor exit comes after its
// name is released: an immediate get-or-create spawn makes a new actor.
func TestAPI_ExitReleasesNameBeforeReply(t *testing.T) {
	e := newEnv(t, nil)
	class := e.c.upload(readWasm(t, "host/testdata/log.wasm"))
	opts := map[string]any{"name": "phoenix", "get_if_exists": true}
	a := e.c.spawn(class.ID, nil, opts)
	for i := range 20 {
		e.c.call(a.ID, "bye")
		b := e.c.spawn(class.ID, nil, opts)
		if b.ID == a.ID || b.State != host.StateAlive {
			t.Fatalf("round %d: get-or-create after exit gave %s (%s), want a new live actor", i, b.ID, b.State)
		}
		a = b
	}
}

// Over HTTP, a failed constructor leaves a dead actor listed in the
// namespace (reason constructor failed) whose log can be read.
func TestAPI_FailedConstructorIsKept(t *testing.T) {
	e := newEnv(t, nil)
	class := e.c.upload(readWasm(t, "host/testdata/init_log_error.wasm"))
	e.c.do("POST", "/v1/actors", map[string]any{"class": class.ID, "options": map[string]any{"name": "stillborn"}}).
		apiErr(http.StatusUnprocessableEntity, codeAppError)
	var list api.ActorList
	e.c.do("GET", "/v1/actors?state=dead", nil).ok(http.StatusOK, &list)
	if len(list.Actors) != 1 {
		t.Fatalf("dead actors %+v, want the failed one", list.Actors)
	}
	dead := list.Actors[0]
	if dead.Name != "stillborn" || dead.Death != string(host.DeathInitFailed) || dead.DeathError == "" {
		t.Fatalf("listed %+v", dead)
	}
	var shown api.WireActor
	e.c.do("GET", "/v1/actors/"+dead.ID, nil).ok(http.StatusOK, &shown)
	if shown.Death != string(host.DeathInitFailed) {
		t.Fatalf("shown %+v", shown)
	}
	logs := e.c.do("GET", "/v1/actors/"+dead.ID+"/logs", nil).ok(http.StatusOK, nil)
	if !strings.Contains(string(logs.body), "constructing") {
		t.Fatalf("logs %s", logs.body)
	}
	e.as(tokenB).do("GET", "/v1/actors/"+dead.ID, nil).apiErr(http.StatusNotFound, codeActorNotFound)
}
