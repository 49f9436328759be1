package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// wactorBin is the binary built once by TestMain.
var wactorBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wactor-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	wactorBin = filepath.Join(dir, "wactor")
	gobin := "go"
	if goroot := os.Getenv("GOROOT"); goroot != "" {
		if p := filepath.Join(goroot, "bin", "go"); fileExists(p) {
			gobin = p
		}
	}
	cmd := exec.Command(gobin, "build", "-o", wactorBin, ".")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building wactor:", err)
		return 1
	}
	return m.Run()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Tokens of the test server.
const (
	cliTokenA = "cli-token-a"
	cliTokenB = "cli-token-b"
)

// serverProc is a `wactor serve` child process.
type serverProc struct {
	addr   string
	cmd    *exec.Cmd
	lines  chan string // stdout lines after the first
	mu     sync.Mutex
	stderr bytes.Buffer
	exited chan struct{}
	err    error
}

// writeTokens writes a tokens file binding cliTokenA to team-a and
// cliTokenB to team-b.
func writeTokens(t *testing.T, dir string) string {
	t.Helper()
	hash := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	b, _ := json.Marshal(map[string]any{"tokens": []map[string]string{
		{"name": "a", "namespace": "team-a", "sha256": hash(cliTokenA)},
		{"name": "b", "namespace": "team-b", "sha256": hash(cliTokenB)},
	}})
	p := filepath.Join(dir, "tokens.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startServe runs `wactor serve ARGS...` and waits (with a deadline) for its
// first line, "wactor listening on ADDR". The server is stopped with SIGINT
// when the test ends, and must exit cleanly.
func startServe(t *testing.T, env []string, args ...string) *serverProc {
	t.Helper()
	p := &serverProc{lines: make(chan string, 100), exited: make(chan struct{})}
	p.cmd = exec.Command(wactorBin, append([]string{"serve"}, args...)...)
	p.cmd.Env = append(cleanEnv(), env...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for n := 0; sc.Scan(); n++ {
			if n == 0 {
				first <- sc.Text()
				continue
			}
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(first)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case line, ok := <-first:
		addr, found := strings.CutPrefix(line, "wactor listening on ")
		if !ok || !found {
			<-p.exited
			t.Fatalf("serve: first line %q; stderr:\n%s", line, p.stderrText())
		}
		p.addr = addr
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not print its address; stderr:\n%s", p.stderrText())
	}
	return p
}

func (p *serverProc) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// stop interrupts the server and waits for it to exit; it kills it after a
// deadline (and fails the test).
func (p *serverProc) stop(t *testing.T) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("serve exited with %v; stderr:\n%s", p.err, p.stderrText())
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("serve did not stop on SIGINT; stderr:\n%s", p.stderrText())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// cleanEnv is the environment without WACTOR_ variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WACTOR_") {
			env = append(env, kv)
		}
	}
	return env
}

// result is the outcome of one CLI command.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the binary against the server with token (empty: none).
func (p *serverProc) cli(t *testing.T, token string, args ...string) result {
	t.Helper()
	return p.cliIn(t, token, nil, args...)
}

// cliIn is cli with stdin.
func (p *serverProc) cliIn(t *testing.T, token string, stdin []byte, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wactorBin, args...)
	cmd.Env = append(cleanEnv(), "WACTOR_SERVER=http://"+p.addr)
	if token != "" {
		cmd.Env = append(cmd.Env, "WACTOR_TOKEN="+token)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("wactor %v: %v", args, err)
	}
	return r
}

// ok runs a command that must succeed and returns its stdout.
func (p *serverProc) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := p.cli(t, cliTokenA, args...)
	if r.code != 0 {
		t.Fatalf("wactor %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// okJSON runs a command with -o json and decodes its output into v.
func (p *serverProc) okJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := p.ok(t, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("wactor %s -o json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fails runs a command that must fail with the exit code and an error line
// starting with "error: <code>:".
func (p *serverProc) fails(t *testing.T, token string, exit int, code string, args ...string) result {
	t.Helper()
	r := p.cli(t, token, args...)
	if r.code != exit || !strings.HasPrefix(r.stderr, "error: "+code+":") {
		t.Fatalf("wactor %s: exit %d (want %d), stderr %q (want error: %s:)", strings.Join(args, " "), r.code, exit, r.stderr, code)
	}
	return r
}
