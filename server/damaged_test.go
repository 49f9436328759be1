package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// TestDamagedActorRoutes: a durable actor whose journal is corrupt comes
// back damaged after a restart: it is listed with its reason, calls get 409
// actor_damaged, another namespace cannot see or repair it, and its
// namespace repairs it (POST .../repair) or, for another one, discards it
// (POST .../discard).
func TestDamagedActorRoutes(t *testing.T) {
	data, tokens := t.TempDir(), writeTokens(t)
	shared := func(c *testCfg) { c.DataDir, c.TokensFile = data, tokens }
	e := newEnv(t, shared)
	class, a := e.counter(e.c, 0, map[string]any{"durable": true})
	b := e.c.spawn(class.ID, []any{5}, map[string]any{"durable": true})
	for range 3 {
		e.c.callInt(a.ID, "incr", 1)
		e.c.callInt(b.ID, "incr", 1)
	}
	if err := closeAll(context.Background(), e.s); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, b.ID} {
		path := filepath.Join(data, "state", "actors", id, "journal")
		j, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		j[10] ^= 0x20 // the first record's payload
		if err := os.WriteFile(path, j, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	e = newEnv(t, shared)
	var info api.WireActor
	e.c.do("GET", "/v1/actors/"+a.ID, nil).ok(http.StatusOK, &info)
	if info.State != host.StateDamaged || info.Damage == nil || info.Damage.Reason == "" || len(info.Damage.Checkpoints) != 1 {
		t.Fatalf("damaged actor: %+v", info)
	}
	d := e.c.do("POST", "/v1/actors/"+a.ID+"/call/get", nil).apiErr(http.StatusConflict, codeActorDamaged)
	if d.Details["reason"] != info.Damage.Reason {
		t.Fatalf("details %v, want the reason %q", d.Details, info.Damage.Reason)
	}
	e.c.do("DELETE", "/v1/actors/"+a.ID, nil).apiErr(http.StatusConflict, codeActorDamaged)
	other := e.as(tokenB)
	other.do("POST", "/v1/actors/"+a.ID+"/repair", nil).apiErr(http.StatusNotFound, codeActorNotFound)
	other.do("POST", "/v1/actors/"+a.ID+"/discard", nil).apiErr(http.StatusNotFound, codeActorNotFound)

	ck := info.Damage.Checkpoints[0].ID
	info = api.WireActor{}
	e.c.do("POST", "/v1/actors/"+a.ID+"/repair", map[string]any{"checkpoint": ck}).ok(http.StatusOK, &info)
	if info.State != host.StateAlive || info.Damage != nil {
		t.Fatalf("repaired actor: %+v", info)
	}
	if got := e.c.callInt(a.ID, "incr", 1); got != 1 {
		t.Fatalf("after repair from the spawn checkpoint: incr = %d, want 1", got)
	}
	e.c.do("POST", "/v1/actors/"+a.ID+"/repair", nil).apiErr(http.StatusBadRequest, codeInvalidArgument)

	e.c.do("POST", "/v1/actors/"+b.ID+"/discard", nil).ok(http.StatusNoContent, nil)
	e.c.do("GET", "/v1/actors/"+b.ID, nil).ok(http.StatusOK, &info)
	if info.State != host.StateDead || info.Death != string(host.DeathDiscarded) {
		t.Fatalf("discarded actor: %+v", info)
	}
	if kept, _ := filepath.Glob(filepath.Join(data, "state", "damaged", b.ID, "*", "actor", "journal")); len(kept) != 1 {
		t.Fatalf("the discarded actor's journal is not kept aside: %v", kept)
	}
}
