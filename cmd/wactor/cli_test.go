package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/host"
)

const (
	counterWasm = "../../examples/c-counter/counter.wasm"
	logWasm     = "../../host/testdata/log.wasm"
	garbageWasm = "../../host/testdata/garbage.wasm"
)

func newServe(t *testing.T) *serverProc {
	dir := t.TempDir()
	return startServe(t, nil, "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
		"--tokens", writeTokens(t, dir), "--log-level", "warn")
}

func TestCLI(t *testing.T) {
	p := newServe(t)
	wasm, err := os.ReadFile(counterWasm)
	if err != nil {
		t.Fatal(err)
	}

	// Classes.
	var class host.ClassInfo
	p.okJSON(t, &class, "class", "push", counterWasm)
	if class.ID != host.ClassID(wasm) || class.Size != len(wasm) {
		t.Fatalf("pushed %+v", class)
	}
	if out := p.ok(t, "class", "push", counterWasm); !strings.Contains(out, class.ID) || !strings.HasPrefix(out, "ID") {
		t.Fatalf("class push table:\n%s", out)
	}
	// From stdin.
	r := p.cliIn(t, cliTokenA, wasm, "class", "push", "-", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, class.ID) {
		t.Fatalf("class push -: %+v", r)
	}
	if out := p.ok(t, "class", "ls"); !strings.Contains(out, class.ID) || !strings.Contains(out, "incr") {
		t.Fatalf("class ls:\n%s", out)
	}
	var classes struct{ Classes []host.ClassInfo }
	p.okJSON(t, &classes, "class", "ls")
	if len(classes.Classes) != 1 || classes.Classes[0].ID != class.ID {
		t.Fatalf("class ls -o json: %+v", classes)
	}
	if out := p.ok(t, "class", "show", class.ID); !strings.Contains(out, "add(a, b)") && !strings.Contains(out, "add(") {
		t.Fatalf("class show:\n%s", out)
	}

	// Actors.
	var actor host.ActorInfo
	p.okJSON(t, &actor, "actor", "spawn", class.ID, "10", "--name", "c1", "--max-restarts", "-1", "--max-pending", "50")
	if actor.Name != "c1" || actor.State != host.StateAlive || actor.Options.MaxRestarts == nil || *actor.Options.MaxRestarts != -1 || actor.Options.MaxPending != 50 {
		t.Fatalf("spawned %+v", actor)
	}
	// -o json prints actors as the API does.
	var apiForm struct {
		Namespace   string
		Checkpoints *int `json:"checkpoints"`
		Options     struct {
			CallTimeoutMS int64 `json:"call_timeout_ms"`
		}
	}
	p.okJSON(t, &apiForm, "actor", "show", actor.ID)
	if apiForm.Namespace != "team-a" || apiForm.Options.CallTimeoutMS != 30000 || apiForm.Checkpoints == nil {
		t.Fatalf("actor show -o json: %+v", apiForm)
	}
	var same host.ActorInfo
	p.okJSON(t, &same, "actor", "spawn", class.ID, "1", "--name", "c1", "--get-if-exists")
	if same.ID != actor.ID {
		t.Fatalf("--get-if-exists gave %s, want %s", same.ID, actor.ID)
	}
	p.fails(t, cliTokenA, 1, "name_taken", "actor", "spawn", class.ID, "1", "--name", "c1")
	if out := p.ok(t, "actor", "ls"); !strings.Contains(out, actor.ID) || !strings.Contains(out, "c1") {
		t.Fatalf("actor ls:\n%s", out)
	}
	var actors struct{ Actors []host.ActorInfo }
	p.okJSON(t, &actors, "actor", "ls", "--name", "c1", "--state", "alive", "--class", class.ID)
	if len(actors.Actors) != 1 || actors.Actors[0].ID != actor.ID {
		t.Fatalf("actor ls -o json: %+v", actors)
	}
	var shown host.ActorInfo
	p.okJSON(t, &shown, "actor", "show", "name:c1")
	if shown.ID != actor.ID {
		t.Fatalf("actor show name:c1 = %s", shown.ID)
	}
	if out := p.ok(t, "actor", "show", actor.ID); !strings.Contains(out, "State:") || !strings.Contains(out, "alive") {
		t.Fatalf("actor show:\n%s", out)
	}

	// Calls: sync by ID and by name, JSON and bare-word arguments.
	if out := p.ok(t, "call", actor.ID, "incr", "5"); strings.TrimSpace(out) != "15" {
		t.Fatalf("call incr 5 = %q", out)
	}
	var val struct{ Value any }
	p.okJSON(t, &val, "call", "name:c1", "incr", "1")
	if val.Value != float64(16) {
		t.Fatalf("call -o json = %+v", val)
	}
	for arg, want := range map[string]string{
		`"text"`:            `"text"`,
		`bareword`:          `"bareword"`,
		`[1,2]`:             "[\n  1,\n  2\n]",
		`{"$bytes":"AAE="}`: "{\n  \"$bytes\": \"AAE=\"\n}",
	} {
		if out := p.ok(t, "call", "name:c1", "echo", arg); strings.TrimSpace(out) != want {
			t.Errorf("echo %s = %q, want %q", arg, out, want)
		}
	}
	if out := p.ok(t, "call", "--timeout", "5s", actor.ID, "add", "2", "3"); strings.TrimSpace(out) != "5" {
		t.Fatalf("call add 2 3 = %q", out)
	}

	// Async calls, futures, futures as arguments.
	fut := strings.TrimSpace(p.ok(t, "call", "--async", "name:c1", "incr", "1"))
	if !strings.HasPrefix(fut, actor.ID+"/") {
		t.Fatalf("call --async printed %q", fut)
	}
	p.okJSON(t, &val, "future", "get", fut, "--wait")
	if val.Value != float64(17) {
		t.Fatalf("future get = %+v", val)
	}
	if out := p.ok(t, "future", "get", fut); strings.TrimSpace(out) != "17" {
		t.Fatalf("future get (ready) = %q", out)
	}
	var futs struct{ Futures []string }
	p.okJSON(t, &futs, "call", "--async", actor.ID, "get")
	if len(futs.Futures) != 1 {
		t.Fatalf("call --async -o json = %+v", futs)
	}
	if out := p.ok(t, "call", actor.ID, "add", `{"$future":"`+futs.Futures[0]+`"}`, "100"); strings.TrimSpace(out) != "117" {
		t.Fatalf("add(future, 100) = %q", out)
	}
	p.fails(t, cliTokenA, 1, "future_not_found", "future", "get", actor.ID+"/99999")

	// A pending future, then its deadline error.
	var spinner host.ActorInfo
	p.okJSON(t, &spinner, "actor", "spawn", class.ID, "0", "--timeout", "1s", "--max-restarts", "-1")
	spin := strings.TrimSpace(p.ok(t, "call", "--async", spinner.ID, "spin"))
	if out := p.ok(t, "future", "get", spin); strings.TrimSpace(out) != "pending" {
		t.Fatalf("future get (spinning) = %q", out)
	}
	var pending struct{ Pending bool }
	p.okJSON(t, &pending, "future", "get", spin)
	if !pending.Pending {
		t.Fatal("future get -o json: not pending")
	}
	p.fails(t, cliTokenA, 1, "deadline_exceeded", "future", "get", spin, "--wait")
	p.fails(t, cliTokenA, 1, "deadline_exceeded", "call", "--timeout", "100ms", spinner.ID, "spin")

	// Logs.
	var logClass host.ClassInfo
	p.okJSON(t, &logClass, "class", "push", logWasm)
	var logger host.ActorInfo
	p.okJSON(t, &logger, "actor", "spawn", logClass.ID, "--name", "logger")
	p.ok(t, "call", "name:logger", "hello")
	if out := p.ok(t, "logs", "name:logger"); !strings.Contains(out, "INFO  hello from wat") {
		t.Fatalf("logs:\n%s", out)
	}
	var line host.LogLine
	p.okJSON(t, &line, "logs", logger.ID)
	if line.Text != "hello from wat" || line.Level != 1 {
		t.Fatalf("logs -o json: %+v", line)
	}
	if out := p.ok(t, "logs", logger.ID, "--since", "1000"); out != "" {
		t.Fatalf("logs --since 1000:\n%s", out)
	}

	// Errors: API errors exit 1 with their code.
	r = p.fails(t, cliTokenA, 1, "app_error", "call", "name:c1", "fail")
	if !strings.Contains(r.stderr, "code: c_error") {
		t.Fatalf("app_error details:\n%s", r.stderr)
	}
	p.fails(t, cliTokenA, 1, "method_not_found", "call", "name:c1", "nope")
	p.fails(t, cliTokenA, 1, "arity", "call", "name:c1", "add", "1")
	p.fails(t, cliTokenA, 1, "trap", "call", "name:c1", "trap")
	p.fails(t, cliTokenA, 1, "actor_not_found", "call", "name:missing", "get")
	p.fails(t, cliTokenA, 1, "invalid_module", "class", "push", garbageWasm)
	p.fails(t, cliTokenA, 1, "client", "class", "push", "no-such-file.wasm")
	p.fails(t, "", 1, "unauthorized", "actor", "ls")
	p.fails(t, cliTokenB, 1, "actor_not_found", "actor", "show", actor.ID)
	p.fails(t, cliTokenB, 1, "class_not_found", "class", "show", class.ID)
	p.fails(t, cliTokenA, 1, "checkpoint_not_found", "checkpoint", "restore", actor.ID, "ck-nope")
	var ck struct{ ID string }
	p.okJSON(t, &ck, "checkpoint", "create", actor.ID)
	if ck.ID == "" {
		t.Fatal("checkpoint create printed no ID")
	}
	if out := p.ok(t, "checkpoint", "ls", actor.ID); !strings.Contains(out, ck.ID) {
		t.Fatalf("checkpoint ls: %s", out)
	}
	p.ok(t, "checkpoint", "restore", actor.ID)

	// Usage errors exit 2.
	for _, args := range [][]string{
		{"call", actor.ID},
		{"bogus"},
		{"class"},
		{"class", "bogus"},
		{"actor", "ls", "--bogus"},
		{"actor", "ls", "--state", "sleeping"},
		{"actor", "ls", "-o", "yaml"},
		{"future", "get"},
		{"call", "--returns", "x", actor.ID, "get"},
	} {
		p.fails(t, cliTokenA, 2, "usage", args...)
	}
	if r := p.cli(t, cliTokenA, "--help"); r.code != 0 || !strings.Contains(r.stdout, "serve") {
		t.Fatalf("--help: %+v", r)
	}
	// --server and --token flags override the environment.
	if r := p.cli(t, "", "--server", "http://"+p.addr, "--token", cliTokenA, "actor", "ls"); r.code != 0 {
		t.Fatalf("--server --token: %+v", r)
	}
	p.fails(t, cliTokenA, 1, "unavailable", "--server", "http://127.0.0.1:1", "actor", "ls")

	// Node-wide figures need an operator token; a tenant's is refused.
	p.fails(t, cliTokenA, 1, "forbidden", "node")

	// Kill, remove classes.
	p.fails(t, cliTokenA, 1, "class_in_use", "class", "rm", class.ID)
	if out := p.ok(t, "actor", "kill", "name:c1"); strings.TrimSpace(out) != "killed "+actor.ID {
		t.Fatalf("actor kill = %q", out)
	}
	p.fails(t, cliTokenA, 1, "actor_not_found", "actor", "show", "name:c1")
	p.ok(t, "actor", "kill", spinner.ID)
	var killed struct {
		ID     string
		Killed bool
	}
	p.okJSON(t, &killed, "actor", "kill", logger.ID)
	if !killed.Killed || killed.ID != logger.ID {
		t.Fatalf("actor kill -o json = %+v", killed)
	}
	// A dead actor's last lines stay readable.
	if out := p.ok(t, "logs", logger.ID); !strings.Contains(out, "hello from wat") || !strings.Contains(out, "died: killed") {
		t.Fatalf("logs of a killed actor:\n%s", out)
	}
	if out := p.ok(t, "class", "rm", class.ID); strings.TrimSpace(out) != "deleted "+class.ID {
		t.Fatalf("class rm = %q", out)
	}
	p.okJSON(t, &classes, "class", "ls")
	if len(classes.Classes) != 1 || classes.Classes[0].ID != logClass.ID {
		t.Fatalf("classes after rm: %+v", classes)
	}
}

func TestServeConfigAndPreload(t *testing.T) {
	dir := t.TempDir()
	// The file's address is invalid, the environment's wins; --data wins
	// over the environment's (an unwritable path).
	cfg := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfg, []byte(`{"addr": "256.0.0.1:0", "future_ttl": "1m", "host": {"log_lines": 50}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pre := filepath.Join(dir, "guests", "nested")
	if err := os.MkdirAll(pre, 0o750); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(counterWasm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pre, "counter.wasm"), wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pre, "notes.txt"), []byte("not a module"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, []string{"WACTOR_ADDR=127.0.0.1:0", "WACTOR_DATA=/proc/wactor-cannot-write"},
		"--config", cfg, "--data", filepath.Join(dir, "data"), "--preload", filepath.Join(dir, "guests"), "--preload", logWasm)
	want := []string{
		"loaded " + host.ClassID(wasm) + " " + filepath.Join(pre, "counter.wasm"),
		"loaded sha256:",
	}
	for i, w := range want {
		select {
		case line := <-p.lines:
			if !strings.HasPrefix(line, w) {
				t.Fatalf("preload line %d = %q, want %q", i, line, w)
			}
		case <-p.exited:
			t.Fatalf("serve exited; stderr:\n%s", p.stderrText())
		}
	}
	// No tokens file: namespace default, which holds the preloaded classes.
	var classes struct{ Classes []host.ClassInfo }
	p.okJSON(t, &classes, "class", "ls")
	if len(classes.Classes) != 2 {
		t.Fatalf("preloaded classes: %+v", classes)
	}
	var actor host.ActorInfo
	p.okJSON(t, &actor, "actor", "spawn", host.ClassID(wasm), "1")
	if out := p.ok(t, "call", actor.ID, "get"); strings.TrimSpace(out) != "1" {
		t.Fatalf("call get = %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil {
		t.Fatalf("data dir: %v", err)
	}
}

func TestServeErrors(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) result {
		t.Helper()
		var r result
		p := &serverProc{addr: "127.0.0.1:1"}
		r = p.cli(t, "", append([]string{"serve", "--data", filepath.Join(dir, "data")}, args...)...)
		return r
	}
	// Without tokens, a non-loopback address is refused.
	if r := run("--addr", "0.0.0.0:0"); r.code != 1 || !strings.HasPrefix(r.stderr, "error: serve:") {
		t.Fatalf("serve on 0.0.0.0 without tokens: %+v", r)
	}
	if r := run("--tls-cert", "x.pem"); r.code != 2 {
		t.Fatalf("--tls-cert alone: %+v", r)
	}
	if r := run("--log-level", "loud"); r.code != 2 {
		t.Fatalf("--log-level loud: %+v", r)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"adr": "x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run("--config", bad); r.code != 1 || !strings.HasPrefix(r.stderr, "error: config:") {
		t.Fatalf("bad config: %+v", r)
	}
	if r := run("--addr", "127.0.0.1:0", "--preload", garbageWasm); r.code != 1 || !strings.Contains(r.stderr, "error: preload:") {
		t.Fatalf("preload garbage: %+v", r)
	}
	if r := run("--addr", "127.0.0.1:0", "--body-timeout", "2h"); r.code != 1 || !strings.Contains(r.stderr, "BodyTimeout") {
		t.Fatalf("--body-timeout 2h: %+v", r)
	}
	if r := run("--memory-budget-mib", "9999999999999"); r.code != 2 {
		t.Fatalf("--memory-budget-mib out of range: %+v", r)
	}
	// 2^44 MiB would wrap to 0 bytes (the default) once shifted.
	for _, v := range []string{"17592186044416", "-1"} {
		if r := run("--class-memory-budget-mib", v); r.code != 2 || !strings.Contains(r.stderr, "out of range") {
			t.Fatalf("--class-memory-budget-mib %s: %+v", v, r)
		}
	}
	// A taken port fails at once, with what to do about it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if r := run("--addr", ln.Addr().String()); r.code != 1 || !strings.Contains(r.stderr, "already in use") || !strings.Contains(r.stderr, "--addr") {
		t.Fatalf("taken port: %+v", r)
	}
	// Names are checked by the CLI before anything is sent (the server
	// address here answers nothing).
	p := &serverProc{addr: "127.0.0.1:1"}
	for _, args := range [][]string{
		{"actor", "spawn", "sha256:00", "--name", "a/b"},
		{"actor", "spawn", "sha256:00", "--namespace", ".."},
		{"actor", "show", "name:a/b"},
		{"call", "name:", "get"},
	} {
		if r := p.cli(t, "", args...); r.code != 2 || !strings.Contains(r.stderr, "invalid") {
			t.Errorf("%q: %+v", args, r)
		}
	}
}

// TestServeNodeAndPassivation: `wactor node` reports the server's use, and
// --passivate-after passivates an idle actor, which a call restores.
func TestServeNodeAndPassivation(t *testing.T) {
	wasm, err := os.ReadFile(counterWasm)
	if err != nil {
		t.Fatal(err)
	}
	p := startServe(t, nil, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--preload", counterWasm, "--passivate-after", "50ms")
	var actor host.ActorInfo
	p.okJSON(t, &actor, "actor", "spawn", host.ClassID(wasm), "7")
	if out := p.ok(t, "call", actor.ID, "incr", "3"); strings.TrimSpace(out) != "10" {
		t.Fatalf("incr = %q", out)
	}
	var u host.NodeUsage
	for deadline := time.Now().Add(10 * time.Second); ; {
		p.okJSON(t, &u, "node")
		if u.Passive == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if u.Actors != 1 || u.Passive != 1 || u.Sandboxes != 0 || u.Passivations == 0 {
		t.Fatalf("node after idling: %+v", u)
	}
	if out := p.ok(t, "call", actor.ID, "get"); strings.TrimSpace(out) != "10" {
		t.Fatalf("get after passivation = %q, want 10", out)
	}
	// At least one reactivation: on a loaded machine the actor may also have
	// been passivated (and restored) before the first call.
	if out := p.ok(t, "node"); !strings.Contains(out, "RESOURCE") || !strings.Contains(out, "(reactivations ") || strings.Contains(out, "(reactivations 0)") {
		t.Fatalf("node table:\n%s", out)
	}
}
