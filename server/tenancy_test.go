package server

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
)

// TestTenancyMatrix: for every route, namespace B cannot see, call, kill,
// spawn into or instantiate anything of namespace A, over the HTTP API and
// through a guest B uploaded (host/testdata/hostile_tenant.wat). Node-wide
// routes need the operator's token. A's actor, class and counter are
// untouched afterwards.
func TestTenancyMatrix(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.c, e.as(tokenB)

	counter, victim := e.counter(a, 100, map[string]any{"name": "victim"})
	private := a.upload(readWasm(t, "host/testdata/minimal.wasm"))
	fut := a.submit(victim.ID, "get", map[string]any{"args": []any{}})[0]
	a.do("POST", "/v1/actors/"+victim.ID+"/checkpoints", nil).ok(http.StatusCreated, nil)

	tenant := b.upload(readWasm(t, "host/testdata/hostile_tenant.wasm"))
	attacker := b.spawn(tenant.ID, nil, nil)
	bytesArg := func(raw []byte) map[string]any {
		return map[string]any{"$bytes": base64.StdEncoding.EncodeToString(raw)}
	}
	enc := func(v any) []byte {
		x, err := codec.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	handle := bytesArg(enc(abi.Handle{ID: victim.ID, Class: counter.ID}))
	bare := bytesArg(enc(abi.Handle{ID: victim.ID}))
	args1000, err := codec.EncodeArgs([]any{1000})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, method, path string
		body               any
		c                  *client
		status             int
		code               string
		guestCode          string // for app_error: the guest's error code
	}{
		{name: "show A's class", method: "GET", path: "/v1/classes/" + private.ID, status: 404, code: codeClassNotFound},
		{name: "delete A's class", method: "DELETE", path: "/v1/classes/" + private.ID, status: 404, code: codeClassNotFound},
		{name: "spawn A's class", method: "POST", path: "/v1/actors", body: map[string]any{"class": private.ID}, status: 404, code: codeClassNotFound},
		{name: "spawn A's counter class", method: "POST", path: "/v1/actors", body: map[string]any{"class": counter.ID, "args": []any{1}}, status: 404, code: codeClassNotFound},
		{name: "spawn into A", method: "POST", path: "/v1/actors", body: map[string]any{"class": tenant.ID, "options": map[string]any{"namespace": nsA}}, status: 403, code: codeForbidden},
		{name: "spawn with A's actor as argument", method: "POST", path: "/v1/actors", body: map[string]any{"class": tenant.ID, "args": []any{map[string]any{"$actor": victim.ID}}}, status: 404, code: codeActorNotFound},
		{name: "show A's actor", method: "GET", path: "/v1/actors/" + victim.ID, status: 404, code: codeActorNotFound},
		{name: "kill A's actor", method: "DELETE", path: "/v1/actors/" + victim.ID, status: 404, code: codeActorNotFound},
		{name: "look up A's name", method: "GET", path: "/v1/names/victim", status: 404, code: codeActorNotFound},
		{name: "call A's actor", method: "POST", path: "/v1/actors/" + victim.ID + "/call/incr", body: map[string]any{"args": []any{1000}}, status: 404, code: codeActorNotFound},
		{name: "submit to A's actor", method: "POST", path: "/v1/actors/" + victim.ID + "/submit/incr", body: map[string]any{"args": []any{1000}}, status: 404, code: codeActorNotFound},
		{name: "A's future", method: "GET", path: "/v1/futures/" + fut, status: 404, code: codeFutureNotFound},
		{name: "A's logs", method: "GET", path: "/v1/actors/" + victim.ID + "/logs", status: 404, code: codeActorNotFound},
		{name: "checkpoint A's actor", method: "POST", path: "/v1/actors/" + victim.ID + "/checkpoints", status: 404, code: codeActorNotFound},
		{name: "A's checkpoints", method: "GET", path: "/v1/actors/" + victim.ID + "/checkpoints", status: 404, code: codeActorNotFound},
		{name: "restore A's actor", method: "POST", path: "/v1/actors/" + victim.ID + "/restore", body: map[string]any{}, status: 404, code: codeActorNotFound},
		{name: "repair A's actor", method: "POST", path: "/v1/actors/" + victim.ID + "/repair", body: map[string]any{}, status: 404, code: codeActorNotFound},
		{name: "discard A's actor", method: "POST", path: "/v1/actors/" + victim.ID + "/discard", status: 404, code: codeActorNotFound},
		// A itself gets past the namespace check (its actor is not damaged):
		// so B's 404s above come from the check, not from the state.
		{name: "discard own undamaged actor", method: "POST", path: "/v1/actors/" + victim.ID + "/discard", c: a, status: 400, code: codeInvalidArgument},
		{name: "repair own undamaged actor", method: "POST", path: "/v1/actors/" + victim.ID + "/repair", body: map[string]any{}, c: a, status: 400, code: codeInvalidArgument},
		{name: "node usage", method: "GET", path: "/v1/node", status: 403, code: codeForbidden},
		{name: "metrics", method: "GET", path: "/metrics", status: 403, code: codeForbidden},
		{name: "metrics without a token", method: "GET", path: "/metrics", c: e.as(""), status: 401, code: codeUnauthorized},
		{name: "node usage without a token", method: "GET", path: "/v1/node", c: e.as(""), status: 401, code: codeUnauthorized},
		// Through B's guest: the imports refuse what the routes refuse.
		{name: "guest get_actor in A", method: "POST", path: "/v1/actors/" + attacker.ID + "/call/get_actor",
			body: map[string]any{"args": []any{bytesArg([]byte(nsA)), bytesArg([]byte("victim"))}}, status: 422, code: codeAppError, guestCode: "wactor.forbidden"},
		{name: "guest call by handle", method: "POST", path: "/v1/actors/" + attacker.ID + "/call/call",
			body: map[string]any{"args": []any{handle, bytesArg([]byte("incr")), bytesArg(args1000)}}, status: 422, code: codeAppError, guestCode: "wactor.forbidden"},
		{name: "guest send by bare ID", method: "POST", path: "/v1/actors/" + attacker.ID + "/call/send",
			body: map[string]any{"args": []any{bare, bytesArg([]byte("incr")), bytesArg(args1000)}}, status: 422, code: codeAppError, guestCode: "wactor.forbidden"},
		{name: "guest kill", method: "POST", path: "/v1/actors/" + attacker.ID + "/call/kill",
			body: map[string]any{"args": []any{bare}}, status: 422, code: codeAppError, guestCode: "wactor.forbidden"},
		{name: "guest spawn into A", method: "POST", path: "/v1/actors/" + attacker.ID + "/call/spawn",
			body: map[string]any{"args": []any{bytesArg(nil), bytesArg([]byte{0x80}), bytesArg(enc(map[string]any{"namespace": nsA}))}}, status: 422, code: codeAppError, guestCode: "wactor.forbidden"},
		{name: "guest spawn of A's class", method: "POST", path: "/v1/actors/" + attacker.ID + "/call/spawn",
			body: map[string]any{"args": []any{bytesArg([]byte(private.ID)), bytesArg([]byte{0x80}), bytesArg(nil)}}, status: 422, code: codeAppError, guestCode: "wactor.bad_args"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			if c == nil {
				c = b
			}
			ae := c.do(tt.method, tt.path, tt.body).apiErr(tt.status, tt.code)
			if tt.guestCode != "" && ae.Details["code"] != tt.guestCode {
				t.Errorf("guest error %v, want %s", ae.Details, tt.guestCode)
			}
			for _, leak := range []string{".go", "host.", "server."} {
				if strings.Contains(ae.Message, leak) {
					t.Errorf("message %q names %q", ae.Message, leak)
				}
			}
		})
	}

	// A batch reports the refusal per call.
	var br struct {
		Results []struct {
			Error *apiError `json:"error"`
		} `json:"results"`
	}
	b.do("POST", "/v1/batch", map[string]any{"wait": true, "calls": []any{map[string]any{"actor": victim.ID, "method": "incr", "args": []any{1000}}}}).ok(http.StatusOK, &br)
	if len(br.Results) != 1 || br.Results[0].Error == nil || br.Results[0].Error.Code != codeActorNotFound {
		t.Errorf("batch on A's actor: %+v", br.Results)
	}
	// Listings show B nothing of A's.
	for _, path := range []string{"/v1/classes", "/v1/actors"} {
		body := string(b.do("GET", path, nil).ok(http.StatusOK, nil).body)
		for _, id := range []string{private.ID, counter.ID, victim.ID} {
			if strings.Contains(body, id) {
				t.Errorf("B's %s shows %s", path, id)
			}
		}
	}

	// A's side is untouched, and the operator sees the refusals.
	if n := a.callInt(victim.ID, "get"); n != 100 {
		t.Errorf("A's counter is %d, want 100", n)
	}
	a.do("GET", "/v1/classes/"+private.ID, nil).ok(http.StatusOK, nil)
	for _, info := range e.s.Host().Actors() {
		if info.Options.Namespace != nsA && info.Options.Namespace != nsB {
			t.Errorf("actor %s in namespace %q", info.ID, info.Options.Namespace)
		}
		if info.Options.Namespace == nsA && info.ID != victim.ID {
			t.Errorf("actor %s planted in A", info.ID)
		}
	}
	op := e.as(tokenOp)
	op.do("GET", "/v1/node", nil).ok(http.StatusOK, nil)
	metrics := string(op.do("GET", "/metrics", nil).ok(http.StatusOK, nil).body)
	for _, want := range []string{
		`wactor_forbidden_total{namespace="team-b",op="get_actor"} 1`,
		`wactor_forbidden_total{namespace="team-b",op="call"} 1`,
		`wactor_forbidden_total{namespace="team-b",op="send"} 1`,
		`wactor_forbidden_total{namespace="team-b",op="kill"} 1`,
		`wactor_forbidden_total{namespace="team-b",op="spawn"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if v, err := e.s.Host().Lookup(t.Context(), nsA, "victim"); err != nil || v.ID() != victim.ID {
		t.Errorf("A's victim: %v", err)
	}
}

// TestPreloadedClassesShared: a class the operator preloads (LoadClass
// with no namespace, `wactor serve --preload`) is visible to every
// namespace and deleted by none of them.
func TestPreloadedClassesShared(t *testing.T) {
	e := newEnv(t, nil)
	info, err := e.s.Host().LoadClass(t.Context(), counterWasm(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{e.c, e.as(tokenB)} {
		c.do("GET", "/v1/classes/"+info.ID, nil).ok(http.StatusOK, nil)
		a := c.spawn(info.ID, []any{1}, nil)
		c.do("DELETE", "/v1/classes/"+info.ID, nil).apiErr(http.StatusForbidden, codeForbidden)
		c.do("DELETE", "/v1/actors/"+a.ID, nil).ok(http.StatusNoContent, nil)
	}
}

// TestTokenQuotas: a quota in the tokens file bounds its namespace (here
// one class and one live actor for team-b), and only that namespace.
func TestTokenQuotas(t *testing.T) {
	e := newEnv(t, func(c *testCfg) {
		path := filepath.Join(t.TempDir(), "tokens.json")
		body := fmt.Sprintf(`{"tokens": [
			{"name": "a", "namespace": %q, "sha256": %q},
			{"name": "b", "namespace": %q, "sha256": %q, "quota": {"classes": 1, "actors": 1}}]}`, nsA, sum(tokenA), nsB, sum(tokenB))
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c.TokensFile = path
	})
	a, b := e.c, e.as(tokenB)
	counter := b.upload(counterWasm(t))
	b.do("POST", "/v1/classes", readWasm(t, "host/testdata/minimal.wasm"), "Content-Type", "application/wasm").
		apiErr(http.StatusTooManyRequests, codeQuotaExceeded)
	b.spawn(counter.ID, []any{1}, nil)
	b.do("POST", "/v1/actors", map[string]any{"class": counter.ID, "args": []any{2}}).
		apiErr(http.StatusTooManyRequests, codeQuotaExceeded)
	// team-a has the host's defaults.
	ac := a.upload(counterWasm(t))
	a.upload(readWasm(t, "host/testdata/minimal.wasm"))
	a.spawn(ac.ID, []any{1}, nil)
	a.spawn(ac.ID, []any{2}, nil)
	var u struct {
		Namespace string
		Actors    int
		Classes   int
		Quota     struct{ Actors, Classes int }
	}
	b.do("GET", "/v1/namespace", nil).ok(http.StatusOK, &u)
	if u.Namespace != nsB || u.Actors != 1 || u.Classes != 1 || u.Quota.Classes != 1 || u.Quota.Actors != 1 {
		t.Errorf("GET /v1/namespace as team-b: %+v", u)
	}
}
