package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// TestServeDamagedActor: a detached (durable) actor whose journal was
// corrupted while the server was down comes back damaged: `actor show`
// says why, calls fail with actor_damaged, the server logs an error, and
// `actor repair` brings it back from its checkpoint; `actor discard` gives
// up another.
func TestServeDamagedActor(t *testing.T) {
	wasm, err := os.ReadFile(counterWasm)
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--data", data, "--preload", counterWasm}
	p := startServe(t, nil, args...)
	var a, b host.ActorInfo
	p.okJSON(t, &a, "actor", "spawn", "--detached", host.ClassID(wasm), "7")
	p.okJSON(t, &b, "actor", "spawn", "--detached", host.ClassID(wasm), "1")
	for range 3 {
		p.ok(t, "call", a.ID, "incr", "1")
		p.ok(t, "call", b.ID, "incr", "1")
	}
	p.stop(t)
	for _, id := range []string{a.ID, b.ID} {
		path := filepath.Join(data, "state", "actors", id, "journal")
		j, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		j[10] ^= 0x20
		if err := os.WriteFile(path, j, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	p = startServe(t, nil, args...)
	var info api.WireActor
	p.okJSON(t, &info, "actor", "show", a.ID)
	if info.State != host.StateDamaged || info.Damage == nil || !strings.Contains(info.Damage.Reason, "journal") {
		t.Fatalf("actor show: %+v", info)
	}
	p.fails(t, cliTokenA, 1, "actor_damaged", "call", a.ID, "get")
	if !strings.Contains(p.stderrText(), "actor damaged") {
		t.Fatalf("no error logged:\n%s", p.stderrText())
	}
	if out := p.ok(t, "actor", "repair", a.ID); !strings.Contains(out, "repaired "+a.ID) {
		t.Fatalf("repair: %q", out)
	}
	if out := p.ok(t, "call", a.ID, "get"); strings.TrimSpace(out) != "7" {
		t.Fatalf("get after repair = %q, want 7 (the spawn checkpoint)", out)
	}
	if out := p.ok(t, "actor", "discard", b.ID); !strings.Contains(out, "discarded "+b.ID) {
		t.Fatalf("discard: %q", out)
	}
	p.fails(t, cliTokenA, 1, "actor_died", "call", b.ID, "get")
}
