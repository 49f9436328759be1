//go:build wasip1

// Command pingpong is an actor class whose actors call each other: ping
// calls pong on a peer, synchronously or through futures, and ping_self
// shows that an actor calling itself is refused with wactor.deadlock.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o examples/pingpong/pingpong.wasm ./examples/pingpong
package main

import (
	"math"

	wactor "github.com/wactor/wactor/guest-sdk/go"
)

func init() { wactor.SetClass("pingpong", "Actors that call each other.") }

var pong = wactor.Method1("pong", func(x int64) (int64, error) {
	if x == math.MaxInt64 {
		return 0, wactor.NewError("overflow", "pong(x) needs x < 2^63-1")
	}
	return x + 1, nil
}).Doc("Returns x+1.")

func checkN(n int64) error {
	if n < 0 {
		return wactor.Errorf("invalid_amount", "n must be >= 0, got %d", n)
	}
	return nil
}

var ping = wactor.Method2("ping", func(peer wactor.Handle, n int64) (int64, error) {
	if err := checkN(n); err != nil {
		return 0, err
	}
	var sum int64
	for i := range n {
		r, err := wactor.CallAs[int64](peer, "pong", i)
		if err != nil {
			return 0, err // the peer's or the host's error, code unchanged
		}
		sum += r
	}
	return sum, nil
}).Doc("Calls peer.pong(i) for i in 0..n-1, one after the other; returns the sum of the results.")

var pingAsync = wactor.Method2("ping_async", func(peer wactor.Handle, n int64) (int64, error) {
	if err := checkN(n); err != nil {
		return 0, err
	}
	futures := make([]*wactor.Future, 0, n)
	var firstErr error
	for i := range n {
		f, err := peer.Send("pong", i)
		if err != nil {
			firstErr = err
			break
		}
		futures = append(futures, f)
	}
	// Await every future that was sent, even after an error, so none is
	// left outstanding.
	var sum int64
	for _, f := range futures {
		r, err := wactor.Await[int64](f)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		sum += r
	}
	if firstErr != nil {
		return 0, firstErr
	}
	return sum, nil
}).Doc("Sends n calls peer.pong(i) at once, then awaits them all; returns the sum of the results.")

var pingSelf = wactor.Method0("ping_self", func() (int64, error) {
	r, err := wactor.CallAs[int64](wactor.Self(), "pong", 1)
	if err != nil {
		return 0, err // wactor.deadlock: this actor is busy running ping_self
	}
	return 0, wactor.Errorf("no_deadlock", "calling myself returned %d instead of failing with %s", r, wactor.CodeDeadlock)
}).Doc("Calls pong on itself, which the host refuses: fails with the host's error (code wactor.deadlock).")

var relay = wactor.Method1("relay", func(chain []wactor.Handle) (int64, error) {
	if len(chain) == 0 {
		return 0, nil
	}
	n, err := wactor.CallAs[int64](chain[0], "relay", chain[1:])
	if err != nil {
		return 0, err
	}
	return n + 1, nil
}).Doc("Calls chain[0].relay(chain[1:]) synchronously and returns the hops made; relay([b, c, a]) on a closes a cycle a -> b -> c -> a.")

//go:wasmexport relay
func relayExport(ptr, size uint32) uint64 { return relay.Call(ptr, size) }

//go:wasmexport pong
func pongExport(ptr, size uint32) uint64 { return pong.Call(ptr, size) }

//go:wasmexport ping
func pingExport(ptr, size uint32) uint64 { return ping.Call(ptr, size) }

//go:wasmexport ping_async
func pingAsyncExport(ptr, size uint32) uint64 { return pingAsync.Call(ptr, size) }

//go:wasmexport ping_self
func pingSelfExport(ptr, size uint32) uint64 { return pingSelf.Call(ptr, size) }

func main() {}
