package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/wactor/wactor/abi"
)

// route is one entry of the API: a method and a path pattern of
// http.ServeMux, and its handler.
type route struct {
	method, path string
	// public routes need no token.
	public bool
	// operator routes show what is host-wide (every namespace's): with a
	// tokens file, only operator tokens may use them.
	operator bool
	// raw handlers write their own response (metrics, probes).
	raw    http.HandlerFunc
	handle func(*request) error
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routeTable lists every route the server serves. The OpenAPI document
// (docs/openapi.json) must list the same ones; a test checks it.
func (s *Server) routeTable() []route {
	return []route{
		{method: "POST", path: "/v1/classes", handle: s.uploadClass},
		{method: "GET", path: "/v1/classes", handle: s.listClasses},
		{method: "GET", path: "/v1/classes/{id}", handle: s.showClass},
		{method: "DELETE", path: "/v1/classes/{id}", handle: s.deleteClass},
		{method: "POST", path: "/v1/actors", handle: s.spawnActor},
		{method: "GET", path: "/v1/actors", handle: s.listActors},
		{method: "GET", path: "/v1/actors/{id}", handle: s.showActor},
		{method: "DELETE", path: "/v1/actors/{id}", handle: s.killActor},
		{method: "GET", path: "/v1/names/{name}", handle: s.lookupName},
		{method: "POST", path: "/v1/actors/{id}/call/{method}", handle: s.callMethod},
		{method: "POST", path: "/v1/actors/{id}/submit/{method}", handle: s.submitMethod},
		{method: "GET", path: "/v1/futures/{id...}", handle: s.getFuture},
		{method: "POST", path: "/v1/batch", handle: s.batch},
		{method: "GET", path: "/v1/actors/{id}/logs", handle: s.actorLogs},
		{method: "POST", path: "/v1/actors/{id}/checkpoints", handle: s.createCheckpoint},
		{method: "GET", path: "/v1/actors/{id}/checkpoints", handle: s.listCheckpoints},
		{method: "POST", path: "/v1/actors/{id}/restore", handle: s.restoreActor},
		{method: "POST", path: "/v1/actors/{id}/repair", handle: s.repairActor},
		{method: "POST", path: "/v1/actors/{id}/discard", handle: s.discardActor},
		{method: "GET", path: "/v1/node", operator: true, handle: s.nodeUsage},
		{method: "GET", path: "/v1/namespace", handle: s.namespaceUsage},
		{method: "GET", path: "/metrics", operator: true, raw: s.metrics.handler().ServeHTTP},
		{method: "GET", path: "/healthz", public: true, raw: s.healthz},
		{method: "GET", path: "/readyz", public: true, raw: s.readyz},
	}
}

// reqInfo collects what the access log and the metrics report about one
// request; handlers fill in what they learn.
type reqInfo struct {
	id        string
	namespace string
	token     string
	actor     string
	errCode   string
	err       error
}

type reqInfoKey struct{}

func infoFrom(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// serveHTTP is the outermost handler: request ID, status capture, metrics
// and the access log around the mux.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &reqInfo{id: requestID(r)}
	w.Header().Set("X-Request-Id", info.id)
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, info))
	sw := &statusWriter{ResponseWriter: w, r: r, info: info}
	s.mux.ServeHTTP(sw, r)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	s.metrics.request(route, sw.status)

	level := slog.LevelDebug
	switch {
	case info.errCode == codeInternal:
		level = slog.LevelError
	case sw.status >= 500:
		level = slog.LevelWarn
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", info.id),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.Int("status", sw.status),
		slog.Duration("duration", time.Since(start)),
	}
	if info.namespace != "" {
		attrs = append(attrs, slog.String("namespace", info.namespace))
	}
	if info.token != "" {
		attrs = append(attrs, slog.String("token", info.token))
	}
	if info.actor != "" {
		attrs = append(attrs, slog.String("actor", info.actor))
	}
	if info.errCode != "" {
		attrs = append(attrs, slog.String("error_code", info.errCode))
	}
	if info.err != nil {
		attrs = append(attrs, slog.String("error", info.err.Error()))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// requestID returns the client's X-Request-Id if it is sane, else a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 && !strings.ContainsFunc(id, func(c rune) bool {
		return c <= ' ' || c > '~'
	}) {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter records the status, and turns the mux's own plain-text 404
// and 405 answers (no route matched) into API errors.
type statusWriter struct {
	http.ResponseWriter
	r       *http.Request
	info    *reqInfo
	status  int
	swallow bool
}

// WriteHeader records the status; a 404 or 405 of the mux itself is
// answered as an API error instead.
func (w *statusWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	if w.r.Pattern == "" && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		e := newError(codeNotFound, "no route for %s %s", w.r.Method, w.r.URL.Path)
		if code == http.StatusMethodNotAllowed {
			e = newError(codeMethodNotAllowed, "%s is not allowed on %s (allowed: %s)", w.r.Method, w.r.URL.Path, w.Header().Get("Allow"))
		}
		w.info.errCode = e.Code
		w.swallow = true
		body, _ := json.Marshal(errorBody{Error: e})
		h := w.Header()
		h.Del("X-Content-Type-Options")
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)+1))
		w.ResponseWriter.WriteHeader(code)
		_, _ = w.ResponseWriter.Write(append(body, '\n'))
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write writes the body (and drops the mux's own plain-text error body).
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets log streams flush through the wrapper.
func (w *statusWriter) Flush() { _ = w.FlushError() }

// FlushError flushes and reports a client that went away
// (http.ResponseController uses it).
func (w *statusWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// request is one API request on its way through a handler.
type request struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	info    *reqInfo
	ns      string // the caller's namespace
	cborIn  bool   // the body is CBOR
	cborOut bool   // the client wants CBOR
}

func (rq *request) ctx() context.Context { return rq.r.Context() }

// logEvent logs a change the request made (a class loaded, an actor spawned
// or killed), with the request ID and namespace.
func (rq *request) logEvent(msg string, attrs ...slog.Attr) {
	attrs = append(attrs, slog.String("request_id", rq.info.id), slog.String("namespace", rq.ns))
	rq.s.log.LogAttrs(rq.ctx(), slog.LevelInfo, msg, attrs...)
}

// wrap turns a route into an http.Handler: content negotiation,
// authentication, and errors written in the API's format.
func (s *Server) wrap(rt route) http.Handler {
	if rt.raw != nil && rt.public {
		return rt.raw
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{s: s, w: w, r: r, info: infoFrom(r)}
		rq.cborOut = acceptsCBOR(r.Header.Get("Accept"))
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == mimeCBOR {
				rq.cborIn = true
			}
		}
		if !rt.public {
			tok, err := s.authenticate(r)
			if err != nil {
				rq.fail(err)
				return
			}
			rq.ns = tok.Namespace
			rq.info.namespace, rq.info.token = tok.Namespace, tok.Name
			if rt.operator && !tok.Operator {
				rq.fail(newError(codeForbidden, "%s %s shows every namespace's use of the host: it needs an operator token", rt.method, rt.path))
				return
			}
		}
		if rt.raw != nil {
			rt.raw(w, r)
			return
		}
		if err := rt.handle(rq); err != nil {
			rq.fail(err)
		}
	})
}

const (
	mimeCBOR = "application/cbor"
	mimeJSON = "application/json"
)

// acceptsCBOR reports whether an Accept header asks for CBOR.
func acceptsCBOR(accept string) bool {
	if accept == "" {
		return false
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && mt == mimeCBOR && params["q"] != "0" {
			return true
		}
	}
	return false
}

// errorBody is the body of every error response.
type errorBody struct {
	Error *apiError `json:"error"`
}

// fail writes err as an API error (unless a streaming response has begun).
func (rq *request) fail(err error) {
	e := errorFor(err)
	rq.info.errCode = e.Code
	if e.Code == codeInternal || e.status() >= 500 {
		rq.info.err = err
	}
	if sw, ok := rq.w.(*statusWriter); ok && sw.status != 0 {
		return // headers are out: a stream that failed midway
	}
	switch e.Code {
	case codeBackpressure, codeQuotaExceeded:
		rq.w.Header().Set("Retry-After", "1")
	case codeUnauthorized:
		rq.w.Header().Set("WWW-Authenticate", `Bearer realm="wactor"`)
	}
	rq.reply(e.status(), errorBody{Error: e})
}

// reply writes v as the response body, in CBOR if the client asked for it.
func (rq *request) reply(status int, v any) {
	var (
		body []byte
		err  error
		ct   = mimeJSON
	)
	if rq.cborOut {
		ct = mimeCBOR
		body, err = cborEnc.Marshal(v)
	} else {
		body, err = json.Marshal(v)
		body = append(body, '\n')
	}
	if err != nil {
		e := &apiError{Code: codeInternal, Message: "encoding the response: " + err.Error()}
		rq.info.errCode, rq.info.err = e.Code, err
		status, ct = e.status(), mimeJSON
		body, _ = json.Marshal(errorBody{Error: e})
	}
	h := rq.w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(status)
	_, _ = rq.w.Write(body)
}

// noContent answers 204.
func (rq *request) noContent() { rq.w.WriteHeader(http.StatusNoContent) }

var (
	cborEnc cbor.EncMode
	cborDec cbor.DecMode
)

func init() {
	var err error
	cborEnc, err = cbor.EncOptions{Time: cbor.TimeRFC3339Nano, IndefLength: cbor.IndefLengthForbidden}.EncMode()
	if err != nil {
		panic(err)
	}
	cborDec, err = cbor.DecOptions{
		// Request envelope (2 levels) plus an argument's own ABI depth.
		MaxNestedLevels:   abi.MaxDepth + 4,
		MaxArrayElements:  abi.MaxElements,
		MaxMapPairs:       abi.MaxElements,
		IndefLength:       cbor.IndefLengthForbidden,
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
		TagsMd:            cbor.TagsAllowed,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// decode reads a JSON or CBOR request body into dst, a pointer to a
// request struct. An empty body leaves dst as it is.
func (rq *request) decode(dst any) error {
	data, err := io.ReadAll(http.MaxBytesReader(rq.w, rq.r.Body, rq.s.maxJSON))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{Code: codeTooLarge, Message: fmt.Sprintf("request body over the limit of %d bytes (twice the host's max_arg_bytes)", mbe.Limit)}
		}
		return newError(codeBadRequest, "reading the request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if rq.cborIn {
		if err := cborDec.Unmarshal(data, dst); err != nil {
			return newError(codeBadRequest, "malformed CBOR request: %v", err)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return newError(codeBadRequest, "malformed JSON request: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return newError(codeBadRequest, "malformed JSON request: data after the object")
	}
	return nil
}

// rawArg is one argument as it arrived: JSON (with the "$" encodings) or
// CBOR. It is converted once the caller's namespace is known.
type rawArg struct {
	isCBOR bool
	data   []byte
}

// UnmarshalJSON keeps the raw JSON.
func (a *rawArg) UnmarshalJSON(b []byte) error {
	a.isCBOR, a.data = false, slices.Clone(b)
	return nil
}

// UnmarshalCBOR keeps the raw CBOR.
func (a *rawArg) UnmarshalCBOR(b []byte) error {
	a.isCBOR, a.data = true, slices.Clone(b)
	return nil
}

// wireValue is a CBOR value in a response: JSON with the "$" encodings, or
// CBOR as it is.
type wireValue abi.Value

// MarshalJSON renders the value as JSON.
func (v wireValue) MarshalJSON() ([]byte, error) {
	if len(v) == 0 {
		return []byte("null"), nil
	}
	return valueJSON(abi.Value(v))
}

// MarshalCBOR returns the value's encoding.
func (v wireValue) MarshalCBOR() ([]byte, error) {
	if len(v) == 0 {
		return []byte{0xf6}, nil
	}
	return v, nil
}

// queryInt parses an integer query parameter within [lo, hi] (def if absent).
func queryInt(rq *request, name string, def, lo, hi int64) (int64, error) {
	s := rq.r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, newError(codeBadRequest, "query parameter %s=%q: want an integer in [%d, %d]", name, s, lo, hi)
	}
	return n, nil
}

// queryBool parses a boolean query parameter (false if absent).
func queryBool(rq *request, name string) (bool, error) {
	s := rq.r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, newError(codeBadRequest, "query parameter %s=%q: want true or false", name, s)
	}
	return b, nil
}

// healthz answers 200 while the process serves.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// readyz answers 200 while the server accepts work, 503 once it is closing.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.closing() {
		rq := &request{s: s, w: w, r: r, info: infoFrom(r)}
		rq.fail(newError(codeUnavailable, "the server is shutting down"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}
