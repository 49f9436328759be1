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
	"net"
	"net/http"
	"reflect"
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
	if hasBody(r) && s.cfg.BodyTimeout > 0 {
		// The body must arrive within BodyTimeout (readBody lifts the
		// deadline once it has): a client trickling a body does not hold
		// a connection and a handler for long. A body no handler reads is
		// discarded by net/http under the same deadline.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
	}
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
		// Without json's wrapper, which names the Go type.
		var me *json.MarshalerError
		if errors.As(err, &me) {
			err = me.Unwrap()
		}
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

// bodyLimits bound a JSON request body while it is scanned: the request's
// own fields (at most 4 levels: a batch's calls, each call's args) around
// arguments within the ABI's limits, and no string longer than all of a
// call's arguments may be.
func (s *Server) bodyLimits() jsonLimits {
	return jsonLimits{depth: abi.MaxDepth + 4, elements: abi.MaxElements, str: s.host.Config().MaxArgBytes}
}

// requestType returns whether a request body is CBOR, or an
// unsupported_media_type error: a body is JSON (application/json, with no
// charset or charset=utf-8) or CBOR (application/cbor); a body without a
// Content-Type is JSON.
func requestType(ct string) (isCBOR bool, err error) {
	if ct == "" {
		return false, nil
	}
	mt, params, perr := mime.ParseMediaType(ct)
	if perr == nil {
		cs, hasCS := params["charset"]
		switch {
		case mt == mimeJSON && (len(params) == 0 || len(params) == 1 && hasCS && strings.EqualFold(cs, "utf-8")):
			return false, nil
		case mt == mimeCBOR && len(params) == 0:
			return true, nil
		}
	}
	return false, newError(codeUnsupportedMediaType, "Content-Type %q is not supported: send application/json (UTF-8) or application/cbor", ct)
}

// hasBody reports whether a request comes with a body to read.
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// readBody reads the request body, at most limit bytes, before the body
// deadline serveHTTP set; once it is read, the deadline is lifted, so a
// long call or stream is not cut by it. tooLarge names the limit.
func (rq *request) readBody(limit int64, tooLarge func(limit int64) string) ([]byte, error) {
	if n := rq.r.ContentLength; n > limit {
		// Declared too large: refused unread (net/http closes the
		// connection rather than read a large unread body).
		return nil, &apiError{Code: codeTooLarge, Message: tooLarge(limit)}
	}
	body := http.MaxBytesReader(rq.w, rq.r.Body, limit)
	// A declared length is allocated once (with the room ReadFrom wants
	// free to see the end); else the buffer grows.
	var buf bytes.Buffer
	if n := rq.r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(body)
	if err != nil {
		return nil, rq.s.bodyError(err, tooLarge)
	}
	_ = http.NewResponseController(rq.w).SetReadDeadline(time.Time{})
	return buf.Bytes(), nil
}

// bodyError maps an error reading a request body.
func (s *Server) bodyError(err error, tooLarge func(limit int64) string) error {
	var (
		mbe *http.MaxBytesError
		ne  net.Error
	)
	switch {
	case errors.As(err, &mbe):
		return &apiError{Code: codeTooLarge, Message: tooLarge(mbe.Limit)}
	case errors.As(err, &ne) && ne.Timeout():
		return newError(codeRequestTimeout, "the request body did not arrive within %v (the server's body timeout)", s.cfg.BodyTimeout)
	}
	return newError(codeBadRequest, "reading the request body: the connection failed")
}

// decode reads a JSON or CBOR request body into dst, a pointer to a
// request struct. An empty body leaves dst as it is. A JSON body is checked
// against bodyLimits before it is decoded (jsonscan.go); a CBOR body is
// checked by cborDec, with the same limits, before it is decoded.
func (rq *request) decode(dst any) error {
	if !hasBody(rq.r) {
		return nil
	}
	isCBOR, err := requestType(rq.r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	rq.cborIn = isCBOR
	data, err := rq.readBody(rq.s.maxJSON, func(limit int64) string {
		return fmt.Sprintf("request body over the limit of %d bytes (twice the host's max_arg_bytes)", limit)
	})
	if err != nil {
		return err
	}
	if len(data) == 0 || !isCBOR && len(bytes.Trim(data, " \t\r\n")) == 0 {
		return nil
	}
	if isCBOR {
		if err := cborDec.Unmarshal(data, dst); err != nil {
			return cborRequestError(err)
		}
		return nil
	}
	if err := scanJSON(data, rq.s.bodyLimits()); err != nil {
		var je *jsonError
		switch {
		case errors.As(err, &je) && je.Size:
			return newError(codeTooLarge, "request body: %v (the host's max_arg_bytes)", err)
		case errors.As(err, &je) && je.Limit:
			return newError(codeInvalidArgument, "request body: %v", err)
		}
		return newError(codeBadRequest, "malformed JSON request: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonRequestError(err)
	}
	return nil
}

// jsonRequestError describes an error of encoding/json decoding a request
// (already scanned: a type mismatch or an unknown field) in the API's
// words, without Go type names.
func jsonRequestError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae // from an UnmarshalJSON of ours
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type != nil {
		return fieldTypeError(te.Field, kindWords(te.Type.Kind()), te.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return newError(codeBadRequest, "unknown field %s", name)
	}
	return newError(codeBadRequest, "malformed JSON request")
}

// cborRequestError is jsonRequestError for a CBOR body.
func cborRequestError(err error) error {
	var (
		ae  *apiError
		te  *cbor.UnmarshalTypeError
		ufe *cbor.UnknownFieldError
		dke *cbor.DupMapKeyError
	)
	switch {
	case errors.As(err, &ae):
		return ae // from an UnmarshalCBOR of ours
	case errors.As(err, &te):
		field := te.StructFieldName
		if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[i+1:]
		}
		return fieldTypeError(field, cborGoTypeWords(te.GoType), te.CBORType)
	case errors.As(err, &ufe):
		return newError(codeBadRequest, "unknown field (map entry %d)", ufe.Index)
	case errors.As(err, &dke):
		return newError(codeBadRequest, "duplicate key (map entry %d)", dke.Index)
	}
	// The decoder's own messages name CBOR, not Go: keep them without
	// the package prefix.
	return newError(codeBadRequest, "malformed CBOR request: %s", strings.TrimPrefix(err.Error(), "cbor: "))
}

// fieldTypeError says which field has a value of the wrong type.
func fieldTypeError(field, want, got string) error {
	// A number where a number is due is out of range: JSON says "number
	// 1e99", CBOR "positive integer" or "negative integer" (an integer
	// decodes into any integer field it fits).
	number := strings.HasPrefix(got, "number") || strings.HasSuffix(got, "tive integer")
	if number && (strings.Contains(want, "integer") || strings.Contains(want, "number")) {
		return newError(codeInvalidArgument, "field %s: %s is out of range (want %s)", fieldName(field), got, want)
	}
	return newError(codeBadRequest, "field %s: want %s, got %s", fieldName(field), want, got)
}

func fieldName(f string) string {
	if f == "" {
		return "(the request body)"
	}
	return f
}

// kindWords names a Go kind in the API's words.
func kindWords(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer >= 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}

// cborGoTypeWords is kindWords for the Go type names of the CBOR decoder.
func cborGoTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "struct"), strings.Contains(t, "."):
		return "an object"
	case strings.HasPrefix(t, "uint"):
		return "an integer >= 0"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string":
		return "text"
	case t == "bool":
		return "true or false"
	}
	return "another type"
}

// rawArgs is a request's argument list as it arrived, kept whole (one
// copy, however many arguments): a JSON array (with the "$" encodings) or a
// CBOR array. It is converted once the caller's namespace is known
// (Server.args), each argument as it is scanned.
type rawArgs struct {
	isCBOR bool
	data   []byte
}

// UnmarshalJSON keeps the raw JSON array (null: no arguments).
func (a *rawArgs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil
	case len(b) == 0 || b[0] != '[':
		return newError(codeBadRequest, "field args: want an array")
	}
	a.isCBOR, a.data = false, slices.Clone(b)
	return nil
}

// UnmarshalCBOR keeps the raw CBOR array (null: no arguments).
func (a *rawArgs) UnmarshalCBOR(b []byte) error {
	switch {
	case len(b) == 1 && (b[0] == 0xf6 || b[0] == 0xf7):
		return nil
	case len(b) == 0 || b[0]>>5 != 4:
		return newError(codeBadRequest, "field args: want an array")
	}
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
