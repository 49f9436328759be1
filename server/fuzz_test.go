package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/api"
)

// FuzzJSONArg: the streaming JSON-to-CBOR converter of arguments never
// panics; what it accepts is valid JSON, valid UTF-8, and converts to
// well-formed CBOR within the ABI's limits that renders back as JSON; what
// it refuses has a message in the API's words.
func FuzzJSONArg(f *testing.F) {
	for _, s := range []string{
		`1`, `-0`, `1.5e3`, `"a\u00e9\ud83d\ude00"`, `[1,[2,"x"],{}]`, `{"b":1,"a":{"c":null}}`,
		`{"$bytes":"AAEC/w=="}`, `{"$map":[[1,"one"],[[2],true]]}`, `{"$float":"NaN"}`,
		`{"$actor":"a1"}`, `{"class":"sha256:c1","$actor":"a1"}`, `{"$future":"x/1"}`, `[{"$future":"x/1"}]`,
		`{"a":1,"a":2}`, `{"b":1,"a":2,"c":[3]}`, "\"\xff\"", `"\ud800"`, `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`123456789012345678901234567890`, `1e400`, `007`, `{"$other":1}`, `{"x":{"$bytes":5}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := jsonArg(b, fakeResolver{}, 1<<16)
		// As the only element of an argument list, the same outcome.
		list, lerr := jsonArgs(append(append([]byte("["), b...), ']'), fakeResolver{}, 1<<16)
		if (err == nil) != (lerr == nil) && !bytes.Contains(b, []byte(",")) && (lerr != nil || len(list) == 1) {
			t.Fatalf("%q: jsonArg %v, jsonArgs %v", b, err, lerr)
		}
		if err == nil && lerr == nil && len(list) == 1 {
			if a, ok := v.(abi.Value); ok && !bytes.Equal(a, list[0].(abi.Value)) {
				t.Fatalf("%q: jsonArg %x, jsonArgs %x", b, []byte(a), []byte(list[0].(abi.Value)))
			}
		}
		if lerr != nil {
			checkMessage(t, "jsonArgs", errorFor(lerr).Message)
		}
		if err != nil {
			checkMessage(t, "jsonArg", errorFor(err).Message)
			return
		}
		if !json.Valid(b) || !utf8.Valid(b) {
			t.Fatalf("accepted invalid JSON or UTF-8: %q", b)
		}
		val, ok := v.(abi.Value)
		if !ok {
			return // a future (never found by fakeResolver)
		}
		if len(val) > 1<<16 {
			t.Fatalf("output of %d bytes over the bound", len(val))
		}
		if err := abi.Validate(append([]byte{0x81}, val...)); err != nil {
			t.Fatalf("%q converted to malformed CBOR %x: %v", b, []byte(val), err)
		}
		out, err := valueJSON(val)
		if err != nil {
			t.Fatalf("%q: CBOR %x does not render as JSON: %v", b, []byte(val), err)
		}
		if !json.Valid(out) {
			t.Fatalf("%q rendered as invalid JSON %s", b, out)
		}
		// The rendering converts back to the same CBOR (canonical order).
		again, err := jsonArg(out, fakeResolver{}, 0)
		if err != nil {
			t.Fatalf("%s (from %q) does not convert back: %v", out, b, err)
		}
		if !bytes.Equal(again.(abi.Value), val) {
			t.Fatalf("%q -> %x -> %s -> %x", b, []byte(val), out, []byte(again.(abi.Value)))
		}
	})
}

// FuzzScanJSON: the body scanner accepts only valid JSON, and agrees with
// encoding/json on plain documents within its limits.
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{
		`{"args":[1,2,3]}`, `{"calls":[{"actor":"a","method":"m","args":[{"$map":[]}]}]}`, `[]`, `{}`, `""`,
		`{"a":"\u0000\n\"\\\/"}`, "{\"a\":\"\xff\"}", `[1,]`, `{"a" 1}`, `01`, `1.`, `-`, `1e`, `[1 2]`, ` true `, `nul`,
	} {
		f.Add([]byte(s))
	}
	lim := jsonLimits{depth: 64, elements: 1 << 20, str: 1 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := scanJSON(b, lim)
		if err == nil && !json.Valid(b) {
			t.Fatalf("scanJSON accepted invalid JSON %q", b)
		}
		if err != nil {
			checkMessage(t, "scanJSON", err.Error())
			var je *jsonError
			if !asJSONError(err, &je) || je.Off < 0 || je.Off > len(b) {
				t.Fatalf("error %v without a sane offset", err)
			}
			// Valid JSON of valid UTF-8 without \u escapes and not deeper
			// than the limit is never refused.
			if json.Valid(b) && utf8.Valid(b) && !bytes.Contains(b, []byte(`\u`)) && maxNesting(b) <= lim.depth {
				t.Fatalf("scanJSON refused valid JSON %q: %v", b, err)
			}
		}
	})
}

func asJSONError(err error, je **jsonError) bool {
	e, ok := err.(*jsonError)
	*je = e
	return ok
}

// maxNesting is the bracket depth of a JSON document (outside strings).
func maxNesting(b []byte) int {
	depth, most, inStr := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case !inStr && (c == '[' || c == '{'):
			depth++
			most = max(most, depth)
		case !inStr && (c == ']' || c == '}'):
			depth--
		}
	}
	return most
}

// FuzzRequest sends fuzzed requests (route, query, content type and body)
// through the whole handler of a live server: nothing panics, nothing is a
// 500, and every error is an API error from the table whose message is in
// the API's words. ACTOR and CLASS in the path stand for a live actor and
// its class.
func FuzzRequest(f *testing.F) {
	cborCall := []byte{0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0x01}
	for _, s := range []struct {
		method byte
		path   string
		ct     byte
		body   []byte
	}{
		{1, "actors/ACTOR/call/incr", 0, []byte(`{"args": [1]}`)},
		{1, "actors/ACTOR/call/echo?x=1", 1, []byte(`{"args": [{"$bytes": "AA=="}, [1, {"a": null}]], "timeout_ms": 1000}`)},
		{1, "actors/ACTOR/call/echo", 2, cborCall},
		{1, "actors/ACTOR/submit/get", 0, nil},
		{1, "actors", 0, []byte(`{"class": "CLASS", "args": [0], "options": {"name": "n", "max_pending": 5}}`)},
		{1, "batch", 0, []byte(`{"calls": [{"actor": "ACTOR", "method": "get"}], "wait": true}`)},
		{0, "actors?state=alive&class=CLASS", 0, nil},
		{0, "futures/ACTOR/1?wait_ms=1", 0, nil},
		{0, "names/n", 0, nil},
		{0, "actors/ACTOR/checkpoints", 0, nil},
		{1, "actors/ACTOR/restore", 0, []byte(`{"checkpoint": "x"}`)},
		{1, "actors/ACTOR/call/echo", 3, []byte(`{"args": [1]}`)},
		{1, "actors/ACTOR/call/echo", 0, []byte("{\"args\": [\"\xff\"]}")},
	} {
		f.Add(s.method, s.path, s.ct, s.body)
	}
	e := newEnv(f, func(c *testCfg) {
		c.Host.MaxArgBytes = 64 << 10
		// A fuzzed call of spin, or a spawn, ends quickly.
		c.Host.Defaults.CallTimeout = api.Ptr(200 * time.Millisecond)
		c.Host.Defaults.MemoryPages = 64
	})
	class, actor := e.counter(e.c, 0, map[string]any{"name": "n", "max_restarts": -1})
	h := e.s
	methods := []string{"GET", "POST", "DELETE", "PUT"}
	types := []string{"application/json", "", "application/cbor", "text/plain", "application/json; charset=utf-8", "multipart/form-data"}
	f.Fuzz(func(t *testing.T, method byte, path string, ct byte, body []byte) {
		path = strings.ReplaceAll(path, "ACTOR", actor.ID)
		path = strings.ReplaceAll(path, "CLASS", class.ID)
		m := methods[int(method)%len(methods)]
		// Keep the actors alive and the host small: no kills, no spawns
		// beyond the seeds' names.
		if m == "DELETE" || m == "PUT" {
			m = "GET"
		}
		req, err := http.NewRequest(m, "http://x/v1/"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.RequestURI = req.URL.RequestURI()
		if c := types[int(ct)%len(types)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		req.Header.Set("Authorization", "Bearer "+tokenA)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable && rec.Code != http.StatusGatewayTimeout && rec.Code != http.StatusBadGateway {
			t.Fatalf("%s /v1/%s %q: status %d: %s", m, path, body, rec.Code, rec.Body)
		}
		if rec.Code < 400 {
			return
		}
		var eb struct {
			Error apiError `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil {
			t.Fatalf("%s /v1/%s: status %d with a body that is not an API error: %q", m, path, rec.Code, rec.Body)
		}
		if want, ok := codeStatus[eb.Error.Code]; !ok || want != rec.Code {
			t.Fatalf("%s /v1/%s: code %q with status %d", m, path, eb.Error.Code, rec.Code)
		}
		if eb.Error.Code == codeInternal {
			t.Fatalf("%s /v1/%s %q: internal error %s", m, path, body, eb.Error.Message)
		}
		checkMessage(t, m+" /v1/"+path, eb.Error.Message)
	})
}
