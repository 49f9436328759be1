package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/host"
)

// leak matches what an error message must never carry: Go type and
// package names, the decoders' own prefixes, doubled prefixes, and
// absolute file paths.
var leak = regexp.MustCompile(`Go (value|struct)|\b(server|abi|host|wire|json|cbor|http|strconv|reflect|os|fs)\.[A-Za-z]|` +
	`\binterface \{|\bmap\[|\[\][a-z*]|^(json|cbor): |: (json|cbor): |abi: abi:|host: host:|(^|[\s"'(=])/(tmp|home|var|etc|root|usr)/|wactor-data`)

// checkMessage fails when msg leaks Go or server internals.
func checkMessage(t testing.TB, what, msg string) {
	t.Helper()
	if m := leak.FindString(msg); m != "" {
		t.Errorf("%s: message %q carries %q", what, msg, m)
	}
}

// bigArrayBody is a JSON call body of n bytes or so: one argument, an
// array of n/2 zeros (4,000,000 elements for 8 MB).
func bigArrayBody(n int) []byte {
	var b bytes.Buffer
	b.Grow(n + 32)
	b.WriteString(`{"args":[[`)
	for i := 0; b.Len() < n-4; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('0')
	}
	b.WriteString(`]]}`)
	return b.Bytes()
}

// bigArrayCBOR is the CBOR counterpart: {"args": [[0, 0, ...]]} with
// elements zeros.
func bigArrayCBOR(elements int) []byte {
	b := []byte{0xa1, 0x64, 'a', 'r', 'g', 's', 0x81}
	b = abi.AppendHead(b, 4, uint64(elements))
	return append(b, make([]byte, elements)...)
}

// allocDuring returns the bytes the process allocated while fn ran.
func allocDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestBigArrayBodyBoundedAllocation: an 8 MB body holding one array of four
// million elements is refused at the 65,537th element, having allocated
// little more than the body itself (it used to be decoded whole first:
// +257 MiB). The CBOR form is refused from its head. Run through the
// handler, so the whole request path is measured.
func TestBigArrayBodyBoundedAllocation(t *testing.T) {
	e := newEnv(t, nil)
	_, actor := e.counter(e.c, 0, nil)
	h := e.s
	call := "/v1/actors/" + actor.ID + "/call/echo"
	for _, tc := range []struct {
		name, path, ct string
		body           []byte
		status         int
		want           string  // in the answer
		ratio          float64 // bound on allocation / body size
	}{
		{"json", call, "application/json", bigArrayBody(8_000_000), 400, "65536", 2.5},
		{"cbor", call, "application/cbor", bigArrayCBOR(4_000_000), 400, "65536", 2.5},
		// Too many calls are refused from a count, before any is decoded.
		{"batch of 65536 calls", "/v1/batch", "application/json", []byte(`{"calls":[` + strings.Repeat(`{},`, abi.MaxElements-1) + `{}]}`), 413, "exceeds 10000", 8},
		// The smallest arguments cost the most per byte of body: one
		// slot each in the argument list (no decoding into Go values).
		{"65536 arguments", call, "application/json", []byte(`{"args":[` + strings.Repeat(`0,`, abi.MaxElements-1) + `0]}`), 422, "arity", 48},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec *httptest.ResponseRecorder
			send := func() {
				req := httptest.NewRequest("POST", tc.path, bytes.NewReader(tc.body))
				req.Header.Set("Content-Type", tc.ct)
				req.Header.Set("Authorization", "Bearer "+tokenA)
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, req)
			}
			send() // warm up
			alloc := allocDuring(send)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			checkMessage(t, tc.name, rec.Body.String())
			ratio := float64(alloc) / float64(len(tc.body))
			t.Logf("%d-byte body: %d bytes allocated (%.2f× the body)", len(tc.body), alloc, ratio)
			if ratio > tc.ratio {
				t.Errorf("allocated %.2f× the body, want at most %g×", ratio, tc.ratio)
			}
		})
	}
}

// TestJSONLimitsWhileDecoding: the limits of CBOR hold for JSON, in the
// request's fields and in arguments alike.
func TestJSONLimitsWhileDecoding(t *testing.T) {
	e := newEnv(t, nil)
	a := e.c
	_, actor := e.counter(a, 0, nil)
	call := "/v1/actors/" + actor.ID + "/call/echo"
	deep := strings.Repeat("[", abi.MaxDepth) + strings.Repeat("]", abi.MaxDepth)
	wide := func(open, elem, close string, n int) string {
		return open + strings.Repeat(elem+",", n-1) + elem + close
	}
	for _, tc := range []struct {
		name, body, code, want string
	}{
		{"array over the limit in an argument", `{"args": [` + wide("[", "0", "]", abi.MaxElements+1) + `]}`, codeInvalidArgument, "array of more than 65536 elements"},
		{"object over the limit", `{"args": [` + wide("{", `"k":0`, "}", abi.MaxElements+1) + `]}`, codeInvalidArgument, "object of more than 65536 members"},
		{"args over the limit", `{"args": ` + wide("[", "0", "]", abi.MaxElements+1) + `}`, codeInvalidArgument, "array of more than 65536 elements"},
		{"argument too deep", `{"args": [` + deep + `]}`, codeInvalidArgument, "nested deeper than 32 levels"},
		{"body too deep", strings.Repeat(`{"a":`, 50) + "1" + strings.Repeat("}", 50), codeInvalidArgument, "nested deeper than"},
		{"duplicate key in an argument", `{"args": [{"a": 1, "a": 2}]}`, codeInvalidArgument, "duplicate key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do("POST", call, tc.body)
			ae := r.apiErr(http.StatusBadRequest, tc.code)
			if !strings.Contains(ae.Message, tc.want) {
				t.Errorf("message %q does not say %q", ae.Message, tc.want)
			}
			checkMessage(t, tc.name, ae.Message)
		})
	}
	// Just within the limits: accepted.
	ok := `{"args": [` + wide("[", "0", "]", abi.MaxElements) + `]}`
	a.do("POST", call, ok).ok(http.StatusOK, nil)
	within := strings.Repeat("[", abi.MaxDepth-1) + strings.Repeat("]", abi.MaxDepth-1)
	a.do("POST", call, `{"args": [`+within+`]}`).ok(http.StatusOK, nil)
}

// TestBodyTimeout: a body trickling in is cut by the body timeout (408,
// connection closed); a request whose body has arrived is not cut by it,
// however long its call takes.
func TestBodyTimeout(t *testing.T) {
	e := newEnv(t, func(c *testCfg) { c.BodyTimeout = 200 * time.Millisecond })
	_, actor := e.counter(e.c, 0, map[string]any{"max_restarts": -1})

	conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second)) // the test's own bound
	fmt.Fprintf(conn, "POST /v1/actors/%s/call/incr HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"args\": [", actor.ID, tokenA)
	// Nothing more is sent: the server must answer and close on its own.
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a stalled body: %v", err)
	}
	if res.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", res.StatusCode)
	}
	res.Body.Close()
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after 408")
	}

	// A call that outlasts the body timeout is answered by its own
	// deadline (504), not cut by the body's.
	r := e.c.do("POST", "/v1/actors/"+actor.ID+"/call/spin", map[string]any{"timeout_ms": 600})
	r.apiErr(http.StatusGatewayTimeout, codeDeadlineExceeded)
	e.c.callInt(actor.ID, "get")
}

// TestContentTypes: JSON (UTF-8) and CBOR are read; anything else is 415;
// no Content-Type is JSON.
func TestContentTypes(t *testing.T) {
	e := newEnv(t, nil)
	a := e.c
	_, actor := e.counter(a, 0, nil)
	call := "/v1/actors/" + actor.ID + "/call/incr"
	jsonBody := []byte(`{"args": [1]}`)
	cborBody := []byte{0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0x01}
	for _, tc := range []struct {
		ct     string
		body   []byte
		status int
	}{
		{"", jsonBody, 200},
		{"application/json", jsonBody, 200},
		{"application/json; charset=utf-8", jsonBody, 200},
		{"Application/JSON; charset=UTF-8", jsonBody, 200},
		{"application/cbor", cborBody, 200},
		{"application/json; charset=latin1", jsonBody, 415},
		{"application/json; foo=bar", jsonBody, 415},
		{"text/plain", jsonBody, 415},
		{"application/x-www-form-urlencoded", jsonBody, 415},
		{"application/wasm", jsonBody, 415},
		{"garbage", jsonBody, 415},
		{"application/cbor; x=1", cborBody, 415},
		{"application/cbor", jsonBody, 400}, // a JSON body sent as CBOR is malformed CBOR
	} {
		r := a.do("POST", call, tc.body, "Content-Type", tc.ct)
		if r.status != tc.status {
			t.Errorf("Content-Type %q: status %d, want %d: %s", tc.ct, r.status, tc.status, r.body)
			continue
		}
		if tc.status == 415 {
			ae := r.apiErr(415, codeUnsupportedMediaType)
			checkMessage(t, tc.ct, ae.Message)
		}
	}
	// Uploads: a module, raw or multipart; nothing else.
	r := a.do("POST", "/v1/classes", counterWasm(t), "Content-Type", "text/plain")
	r.apiErr(415, codeUnsupportedMediaType)
	a.do("POST", "/v1/classes", counterWasm(t), "Content-Type", "application/octet-stream").ok(http.StatusCreated, nil)
	a.do("POST", "/v1/classes", counterWasm(t)).ok(http.StatusCreated, nil)
}

// TestInvalidUTF8: JSON and CBOR bodies follow one rule: invalid UTF-8 is
// refused with a message that says so (JSON used to turn it into U+FFFD).
func TestInvalidUTF8(t *testing.T) {
	e := newEnv(t, nil)
	a := e.c
	class, actor := e.counter(a, 0, nil)
	echo := "/v1/actors/" + actor.ID + "/call/echo"
	for _, tc := range []struct {
		name, path, ct string
		body           []byte
		code           string
	}{
		{"JSON argument", echo, "application/json", []byte("{\"args\": [\"a\xffb\"]}"), codeBadRequest},
		{"JSON argument, lone surrogate", echo, "application/json", []byte(`{"args": ["a\ud800b"]}`), codeBadRequest},
		{"JSON argument, reversed pair", echo, "application/json", []byte(`{"args": ["\udc00\ud800"]}`), codeBadRequest},
		{"JSON key", echo, "application/json", []byte("{\"args\": [{\"k\xc3\": 1}]}"), codeBadRequest},
		{"JSON name", "/v1/actors", "application/json", []byte("{\"class\": \"" + class.ID + "\", \"args\": [0], \"options\": {\"name\": \"a\xffb\"}}"), codeBadRequest},
		{"CBOR argument", echo, "application/cbor", []byte{0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0x62, 'a', 0xff}, codeInvalidArgument},
		{"CBOR field", "/v1/actors", "application/cbor", []byte{0xa1, 0x65, 'c', 'l', 'a', 's', 's', 0x62, 'a', 0xff}, codeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ae := a.do("POST", tc.path, tc.body, "Content-Type", tc.ct).apiErr(http.StatusBadRequest, tc.code)
			if !strings.Contains(ae.Message, "UTF-8") {
				t.Errorf("message %q does not name UTF-8", ae.Message)
			}
			checkMessage(t, tc.name, ae.Message)
		})
	}
	// A valid surrogate pair is one character.
	if got := string(a.call(actor.ID, "echo", json_(`"\ud83d\ude00"`))); got != `"😀"` {
		t.Errorf("surrogate pair: %s", got)
	}
}

// json_ is a raw JSON argument.
type json_ string

// MarshalJSON returns the text as it is.
func (j json_) MarshalJSON() ([]byte, error) { return []byte(j), nil }

// TestNamesAndBoundsOverHTTP: the name grammar and the numeric bounds hold
// at the API, with errors that name the field and the bound.
func TestNamesAndBoundsOverHTTP(t *testing.T) {
	e := newEnv(t, nil)
	a := e.c
	class := a.upload(counterWasm(t))
	spawn := func(opts map[string]any) *resp {
		return a.do("POST", "/v1/actors", map[string]any{"class": class.ID, "args": []any{0}, "options": opts})
	}
	for _, tc := range []struct {
		opts map[string]any
		want []string
	}{
		{map[string]any{"name": "a\x00b"}, []string{"actor name", "U+0000"}},
		{map[string]any{"name": "../x"}, []string{"actor name", `'/'`}},
		{map[string]any{"name": ".."}, []string{"actor name"}},
		{map[string]any{"name": "a\ufffd"}, []string{"actor name", "U+FFFD"}},
		{map[string]any{"name": strings.Repeat("n", 257)}, []string{"actor name", "256 bytes"}},
		{map[string]any{"resources": map[string]any{"gpu/x": 1}}, []string{"resource name"}},
		{map[string]any{"max_pending": int64(1) << 62}, []string{"max_pending", "10000000"}},
		{map[string]any{"max_children": int64(1) << 40}, []string{"max_children", "1000000"}},
		{map[string]any{"max_restarts": int64(1) << 40}, []string{"max_restarts", "1000000"}},
		{map[string]any{"checkpoint_every": int64(1) << 40}, []string{"checkpoint_every", "1000000000"}},
		{map[string]any{"checkpoint_interval_ms": int64(1) << 62}, []string{"checkpoint_interval_ms", "31536000000"}},
		{map[string]any{"memory_pages": int64(1) << 40}, []string{"memory_pages", "out of range"}},
		{map[string]any{"memory_pages": 70000}, []string{"memory_pages", "65536"}},
		{map[string]any{"fuel": uint64(1)<<62 + 1}, []string{"fuel", "4611686018427387904"}},
		{map[string]any{"num_cpus": 1e12}, []string{"num_cpus", "1e+09"}},
		{map[string]any{"memory": int64(1) << 60}, []string{"memory", "1125899906842624"}},
	} {
		ae := spawn(tc.opts).apiErr(http.StatusBadRequest, codeInvalidArgument)
		for _, w := range tc.want {
			if !strings.Contains(ae.Message, w) {
				t.Errorf("%v: message %q does not say %q", tc.opts, ae.Message, w)
			}
		}
		checkMessage(t, fmt.Sprint(tc.opts), ae.Message)
	}
	// In CBOR, a number out of its field's range is refused the same way
	// (the decoder names the outer field only).
	for _, opts := range []map[string]any{{"memory_pages": uint64(1) << 40}, {"memory_pages": -1}} {
		b, err := codec.Encode(map[string]any{"class": class.ID, "args": []any{0}, "options": opts})
		if err != nil {
			t.Fatal(err)
		}
		ae := a.do("POST", "/v1/actors", []byte(b), "Content-Type", "application/cbor").apiErr(http.StatusBadRequest, codeInvalidArgument)
		if !strings.Contains(ae.Message, "out of range") {
			t.Errorf("CBOR %v: message %q does not say out of range", opts, ae.Message)
		}
		checkMessage(t, fmt.Sprint(opts), ae.Message)
	}
	// Lookups of names no actor can have are refused, not searched.
	a.do("GET", "/v1/names/a%00b", nil).apiErr(http.StatusBadRequest, codeInvalidArgument)
	a.do("GET", "/v1/names/nobody", nil).apiErr(http.StatusNotFound, codeActorNotFound)
}

// TestErrorMessagesInAPIWords sends malformed requests of every kind and
// checks that no error message names a Go type, a package or a path.
func TestErrorMessagesInAPIWords(t *testing.T) {
	e := newEnv(t, nil)
	a := e.c
	class, actor := e.counter(a, 0, nil)
	echo := "/v1/actors/" + actor.ID + "/call/echo"
	cbor := func(b ...byte) []byte { return b }
	for _, tc := range []struct {
		method, path string
		body         any
		hdr          []string
	}{
		{"POST", echo, `{"args": 5}`, nil},
		{"POST", echo, `{"args": [1], "timeout_ms": "x"}`, nil},
		{"POST", echo, `{"args": [1], "timeout_ms": 1e99}`, nil},
		{"POST", echo, `{"args": [1], "num_returns": 1.5}`, nil},
		{"POST", echo, `{"args": {}}`, nil},
		{"POST", echo, `[]`, nil},
		{"POST", echo, `"x"`, nil},
		{"POST", echo, `{"args": [1e400]}`, nil},
		{"POST", echo, `{"args": [123456789012345678901234567890]}`, nil},
		{"POST", echo, `{"args": [{"$bytes": "!!"}]}`, nil},
		{"POST", echo, `{"args": [{"$actor": 5}]}`, nil},
		{"POST", echo, `{"args": [{"$map": [[1]]}]}`, nil},
		{"POST", echo, `{"args": [{"a": 1, "$bytes": "AA=="}]}`, nil},
		{"POST", echo, `{"args": [{"$future": 1}]}`, nil},
		{"POST", echo, `{"args": [nul]}`, nil},
		{"POST", echo, `{"argz": [1]}`, nil},
		{"POST", "/v1/actors", `{"class": 5}`, nil},
		{"POST", "/v1/actors", `{"class": "` + class.ID + `", "options": {"resources": []}}`, nil},
		{"POST", "/v1/actors", `{"class": "` + class.ID + `", "options": {"durable": "yes"}}`, nil},
		{"POST", "/v1/batch", `{"calls": [{"actor": 5}]}`, nil},
		{"POST", "/v1/batch", `{"calls": {}}`, nil},
		{"POST", "/v1/actors/" + actor.ID + "/restore", `{"checkpoint": 5}`, nil},
		{"POST", "/v1/actors/" + actor.ID + "/restore", `{"checkpoint": "../../etc/passwd"}`, nil},
		{"POST", echo, cbor(0xa1, 0x64, 'a', 'r', 'g', 's', 0x05), []string{"Content-Type", "application/cbor"}},
		{"POST", echo, cbor(0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0xd8, 0x20, 0x01), []string{"Content-Type", "application/cbor"}},
		{"POST", echo, cbor(0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0xd9, 0xc7, 0x38, 0x01), []string{"Content-Type", "application/cbor"}},
		{"POST", echo, cbor(0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0xd9, 0xc7, 0x38, 0x82, 0x60, 0x60), []string{"Content-Type", "application/cbor"}},
		{"POST", echo, cbor(0xa1, 0x64, 'a', 'r', 'g', 'z', 0x80), []string{"Content-Type", "application/cbor"}},
		{"POST", echo, cbor(0xa2, 0x64, 'a', 'r', 'g', 's', 0x80, 0x64, 'a', 'r', 'g', 's', 0x80), []string{"Content-Type", "application/cbor"}},
		{"POST", echo, cbor(0x9f), []string{"Content-Type", "application/cbor"}},
		{"POST", "/v1/actors", cbor(0xa1, 0x67, 'o', 'p', 't', 'i', 'o', 'n', 's', 0xa1, 0x64, 'f', 'u', 'e', 'l', 0x20), []string{"Content-Type", "application/cbor"}},
		{"POST", "/v1/classes", []byte("not wasm"), []string{"Content-Type", "application/wasm"}},
		{"POST", "/v1/classes", []byte("--x\r\n"), []string{"Content-Type", "multipart/form-data"}},
		{"GET", "/v1/futures/x?wait_ms=abc", nil, nil},
		{"GET", "/v1/actors?state=x", nil, nil},
		{"GET", "/v1/names/a%00b", nil, nil},
		{"PUT", "/v1/actors", nil, nil},
	} {
		r := a.do(tc.method, tc.path, tc.body, tc.hdr...)
		if r.status < 400 {
			t.Errorf("%s %s %v: status %d", tc.method, tc.path, tc.body, r.status)
			continue
		}
		checkMessage(t, fmt.Sprintf("%s %s %q", tc.method, tc.path, tc.body), string(r.body))
	}
}

// TestErrorMessagesWithoutPaths: a host error carrying a file error is
// reported without the server's path.
func TestErrorMessagesWithoutPaths(t *testing.T) {
	pe := &fs.PathError{Op: "write", Path: "/srv/wactor-data/state/actors/x/journal", Err: syscall.ENOSPC}
	for _, err := range []error{
		fmt.Errorf("%w: call incr completed but its journal record was not written: %w", host.ErrPersist, pe),
		fmt.Errorf("%w: %w", host.ErrPersist, errors.Join(pe, errors.New("other"))),
		fmt.Errorf("restore: %w", pe),
		// A rename's paths, also where a message repeats them.
		fmt.Errorf("%w: keeping /srv/wactor-data/state/x aside: %w", host.ErrPersist,
			&os.LinkError{Op: "rename", Old: "/srv/wactor-data/state/x", New: "/srv/wactor-data/damaged/x", Err: syscall.ENOSPC}),
	} {
		e := errorFor(err)
		if strings.Contains(e.Message, "/srv") || !strings.Contains(e.Message, "no space left on device") {
			t.Errorf("%v: message %q", err, e.Message)
		}
		checkMessage(t, "path", e.Message)
	}
}

// TestLeakPattern checks the checker: it must catch what it is for.
func TestLeakPattern(t *testing.T) {
	for _, bad := range []string{
		"json: cannot unmarshal number into Go struct field callRequest.args of type []server.rawArg",
		"cannot unmarshal array into Go value of type abi.Handle",
		"abi: abi: malformed CBOR",
		"open /tmp/x/journal: no such file",
		"argument 0: cbor: invalid",
	} {
		if leak.FindString(bad) == "" {
			t.Errorf("pattern misses %q", bad)
		}
	}
	for _, good := range []string{
		"field args: want an array, got number",
		"argument 0: malformed CBOR: invalid UTF-8 in text",
		"abi: invalid result envelope: malformed CBOR: truncated head",
		`invalid actor name "a/b": contains '/'`,
		"query parameter wait_ms=\"abc\": want an integer in [0, 1099511627776]",
	} {
		if m := leak.FindString(good); m != "" {
			t.Errorf("pattern flags %q (%q)", good, m)
		}
	}
}
