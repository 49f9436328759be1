package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/client"
)

// A counter actor: upload its class, spawn it, call it.
func Example() {
	ctx := context.Background()
	c, err := client.New(client.Config{Server: "http://127.0.0.1:7070", Token: os.Getenv("WACTOR_TOKEN")})
	if err != nil {
		log.Fatal(err)
	}
	wasm, err := os.ReadFile("examples/c-counter/counter.wasm")
	if err != nil {
		log.Fatal(err)
	}
	class, err := c.PushClass(ctx, wasm, nil)
	if err != nil {
		log.Fatal(err)
	}
	actor, err := c.Spawn(ctx, class.ID, api.Options{Name: "counter", GetIfExists: true}, 10)
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.Invoke(ctx, actor.ID, "incr", 5)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := v.Int()
	fmt.Println(n)
}

// Call returns a future at once, as host.Actor.Call does; Get waits for its
// value (Invoke does both in one request).
func ExampleClient_Call() {
	ctx := context.Background()
	c, _ := client.New(client.Config{})
	f, err := c.Call(ctx, "ACTOR", "incr", 1)
	if err != nil {
		log.Fatal(err)
	}
	// ... other work while the call runs ...
	v, err := f.Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(v.Raw()))
}

// Submit returns futures; a future passed as an argument is resolved on the
// server, so chains of calls need no round trips through the client.
func ExampleClient_Submit() {
	ctx := context.Background()
	c, _ := client.New(client.Config{})
	a, b := "ACTOR-A", "ACTOR-B"

	futs, err := c.Submit(ctx, a, "incr", client.CallOptions{}, 1)
	if err != nil {
		log.Fatal(err)
	}
	// b.add(a.incr(1), 100), without waiting for a.incr.
	sum, err := c.Submit(ctx, b, "add", client.CallOptions{}, futs[0], 100)
	if err != nil {
		log.Fatal(err)
	}
	v, err := sum[0].Get(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(v.Raw()))
}

// Errors carry the API's code and unwrap to package api's sentinels and
// typed errors, as the host's do. Backpressure is never retried by the
// client: the caller decides.
func ExampleError() {
	ctx := context.Background()
	c, _ := client.New(client.Config{})
	for {
		_, err := c.Invoke(ctx, "ACTOR", "add", 1, 2)
		var (
			ce  *client.Error
			app *api.AppError
		)
		switch {
		case err == nil:
			return
		case errors.Is(err, api.ErrBackpressure) && errors.As(err, &ce):
			time.Sleep(ce.RetryAfter) // the server's hint
			continue
		case errors.As(err, &app):
			fmt.Println("the method failed:", app.Code, app.Message)
		case errors.Is(err, api.ErrNotFound):
			fmt.Println("no such actor (or method) in this namespace")
		default:
			log.Fatal(err)
		}
		return
	}
}

// Values decode into Go types: $bytes into []byte, $actor into ActorRef,
// $map into maps with non-text keys.
func ExampleValue_Decode() {
	v := client.ValueOf([]byte(`{"owner": {"$actor": "9f3c", "class": "sha256:ab"}, "blob": {"$bytes": "AQI="}}`))
	var out struct {
		Owner client.ActorRef `json:"owner"`
		Blob  []byte          `json:"blob"`
	}
	if err := v.Decode(&out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Owner.ID, out.Blob)
	// Output: 9f3c [1 2]
}

// FollowLogs streams an actor's log until ctx is done.
func ExampleClient_FollowLogs() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _ := client.New(client.Config{})
	err := c.FollowLogs(ctx, "ACTOR", 0, func(l api.LogLine) error {
		fmt.Println(l.Seq, l.Text)
		return nil
	})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Fatal(err)
	}
}
