package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/client"
	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/server"
)

// TestEmbeddedHost: a host the test built itself, served by the public
// server package, driven by the Go client: spawn, synchronous calls,
// futures, logs and errors, with the host and the client agreeing on what
// they see.
func TestEmbeddedHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	metrics := server.NewMetrics()
	h, err := host.New(ctx, host.Config{CacheDir: t.TempDir(), Workers: 2, Observer: metrics.Observer(nil), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := h.Close(context.Background()); err != nil {
			t.Errorf("closing the host: %v", err)
		}
	}()
	counter, err := h.LoadClass(ctx, readFile(t, "../examples/c-counter/counter.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(h, server.Options{Metrics: metrics, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer func() {
		ts.Close()
		if err := srv.Close(context.Background()); err != nil {
			t.Errorf("closing the server: %v", err)
		}
	}()
	c, err := client.New(client.Config{Server: ts.URL})
	if err != nil {
		t.Fatal(err)
	}

	// The class the program loaded is the client's to use.
	if got, err := c.Class(ctx, counter.ID); err != nil || got.ID != counter.ID || len(got.Methods) == 0 {
		t.Fatalf("Class: %+v %v", got, err)
	}
	// Spawn through the client; the host sees the actor.
	info, err := c.Spawn(ctx, counter.ID, api.Options{Name: "c1"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != api.StateAlive || info.Options.Namespace != api.DefaultNamespace {
		t.Fatalf("Spawn: %+v", info)
	}
	a, err := h.Actor(ctx, info.ID)
	if err != nil || a.Name() != "c1" {
		t.Fatalf("host.Actor(%s): %v", info.ID, err)
	}

	// Invoke waits; Call returns a future; Submit takes options.
	v, err := c.Invoke(ctx, info.ID, "incr", 5)
	if n, _ := v.Int(); err != nil || n != 15 {
		t.Fatalf("Invoke: %s %v", v.Raw(), err)
	}
	f, err := c.Call(ctx, info.ID, "add", 20, 22)
	if err != nil {
		t.Fatal(err)
	}
	if v, err = f.Get(ctx); err != nil || string(v.Raw()) != "42" {
		t.Fatalf("Call's future: %s %v", v.Raw(), err)
	}
	futs, err := c.Submit(ctx, info.ID, "incr", client.CallOptions{}, 1)
	if err != nil || len(futs) != 1 {
		t.Fatalf("Submit: %v %v", futs, err)
	}
	// A future passed as an argument, resolved on the server.
	if v, err = c.Invoke(ctx, info.ID, "add", futs[0], 100); err != nil || string(v.Raw()) != "116" {
		t.Fatalf("add(future, 100): %s %v", v.Raw(), err)
	}
	// The same future by its ID, as another program would get it.
	if v, ready, err := c.Future(futs[0].ID).Poll(ctx, 0); err != nil || !ready || string(v.Raw()) != "16" {
		t.Fatalf("Future(%s): %s %v %v", futs[0].ID, v.Raw(), ready, err)
	}
	// The host agrees with the client about the actor's state.
	if got, err := a.Invoke(ctx, "get"); err != nil || got.String() != "16" {
		t.Fatalf("host get: %v %v", got, err)
	}

	// Logs, through a class the client uploads.
	logClass, err := c.PushClass(ctx, readFile(t, "../host/testdata/log.wasm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	la, err := c.Spawn(ctx, logClass.ID, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, la.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	lines, err := c.Logs(ctx, la.ID, 0)
	if err != nil || len(lines) != 1 || lines[0].Text != "hello from wat" {
		t.Fatalf("Logs: %+v %v", lines, err)
	}

	// Errors: the client's unwrap to the api's sentinels and types, as the host's do.
	_, err = c.Invoke(ctx, "0123456789abcdef0123456789abcdef", "get")
	var ce *client.Error
	if !errors.Is(err, api.ErrActorNotFound) || !errors.Is(err, api.ErrNotFound) || !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
		t.Fatalf("missing actor: %v", err)
	}
	if _, herr := h.Actor(ctx, "0123456789abcdef0123456789abcdef"); !errors.Is(herr, api.ErrActorNotFound) {
		t.Fatalf("host: missing actor: %v", herr)
	}
	if _, err := c.Invoke(ctx, info.ID, "nope"); !errors.Is(err, api.ErrMethodNotFound) {
		t.Fatalf("missing method: %v", err)
	}
	if _, err := c.Invoke(ctx, info.ID, "add", 1); !errors.Is(err, api.ErrArity) {
		t.Fatalf("arity: %v", err)
	}
	fail, err := c.Call(ctx, info.ID, "fail")
	if err != nil {
		t.Fatal(err)
	}
	_, err = fail.Get(ctx)
	var app *api.AppError
	if !errors.Is(err, api.ErrApp) || !errors.As(err, &app) || app.Code != "c_error" {
		t.Fatalf("app error: %v", err)
	}
	if _, err := c.Spawn(ctx, counter.ID, api.Options{Name: "c1"}, 0); !errors.Is(err, api.ErrNameTaken) {
		t.Fatalf("name taken: %v", err)
	}
	if _, err := c.Spawn(ctx, counter.ID, api.Options{NumGPUs: 1}, 0); !errors.Is(err, api.ErrUnschedulable) {
		t.Fatalf("unschedulable: %v", err)
	}

	// Kill through the client; the host sees it dead.
	if err := c.Kill(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Invoke(ctx, "get"); !errors.Is(err, api.ErrActorDied) {
		t.Fatalf("host call after kill: %v", err)
	}
	if _, err := c.Invoke(ctx, info.ID, "get"); !errors.Is(err, api.ErrActorDied) && !errors.Is(err, api.ErrActorNotFound) {
		t.Fatalf("client call after kill: %v", err)
	}

	// Closing the server leaves the host serving its own callers.
	ts.Close()
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := h.Spawn(ctx, counter.ID, host.Options{}, 1)
	if err != nil {
		t.Fatalf("host after the server closed: %v", err)
	}
	if v, err := b.Invoke(ctx, "get"); err != nil || v.String() != "1" {
		t.Fatalf("host get after the server closed: %v %v", v, err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
