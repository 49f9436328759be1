package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/host"
)

const (
	// maxWaitMs bounds wait_ms of GET /v1/futures/{id}.
	maxWaitMs = 60_000
	// maxBatchCalls bounds the calls of one batch.
	maxBatchCalls = 10_000
)

// callRequest is the body of the call and submit routes.
type callRequest struct {
	Args       rawArgs `json:"args"`
	TimeoutMs  int64   `json:"timeout_ms"`
	NumReturns int     `json:"num_returns"`
}

// callResult is the outcome of one call: a value, several values, future
// IDs, or an error (in a batch).
type callResult struct {
	Value   *wireValue  `json:"value,omitempty"`
	Values  []wireValue `json:"values,omitempty"`
	Future  string      `json:"future,omitempty"`
	Futures []string    `json:"futures,omitempty"`
	Error   *apiError   `json:"error,omitempty"`
}

// valuesResult is the result of a call whose futures resolved: one value,
// or several for a call with more than one return.
func valuesResult(vals []abi.Value) callResult {
	if len(vals) == 1 {
		v := wireValue(vals[0])
		return callResult{Value: &v}
	}
	out := make([]wireValue, len(vals))
	for i, v := range vals {
		out[i] = wireValue(v)
	}
	return callResult{Values: out}
}

func futureIDs(futs []*host.Future) []string {
	ids := make([]string, len(futs))
	for i, f := range futs {
		ids[i] = f.ID()
	}
	return ids
}

// callContext is the context that governs a call: timeout_ms, if given, is
// the call's deadline (a queued call is dropped, a running one interrupted).
// It does not derive from the request: a client that goes away does not
// cancel its calls. cancel is nil without a timeout.
func callContext(timeoutMs int64) (context.Context, context.CancelFunc, error) {
	if timeoutMs < 0 || timeoutMs > maxTimeoutMs {
		return nil, nil, newError(codeInvalidArgument, "timeout_ms %d out of range [0, %d]", timeoutMs, maxTimeoutMs)
	}
	if timeoutMs == 0 {
		return context.Background(), nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeoutMs)*time.Millisecond)
	return ctx, cancel, nil
}

// waitContext bounds a wait for results by the request and timeout_ms.
func waitContext(rq *request, timeoutMs int64) (context.Context, context.CancelFunc) {
	if timeoutMs == 0 {
		return context.WithCancel(rq.ctx())
	}
	return context.WithTimeout(rq.ctx(), time.Duration(timeoutMs)*time.Millisecond)
}

// waitAll waits for the futures of one call.
func waitAll(ctx context.Context, futs []*host.Future) ([]abi.Value, error) {
	vals := make([]abi.Value, len(futs))
	for i, f := range futs {
		v, err := f.Get(ctx)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// submit decodes a call request and submits the call.
func (s *Server) submit(rq *request) ([]*host.Future, context.CancelFunc, *callRequest, error) {
	a, err := s.actor(rq)
	if err != nil {
		return nil, nil, nil, err
	}
	var req callRequest
	if err := rq.decode(&req); err != nil {
		return nil, nil, nil, err
	}
	args, err := s.args(rq, req.Args)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel, err := callContext(req.TimeoutMs)
	if err != nil {
		return nil, nil, nil, err
	}
	futs, err := a.Submit(ctx, rq.r.PathValue("method"), host.CallOptions{NumReturns: req.NumReturns}, args...)
	if err != nil {
		if cancel != nil {
			cancel()
		}
		return nil, nil, nil, err
	}
	return futs, cancel, &req, nil
}

// callMethod: POST /v1/actors/{id}/call/{method}, a synchronous call.
func (s *Server) callMethod(rq *request) error {
	futs, cancel, req, err := s.submit(rq)
	if err != nil {
		return err
	}
	wctx, wcancel := waitContext(rq, req.TimeoutMs)
	vals, err := waitAll(wctx, futs)
	wcancel()
	s.futures.releaseWhenDone(futs, cancel)
	if err != nil {
		return err
	}
	rq.reply(http.StatusOK, valuesResult(vals))
	return nil
}

// submitMethod: POST /v1/actors/{id}/submit/{method}, an asynchronous call
// whose futures are kept in the registry.
func (s *Server) submitMethod(rq *request) error {
	if err := s.futures.reserve(rq.ns, 1); err != nil {
		return err
	}
	futs, cancel, _, err := s.submit(rq)
	if err != nil {
		return err
	}
	s.futures.add(rq.ns, futs)
	s.futures.releaseWhenDone(futs, cancel)
	rq.reply(http.StatusAccepted, callResult{Futures: futureIDs(futs)})
	return nil
}

// pendingBody is the 202 body of a future that is not ready.
type pendingBody struct {
	Pending bool `json:"pending"`
}

// getFuture: GET /v1/futures/{id}?wait_ms=, a future's result, waiting at
// most wait_ms (capped at 60 s; long polls end when the server drains).
func (s *Server) getFuture(rq *request) error {
	id := rq.r.PathValue("id")
	if actor, _, ok := strings.Cut(id, "/"); ok {
		rq.info.actor = actor
	}
	waitMs, err := queryInt(rq, "wait_ms", 0, 0, 1<<40)
	if err != nil {
		return err
	}
	waitMs = min(waitMs, maxWaitMs)
	f, err := s.futures.get(rq.ns, id, time.Now())
	if err != nil {
		return err
	}
	if !f.Ready() && waitMs > 0 {
		ctx, cancel := context.WithTimeout(rq.ctx(), time.Duration(waitMs)*time.Millisecond)
		stop := context.AfterFunc(s.drainCtx, cancel)
		_, _ = f.Get(ctx)
		stop()
		cancel()
	}
	if !f.Ready() {
		rq.reply(http.StatusAccepted, pendingBody{Pending: true})
		return nil
	}
	v, err := f.Get(context.Background())
	if err != nil {
		return err
	}
	rq.reply(http.StatusOK, valuesResult([]abi.Value{v}))
	return nil
}

// batchCall is one call of a batch.
type batchCall struct {
	Actor      string  `json:"actor"`
	Method     string  `json:"method"`
	Args       rawArgs `json:"args"`
	NumReturns int     `json:"num_returns"`
}

// batchCalls are the calls of a batch. More than maxBatchCalls are refused
// from a count of the array, before any call is decoded.
type batchCalls []batchCall

// UnmarshalJSON counts the calls, then decodes them into a slice of that
// size.
func (b *batchCalls) UnmarshalJSON(data []byte) error {
	n, err := countJSONArray(data)
	if err != nil {
		return newError(codeBadRequest, "field calls: want an array")
	}
	if n > maxBatchCalls {
		return newError(codeTooLarge, "batch of %d calls exceeds %d", n, maxBatchCalls)
	}
	calls := make([]batchCall, 0, n)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&calls); err != nil {
		return err
	}
	*b = calls
	return nil
}

// UnmarshalCBOR is UnmarshalJSON for CBOR, whose array head has the count.
func (b *batchCalls) UnmarshalCBOR(data []byte) error {
	n, _, ok := abi.ReadHead(data)
	if !ok || data[0]>>5 != 4 {
		return newError(codeBadRequest, "field calls: want an array")
	}
	if n > maxBatchCalls {
		return newError(codeTooLarge, "batch of %d calls exceeds %d", n, maxBatchCalls)
	}
	var calls []batchCall
	if err := cborDec.Unmarshal(data, &calls); err != nil {
		return err
	}
	*b = calls
	return nil
}

// batchRequest is the body of POST /v1/batch.
type batchRequest struct {
	Calls     batchCalls `json:"calls"`
	Wait      bool       `json:"wait"`
	TimeoutMs int64      `json:"timeout_ms"`
}

// batchResponse is the answer of POST /v1/batch: one result per call, in
// order.
type batchResponse struct {
	Results []callResult `json:"results"`
}

// batch: POST /v1/batch. Every call is submitted first (calls to one actor
// through one handle, so they run in batch order), then, with wait, their
// results are collected. A call that fails has an error result; the others
// are not affected.
func (s *Server) batch(rq *request) error {
	var req batchRequest
	if err := rq.decode(&req); err != nil {
		return err
	}
	// batchCalls' decoders refused more than maxBatchCalls already.
	if !req.Wait {
		if err := s.futures.reserve(rq.ns, len(req.Calls)); err != nil {
			return err
		}
	}
	ctx, cancel, err := callContext(req.TimeoutMs)
	if err != nil {
		return err
	}
	results := make([]callResult, len(req.Calls))
	submitted := make([][]*host.Future, len(req.Calls))
	var all []*host.Future
	handles := map[string]*host.Actor{}
	for i, c := range req.Calls {
		futs, err := s.batchSubmit(ctx, rq, handles, c)
		if err != nil {
			results[i].Error = errorFor(err)
			continue
		}
		submitted[i] = futs
		all = append(all, futs...)
	}
	if !req.Wait {
		for i, futs := range submitted {
			switch {
			case futs == nil:
			case len(futs) == 1:
				results[i].Future = futs[0].ID()
			default:
				results[i].Futures = futureIDs(futs)
			}
			if futs != nil {
				s.futures.add(rq.ns, futs)
			}
		}
		s.futures.releaseWhenDone(all, cancel)
		rq.reply(http.StatusOK, batchResponse{Results: results})
		return nil
	}
	wctx, wcancel := waitContext(rq, req.TimeoutMs)
	defer wcancel()
	for i, futs := range submitted {
		if futs == nil {
			continue
		}
		vals, err := waitAll(wctx, futs)
		if err != nil {
			results[i].Error = errorFor(err)
			continue
		}
		results[i] = valuesResult(vals)
	}
	s.futures.releaseWhenDone(all, cancel)
	rq.reply(http.StatusOK, batchResponse{Results: results})
	return nil
}

// batchSubmit submits one call of a batch.
func (s *Server) batchSubmit(ctx context.Context, rq *request, handles map[string]*host.Actor, c batchCall) ([]*host.Future, error) {
	a, ok := handles[c.Actor]
	if !ok {
		var err error
		if a, err = s.actorIn(rq.ctx(), rq.ns, c.Actor); err != nil {
			return nil, err
		}
		handles[c.Actor] = a
	}
	if c.Method == "" {
		return nil, newError(codeInvalidArgument, "method is required")
	}
	args, err := s.args(rq, c.Args)
	if err != nil {
		return nil, err
	}
	futs, err := a.Submit(ctx, c.Method, host.CallOptions{NumReturns: c.NumReturns}, args...)
	if err != nil {
		return nil, fmt.Errorf("call %s.%s: %w", c.Actor, c.Method, err)
	}
	return futs, nil
}
