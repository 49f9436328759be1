package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/client"
	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/server"
)

// TestFutureIDs_AcrossRestart: a future ID a client kept from before the
// host restarted never reads a call made after the restart. The durable
// actor comes back and its call sequence starts again, but its future IDs
// carry a new incarnation: the old ID is not found (404 future_not_found),
// it does not answer with the new call's result.
func TestFutureIDs_AcrossRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data := t.TempDir()
	wasm := readFile(t, "../examples/c-counter/counter.wasm")
	serve := func() (*host.Host, *client.Client, func()) {
		h, err := host.New(ctx, host.Config{DataDir: data, Durability: host.DurabilitySync, Workers: 2, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(h, server.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		c, err := client.New(client.Config{Server: ts.URL})
		if err != nil {
			t.Fatal(err)
		}
		return h, c, func() {
			ts.Close()
			if err := srv.Close(ctx); err != nil {
				t.Error(err)
			}
			if err := h.Close(ctx); err != nil {
				t.Error(err)
			}
		}
	}
	h, c, stop := serve()
	class, err := h.LoadClass(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Spawn(ctx, class.ID, api.Options{Durable: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Three calls before the restart: incr(1) thrice gives 1, 2, 3.
	var before []string
	for range 3 {
		f, err := c.Call(ctx, info.ID, "incr", 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Get(ctx); err != nil {
			t.Fatal(err)
		}
		before = append(before, f.ID)
	}
	stop()

	_, c, stop = serve()
	defer stop()
	// Three calls after it, which reuse the call sequence 1..3: incr(100)
	// gives 103, 203, 303.
	for range 3 {
		f, err := c.Call(ctx, info.ID, "incr", 100)
		if err != nil {
			t.Fatal(err)
		}
		v, err := f.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, old := range before {
			if f.ID == old {
				t.Fatalf("future ID %s given again after the restart", old)
			}
		}
		if n, _ := v.Int(); n < 100 {
			t.Fatalf("incr after restart = %d: the durable actor lost its state", n)
		}
	}
	for _, old := range before {
		v, _, err := c.Future(old).Poll(ctx, 0)
		if !errors.Is(err, api.ErrFutureNotFound) {
			t.Fatalf("old future %s after the restart: value %s, error %v; want ErrFutureNotFound", old, v.Raw(), err)
		}
	}
}
