package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CallOptions adjust one call.
type CallOptions struct {
	// NumReturns is the number of return values asked for (Ray's
	// num_return_vals); 0 means the method's default from the manifest.
	// Submit returns one future per return value; a synchronous call with
	// several returns gets them as one array Value (see Value.Values).
	NumReturns int
	// TimeoutMS is the call's deadline in milliseconds, counted from its
	// submission; 0 means the actor's CallTimeout. For synchronous calls
	// without it, the time left before ctx's deadline is used.
	TimeoutMS int64
}

type callRequest struct {
	Args       []any `json:"args"`
	TimeoutMS  int64 `json:"timeout_ms,omitempty"`
	NumReturns int   `json:"num_returns,omitempty"`
}

// Call calls a method and waits for its result (POST
// /v1/actors/{id}/call/{method}). The call's timeout is the time left
// before ctx's deadline, if it has one (else the actor's CallTimeout); when
// it passes, the error is the server's ErrDeadline or ctx's own
// context.DeadlineExceeded, whichever comes first: test with
// errors.Is(err, context.DeadlineExceeded), which matches both. A method
// with several return values returns them as one array Value.
//
// Errors: ErrMethodNotFound, ErrArity, ErrInvalidArgument before the call
// runs; ErrAppError (the guest's code and message in Details), ErrTrap,
// ErrDeadline, ErrActorDied from running it; ErrBackpressure when the
// actor's mailbox is full (not retried).
func (c *Client) Call(ctx context.Context, actorID, method string, args ...any) (Value, error) {
	return c.CallWithOptions(ctx, actorID, method, CallOptions{}, args...)
}

// CallWithOptions is Call with options (several return values, an explicit
// timeout).
func (c *Client) CallWithOptions(ctx context.Context, actorID, method string, opts CallOptions, args ...any) (Value, error) {
	wa, err := wireArgs(args)
	if err != nil {
		return Value{}, err
	}
	in := callRequest{Args: wa, TimeoutMS: opts.TimeoutMS, NumReturns: opts.NumReturns}
	if in.TimeoutMS == 0 {
		in.TimeoutMS = timeoutMS(ctx)
	}
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
// /v1/actors/{id}/submit/{method}) and returns one future per return value.
// Fetch results with Future or Await, or pass the futures as arguments of
// other calls. ctx bounds the request only; the call's deadline is
// opts.TimeoutMS (or the actor's CallTimeout). Errors known before the call
// runs (unknown method, arity, a dead actor, backpressure) are returned here.
func (c *Client) Submit(ctx context.Context, actorID, method string, opts CallOptions, args ...any) ([]FutureRef, error) {
	wa, err := wireArgs(args)
	if err != nil {
		return nil, err
	}
	in := callRequest{Args: wa, TimeoutMS: opts.TimeoutMS, NumReturns: opts.NumReturns}
	var out struct {
		Futures []string `json:"futures"`
	}
	u := c.endpoint(nil, "/v1/actors/", actorID, "/submit/", method)
	if _, err := c.doJSON(ctx, http.MethodPost, u, in, &out); err != nil {
		return nil, err
	}
	refs := make([]FutureRef, len(out.Futures))
	for i, id := range out.Futures {
		refs[i] = FutureRef{ID: id}
	}
	return refs, nil
}

// MaxWait is the longest wait the server allows for one Future request.
const MaxWait = 60 * time.Second

// Future fetches a future's value (GET /v1/futures/{id}), waiting up to wait
// (at most MaxWait, and not past ctx's deadline) for it. ready is false if
// it was not ready in time. A failed call returns its error (ErrAppError,
// ErrTrap, ...). Results are kept by the server for its future TTL after
// they resolve; later the future is ErrFutureNotFound.
func (c *Client) Future(ctx context.Context, id string, wait time.Duration) (v Value, ready bool, err error) {
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
	status, err := c.doJSON(ctx, http.MethodGet, c.endpoint(q, "/v1/futures/", id), nil, &out)
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

// Await waits for a future until it is ready or ctx is done, with long polls
// of at most MaxWait each.
func (c *Client) Await(ctx context.Context, id string) (Value, error) {
	for {
		v, ready, err := c.Future(ctx, id, MaxWait)
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
	Future  FutureRef
	Futures []FutureRef
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
			if err := json.Unmarshal(r["future"], &res[i].Future); err != nil {
				return nil, fmt.Errorf("client: batch result %d: %w", i, err)
			}
			res[i].Futures = []FutureRef{res[i].Future}
		case r["futures"] != nil:
			var ids []string
			if err := json.Unmarshal(r["futures"], &ids); err != nil || len(ids) == 0 {
				return nil, fmt.Errorf("client: batch result %d: bad futures %s", i, truncate(r["futures"]))
			}
			for _, id := range ids {
				res[i].Futures = append(res[i].Futures, FutureRef{ID: id})
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
