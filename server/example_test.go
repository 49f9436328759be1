package server_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/client"
	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/server"
)

// A program builds its own host, serves the HTTP API on it, and a client
// drives it. Here the listener is an httptest.Server; ListenAndServe runs
// the server's own.
func ExampleNew() {
	ctx := context.Background()
	h, err := host.New(ctx, host.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx) // after the server: the host outlives it
	wasm, err := os.ReadFile("../examples/c-counter/counter.wasm")
	if err != nil {
		log.Fatal(err)
	}
	// Loaded by the program: every namespace may spawn it.
	class, err := h.LoadClass(ctx, wasm)
	if err != nil {
		log.Fatal(err)
	}

	srv, err := server.New(h, server.Options{}) // no tokens: loopback only, namespace "default"
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer func() {
		ts.Close()
		_ = srv.Close(ctx)
	}()

	c, err := client.New(client.Config{Server: ts.URL})
	if err != nil {
		log.Fatal(err)
	}
	actor, err := c.Spawn(ctx, class.ID, api.Options{Name: "counter"}, 10)
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.Invoke(ctx, actor.ID, "incr", 5)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := v.Int()
	fmt.Println(n)
	// Output: 15
}
