package examples_test

import (
	"context"
	"testing"

	"github.com/wactor/wactor/examples"
	"github.com/wactor/wactor/host"
)

func benchPingPong(b *testing.B) (*host.Actor, *host.Actor) {
	ctx := context.Background()
	h, err := host.New(ctx, host.Config{Engine: testEngine()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Close(ctx) })
	wasm, err := examples.Wasm("pingpong")
	if err != nil {
		b.Fatal(err)
	}
	c, err := h.LoadClass(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	x, err := h.Spawn(ctx, c.ID, host.Options{})
	if err != nil {
		b.Fatal(err)
	}
	y, err := h.Spawn(ctx, c.ID, host.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return x, y
}

// BenchmarkPingPong: one op is one synchronous guest-to-guest round trip
// (pingpong.ping calls peer.pong through the host's call import), next to
// the same pong called from the host (BenchmarkHostToGuest).
func BenchmarkPingPong(b *testing.B) {
	x, y := benchPingPong(b)
	ctx := context.Background()
	b.ResetTimer()
	if _, err := x.Invoke(ctx, "ping", y, b.N); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPingPongAsync: guest-to-guest calls sent as futures (send) and
// awaited afterwards, b.N per op batch.
func BenchmarkPingPongAsync(b *testing.B) {
	x, y := benchPingPong(b)
	ctx := context.Background()
	b.ResetTimer()
	for done := 0; done < b.N; done += 1000 {
		n := min(1000, b.N-done)
		if _, err := x.Invoke(ctx, "ping_async", y, n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostToGuest: the same pong, called synchronously from Go.
func BenchmarkHostToGuest(b *testing.B) {
	_, y := benchPingPong(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := y.Invoke(ctx, "pong", i); err != nil {
			b.Fatal(err)
		}
	}
}
