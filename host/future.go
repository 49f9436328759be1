package host

import (
	"context"
	"strconv"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/internal/promise"
)

// Future is the eventual result of one return value of a call (Ray's
// ObjectRef). It can be waited on with Get, or passed as an argument to
// another call, on the same or another actor: that call runs once the value
// is ready, without a round trip through the caller. Safe for concurrent use.
type Future struct {
	actorID string
	// inc is the incarnation of the actor record that made the call: new
	// at every spawn and every recovery by a host process, so a future ID
	// from before a restart never names a call made after it (the call
	// sequence starts again at 1).
	inc   string
	seq   uint64
	index int
	p     promise.P[abi.Value]
}

func newFuture(a *actor, seq uint64, index int) *Future {
	return &Future{actorID: a.id, inc: a.inc, seq: seq, index: index}
}

// ID returns the future's globally unique ID, "ACTOR/INC-SEQ[.INDEX]": the
// actor ID, the incarnation of the actor (12 hex digits, new whenever a
// host process spawns or recovers it), the call's sequence number within
// the incarnation and, for results after the first, the result's index.
// IDs are unique across host restarts: a future ID from before a durable
// actor's recovery never resolves to a call made after it.
func (f *Future) ID() string {
	id := f.actorID + "/" + f.inc + "-" + strconv.FormatUint(f.seq, 10)
	if f.index > 0 {
		id += "." + strconv.Itoa(f.index)
	}
	return id
}

// MarshalCBOR encodes the future as a reference to it (abi.TagFutureRef
// around its ID): a future nested in a call's argument (in a list, a map,
// a struct) is replaced by its value before the method runs, as a future
// passed as a whole argument is.
func (f *Future) MarshalCBOR() ([]byte, error) {
	return abi.AppendText(abi.AppendHead(nil, 6, abi.TagFutureRef), f.ID()), nil
}

// Get waits for the value (or ctx) and returns it. The error is the call's:
// *AppError, *TrapError, *ActorDiedError, ...
func (f *Future) Get(ctx context.Context) (abi.Value, error) { return f.p.Get(ctx) }

// Ready reports whether the result is available (Get would not block).
func (f *Future) Ready() bool { return f.p.Ready() }

// Wait waits until n of futures are ready (n out of range: all), ctx ends or
// timeout (0: none) passes, and splits them into ready (at most n) and
// pending, each in the order given (Ray's ray.wait).
func Wait(ctx context.Context, futures []*Future, n int, timeout time.Duration) (ready, pending []*Future, err error) {
	done := make([]<-chan struct{}, len(futures))
	for i, f := range futures {
		done[i] = f.doneChan()
	}
	idx, err := promise.Wait(ctx, done, n, timeout)
	for i, f := range futures {
		if len(idx) > 0 && idx[0] == i {
			ready, idx = append(ready, f), idx[1:]
		} else {
			pending = append(pending, f)
		}
	}
	return ready, pending, err
}

// Await waits for f and decodes its value into a T.
func Await[T any](ctx context.Context, f *Future) (T, error) {
	var out T
	v, err := f.Get(ctx)
	if err != nil {
		return out, err
	}
	err = codec.Decode(v, &out)
	return out, err
}

// set resolves the future once (later calls are ignored), whenDone runs cb
// once it is (at once if it is), doneChan is closed then, and result is
// what it holds: the promise's Set, WhenDone, Done and Result.
func (f *Future) set(v abi.Value, err error) { f.p.Set(v, err) }
func (f *Future) whenDone(cb func())         { f.p.WhenDone(cb) }
func (f *Future) doneChan() <-chan struct{}  { return f.p.Done() }
func (f *Future) result() (abi.Value, error) { return f.p.Result() }
