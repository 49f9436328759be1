package client_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wactor/wactor/client"
	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/server"
)

// Tokens of the test server: two tenants.
const (
	tokenA = "token-for-team-a"
	tokenB = "token-for-team-b"
)

// Guest fixtures.
const (
	counterWasm = "../examples/c-counter/counter.wasm"
	logWasm     = "../host/testdata/log.wasm"
	garbageWasm = "../host/testdata/garbage.wasm"
)

// testServer is a server on a random loopback port with two tokens.
type testServer struct {
	url string
	srv *server.Server
}

// startServer starts server on 127.0.0.1:0 with a tokens file
// binding tokenA to namespace team-a and tokenB to team-b. It is closed
// when the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	dir := t.TempDir()
	tokens := map[string]any{"tokens": []map[string]string{
		{"name": "a", "namespace": "team-a", "sha256": hashToken(tokenA)},
		{"name": "b", "namespace": "team-b", "sha256": hashToken(tokenB)},
	}}
	tokensFile := filepath.Join(dir, "tokens.json")
	b, _ := json.Marshal(tokens)
	if err := os.WriteFile(tokensFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := host.New(ctx, host.Config{DataDir: filepath.Join(dir, "data"), Logger: logger})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	srv, err := server.New(h, server.Options{Addr: "127.0.0.1:0", TokensFile: tokensFile, Logger: logger})
	if err != nil {
		cancel()
		_ = h.Close(context.Background())
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if err := srv.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := h.Close(cctx); err != nil {
			t.Errorf("closing the host: %v", err)
		}
	})
	return &testServer{url: "http://" + ln.Addr().String(), srv: srv}
}

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// client returns a client for the server with a token.
func (ts *testServer) client(t *testing.T, token string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Server: ts.url, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testCtx is a context bounded well within the test timeout.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantErr checks that err matches target and is an *client.Error with code.
func wantErr(t *testing.T, err, target error, code string) *client.Error {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v: not %v", err, target)
	}
	var ce *client.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T %v: not a *client.Error", err, err)
	}
	if ce.Code != code {
		t.Fatalf("error code %q, want %q (%v)", ce.Code, code, err)
	}
	return ce
}
