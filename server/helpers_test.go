package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// Test tokens: two tenants, and an operator.
const (
	tokenA  = "secret-token-a"
	tokenB  = "secret-token-b"
	tokenOp = "secret-token-op"
	nsA     = "team-a"
	nsB     = "team-b"
	nsOp    = "ops"
)

var cacheDir string // shared compilation cache of the package's tests

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wactor-server-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func readWasm(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func counterWasm(t testing.TB) []byte { return readWasm(t, "examples/c-counter/counter.wasm") }

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// writeTokens writes a tokens file with tokenA (team-a), tokenB (team-b)
// and tokenOp (an operator, in namespace ops).
func writeTokens(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	body := fmt.Sprintf(`{"tokens": [
		{"name": "a", "namespace": %q, "sha256": %q},
		{"name": "b", "namespace": %q, "sha256": %q},
		{"name": "op", "namespace": %q, "sha256": %q, "operator": true}]}`, nsA, sum(tokenA), nsB, sum(tokenB), nsOp, sum(tokenOp))
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testCfg is what a test server is made of: the server's options, and
// the configuration of the host it serves, whose data goes under DataDir
// (DataDir/state), as `wactor serve` lays it out.
type testCfg struct {
	Options
	DataDir string
	Host    host.Config
}

// testConfig is a server configuration for tests: quiet, in a temporary
// directory, with authentication.
func testConfig(t testing.TB) testCfg {
	return testCfg{
		DataDir: t.TempDir(),
		Options: Options{
			TokensFile: writeTokens(t),
			Logger:     slog.New(slog.DiscardHandler),
		},
		Host: host.Config{CacheDir: cacheDir, Workers: 4},
	}
}

// newServer builds the host of cfg (its observer feeding the server's
// metrics) and a server of it, as `wactor serve` does. The host is closed
// at the end of the test, or by closeAll.
func newServer(t testing.TB, cfg testCfg) (*Server, error) {
	hcfg := cfg.Host
	if hcfg.DataDir == "" && cfg.DataDir != "" {
		hcfg.DataDir = filepath.Join(cfg.DataDir, "state")
	}
	if hcfg.Logger == nil {
		hcfg.Logger = cfg.Logger
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	hcfg.Observer = cfg.Metrics.Observer(hcfg.Observer)
	h, err := host.New(context.Background(), hcfg)
	if err != nil {
		return nil, fmt.Errorf("creating the host: %w", err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	s, err := New(h, cfg.Options)
	if err != nil {
		_ = h.Close(context.Background())
		return nil, err
	}
	return s, nil
}

// closeAll closes s and then its host.
func closeAll(ctx context.Context, s *Server) error {
	return errors.Join(s.Close(ctx), s.Host().Close(ctx))
}

// env is a server under test with an httptest front.
type env struct {
	t  testing.TB
	s  *Server
	ts *httptest.Server
	c  *client
}

// client sends requests with one token.
type client struct {
	t     testing.TB
	base  string
	hc    *http.Client
	token string
}

func newEnv(t testing.TB, mod func(*testCfg)) *env {
	t.Helper()
	cfg := testConfig(t)
	if mod != nil {
		mod(&cfg)
	}
	s, err := newServer(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := closeAll(ctx, s); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	e := &env{t: t, s: s, ts: ts}
	e.c = e.as(tokenA)
	return e
}

// as returns a client that sends token (none if "").
func (e *env) as(token string) *client {
	return &client{t: e.t, base: e.ts.URL, hc: e.ts.Client(), token: token}
}

// resp is a response, read in full.
type resp struct {
	t      testing.TB
	status int
	hdr    http.Header
	body   []byte
}

// do sends a request. body is nil, []byte (sent as is with contentType) or
// anything else (sent as JSON).
func (c *client) do(method, path string, body any, hdr ...string) *resp {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &resp{t: c.t, status: res.StatusCode, hdr: res.Header, body: data}
}

// ok checks the status and decodes the JSON body into dst (if not nil).
func (r *resp) ok(status int, dst any) *resp {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if dst != nil {
		if err := json.Unmarshal(r.body, dst); err != nil {
			r.t.Fatalf("decoding %s: %v", r.body, err)
		}
	}
	return r
}

// apiErr checks that r is the error code with status and returns it.
func (r *resp) apiErr(status int, code string) apiError {
	r.t.Helper()
	var body struct {
		Error apiError `json:"error"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		r.t.Fatalf("status %d, body %q is not an API error: %v", r.status, r.body, err)
	}
	if r.status != status || body.Error.Code != code {
		r.t.Fatalf("got %d %s (%s), want %d %s", r.status, body.Error.Code, body.Error.Message, status, code)
	}
	if ct := r.hdr.Get("Content-Type"); ct != "application/json" {
		r.t.Errorf("error Content-Type %q", ct)
	}
	if want := codeStatus[code]; want != status {
		r.t.Errorf("code %s has status %d in the table, test expects %d", code, want, status)
	}
	return body.Error
}

// upload loads a module through the API.
func (c *client) upload(wasm []byte) host.ClassInfo {
	c.t.Helper()
	var info host.ClassInfo
	c.do("POST", "/v1/classes", wasm, "Content-Type", "application/wasm").ok(http.StatusCreated, &info)
	return info
}

// spawn spawns an actor through the API.
func (c *client) spawn(class string, args []any, opts map[string]any) api.WireActor {
	c.t.Helper()
	body := map[string]any{"class": class}
	if args != nil {
		body["args"] = args
	}
	if opts != nil {
		body["options"] = opts
	}
	var a api.WireActor
	c.do("POST", "/v1/actors", body).ok(http.StatusCreated, &a)
	return a
}

// call makes a synchronous call and returns the raw JSON result value.
func (c *client) call(actor, method string, args ...any) json.RawMessage {
	c.t.Helper()
	if args == nil {
		args = []any{}
	}
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	c.do("POST", "/v1/actors/"+actor+"/call/"+method, map[string]any{"args": args}).ok(http.StatusOK, &out)
	return out.Value
}

// callInt is call for an integer result.
func (c *client) callInt(actor, method string, args ...any) int64 {
	c.t.Helper()
	var n int64
	if err := json.Unmarshal(c.call(actor, method, args...), &n); err != nil {
		c.t.Fatal(err)
	}
	return n
}

// submit submits a call and returns its future IDs.
func (c *client) submit(actor, method string, body any) []string {
	c.t.Helper()
	var out struct {
		Futures []string `json:"futures"`
	}
	c.do("POST", "/v1/actors/"+actor+"/submit/"+method, body).ok(http.StatusAccepted, &out)
	return out.Futures
}

// counter uploads the C counter and spawns one with start value.
func (e *env) counter(c *client, start int64, opts map[string]any) (host.ClassInfo, api.WireActor) {
	e.t.Helper()
	class := c.upload(counterWasm(e.t))
	return class, c.spawn(class.ID, []any{start}, opts)
}
