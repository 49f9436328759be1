package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wactor/wactor/api"
)

// CallOptions adjust one call (Submit): api.CallOptions, as in the host.
type CallOptions = api.CallOptions

type callRequest struct {
	Args       []any `json:"args"`
	TimeoutMS  int64 `json:"timeout_ms,omitempty"`
	NumReturns int   `json:"num_returns,omitempty"`
}

// Call submits a call and returns its future at once, as host.Actor.Call
// does (POST /v1/actors/{id}/submit/{method} with num_returns 1: the
// values of a method with several come as one array Value). Future.Get
// waits for the result. ctx bounds the request only; the call's deadline
// is the actor's CallTimeout (Submit takes another). Errors known before
// the call runs are returned here: ErrMethodNotFound, ErrArity,
// ErrInvalidArgument, ErrActorDied, ErrBackpressure (not retried).
func (c *Client) Call(ctx context.Context, actorID, method string, args ...any) (*Future, error) {
	futs, err := c.Submit(ctx, actorID, method, CallOptions{NumReturns: 1}, args...)
	if err != nil {
		return nil, err
	}
	return futs[0], nil
}

// Invoke calls a method and waits for its result, as host.Actor.Invoke
// does (POST /v1/actors/{id}/call/{method}, one request). The call's
// timeout is the time left before ctx's deadline, if it has one (else the
// actor's CallTimeout); when it passes, the error is the server's
// deadline_exceeded or ctx's own context.DeadlineExceeded, whichever comes
// first: test with errors.Is(err, context.DeadlineExceeded), which matches
// both. A method with several return values returns them as one array
// Value.
//
// Errors (test with errors.Is and the sentinels of package api):
// api.ErrMethodNotFound, api.ErrArity, api.ErrInvalidArgument before the
// call runs; api.ErrApp (errors.As gives the guest's *api.AppError),
// api.ErrTrap, context.DeadlineExceeded, api.ErrActorDied from running it;
// api.ErrBackpressure when the actor's mailbox is full (not retried).
func (c *Client) Invoke(ctx context.Context, actorID, method string, args ...any) (Value, error) {
	wa, err := wireArgs(args)
	if err != nil {
		return Value{}, err
	}
	in := callRequest{Args: wa, TimeoutMS: timeoutMS(ctx)}
	var out map[string]json.RawMessage
	u := c.endpoint(nil, "/v1/actors/", actorID, "/call/", method)
	if _, err := c.doJSON(ctx, http.MethodPost, u, in, &out); err != nil {
		return Value{}, err
	}
	return resultValue(out)
}

// resultValue picks "value" or "values" (as one array) from a result object.
func resultValue(out map[string]json.RawMessage) (Value, error) {
	if v, ok := out["value"]; ok {
		return Value{raw: v}, nil
	}
	if v, ok := out["values"]; ok {
		return Value{raw: v}, nil
	}
	return Value{}, errNoValue
}

// Submit submits a call without waiting (POST
// /v1/actors/{id}/submit/{method}) and returns one future per return value,
// as host.Actor.Submit does. Get their values with Future.Get, or pass the
// futures as arguments of other calls. ctx bounds the request only; the
// call's deadline is opts.Timeout (or the actor's CallTimeout). Errors
// known before the call runs (unknown method, arity, a dead actor,
// backpressure) are returned here.
func (c *Client) Submit(ctx context.Context, actorID, method string, opts CallOptions, args ...any) ([]*Future, error) {
	wa, err := wireArgs(args)
	if err != nil {
		return nil, err
	}
	in := callRequest{Args: wa, TimeoutMS: millis(opts.Timeout), NumReturns: opts.NumReturns}
	var out struct {
		Futures []string `json:"futures"`
	}
	u := c.endpoint(nil, "/v1/actors/", actorID, "/submit/", method)
	if _, err := c.doJSON(ctx, http.MethodPost, u, in, &out); err != nil {
		return nil, err
	}
	if len(out.Futures) == 0 {
		return nil, fmt.Errorf("client: submit returned no futures")
	}
	futs := make([]*Future, len(out.Futures))
	for i, id := range out.Futures {
		futs[i] = c.Future(id)
	}
	return futs, nil
}

// millis is d in the API's whole milliseconds: a positive duration under
// 1ms is 1ms, not 0 ("the default").
func millis(d time.Duration) int64 {
	if d > 0 && d < time.Millisecond {
		return 1
	}
	return d.Milliseconds()
}

// MaxWait is the longest wait the server allows for one Future request.
const MaxWait = 60 * time.Second

// Future returns the future with that ID on the server, to get its value
// (a future of another call, printed or stored as its ID).
func (c *Client) Future(id string) *Future { return &Future{ID: id, c: c} }

// Poll fetches the future's value (GET /v1/futures/{id}) in one request,
// waiting up to wait (at most MaxWait, and not past ctx's deadline) for it.
// ready is false if it was not ready in time. A failed call returns its
// error (api.ErrApp, api.ErrTrap, ...). Results are kept by the server for
// its future TTL after they resolve; later the future is
// api.ErrFutureNotFound.
func (f *Future) Poll(ctx context.Context, wait time.Duration) (v Value, ready bool, err error) {
	if f.c == nil {
		return Value{}, false, errNoClient
	}
	if wait > MaxWait {
		wait = MaxWait
	}
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d); left < wait {
			wait = left
		}
	}
	if wait < 0 {
		wait = 0
	}
	q := url.Values{"wait_ms": {strconv.FormatInt(wait.Milliseconds(), 10)}}
	var out map[string]json.RawMessage
	status, err := f.c.doJSON(ctx, http.MethodGet, f.c.endpoint(q, "/v1/futures/", f.ID), nil, &out)
	if err != nil {
		return Value{}, false, err
	}
	if status == http.StatusAccepted {
		return Value{}, false, nil
	}
	if p, ok := out["pending"]; ok && string(p) == "true" {
		return Value{}, false, nil
	}
	v, err = resultValue(out)
	if err != nil {
		return Value{}, false, err
	}
	return v, true, nil
}

// Get waits for the future's value until it is ready or ctx is done, with
// long polls of at most MaxWait each, as host.Future.Get does.
func (f *Future) Get(ctx context.Context) (Value, error) {
	for {
		v, ready, err := f.Poll(ctx, MaxWait)
		if err != nil || ready {
			return v, err
		}
		if err := ctx.Err(); err != nil {
			return Value{}, err
		}
	}
}

// BatchCall is one call of a Batch.
type BatchCall struct {
	Actor  string
	Method string
	Args   []any
	// NumReturns is the number of return values (0: the method's default).
	NumReturns int
}

// BatchResult is the outcome of one call of a Batch: Err (an *Error) if it
// failed; else, when waiting, Value (several return values as one array);
// when not, Futures, one per return value, and Future, the first of them.
type BatchResult struct {
	Value   Value
	Future  *Future
	Futures []*Future
	Err     error
}

// Batch submits several calls in one request (POST /v1/batch). The results
// are in the order of calls; each call succeeds or fails on its own. With
// wait, the server waits for every result (bounded by ctx's deadline, which
// is sent as the batch's timeout); without, each result is a future. Calls
// to one actor in one batch run in their order in calls.
func (c *Client) Batch(ctx context.Context, calls []BatchCall, wait bool) ([]BatchResult, error) {
	type wireCall struct {
		Actor      string `json:"actor"`
		Method     string `json:"method"`
		Args       []any  `json:"args"`
		NumReturns int    `json:"num_returns,omitempty"`
	}
	in := struct {
		Calls     []wireCall `json:"calls"`
		Wait      bool       `json:"wait"`
		TimeoutMS int64      `json:"timeout_ms,omitempty"`
	}{Calls: make([]wireCall, len(calls)), Wait: wait, TimeoutMS: timeoutMS(ctx)}
	for i, bc := range calls {
		wa, err := wireArgs(bc.Args)
		if err != nil {
			return nil, fmt.Errorf("client: batch call %d: %w", i, err)
		}
		in.Calls[i] = wireCall{bc.Actor, bc.Method, wa, bc.NumReturns}
	}
	var out struct {
		Results []map[string]json.RawMessage `json:"results"`
	}
	if _, err := c.doJSON(ctx, http.MethodPost, c.endpoint(nil, "/v1/batch"), in, &out); err != nil {
		return nil, err
	}
	if len(out.Results) != len(calls) {
		return nil, fmt.Errorf("client: batch of %d calls returned %d results", len(calls), len(out.Results))
	}
	res := make([]BatchResult, len(out.Results))
	for i, r := range out.Results {
		switch {
		case r["error"] != nil:
			res[i].Err = errorFromJSON(r["error"])
		case r["future"] != nil:
			var f Future
			if err := json.Unmarshal(r["future"], &f); err != nil {
				return nil, fmt.Errorf("client: batch result %d: %w", i, err)
			}
			res[i].Future = c.Future(f.ID)
			res[i].Futures = []*Future{res[i].Future}
		case r["futures"] != nil:
			var ids []string
			if err := json.Unmarshal(r["futures"], &ids); err != nil || len(ids) == 0 {
				return nil, fmt.Errorf("client: batch result %d: bad futures %s", i, truncate(r["futures"]))
			}
			for _, id := range ids {
				res[i].Futures = append(res[i].Futures, c.Future(id))
			}
			res[i].Future = res[i].Futures[0]
		default:
			v, err := resultValue(r)
			if err != nil {
				return nil, fmt.Errorf("client: batch result %d: %w", i, err)
			}
			res[i].Value = v
		}
	}
	return res, nil
}
