package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/host"
)

// TestErrors sends requests that must fail, each with its documented code
// and status, and checks after each one that the server still serves.
func TestErrors(t *testing.T) {
	e := newEnv(t, func(c *testCfg) {
		c.MaxBodyBytes = 256 << 10
		c.Host.MaxArgBytes = 64 << 10 // JSON bodies: 128 KiB
	})
	a, b := e.c, e.as(tokenB)
	class, actor := e.counter(a, 0, map[string]any{"name": "mine", "max_restarts": -1})
	ids := a.submit(actor.ID, "get", nil)
	_, bActor := e.counter(b, 0, nil)
	logClass := a.upload(readWasm(t, "host/testdata/log.wasm"))
	call := func(c *client, id, method string, body any) *resp {
		return c.do("POST", "/v1/actors/"+id+"/call/"+method, body)
	}

	for _, tc := range []struct {
		name   string
		status int
		code   string
		do     func() *resp
		check  func(*testing.T, *resp, apiError)
	}{
		{"missing token", 401, codeUnauthorized, func() *resp { return e.as("").do("GET", "/v1/actors", nil) },
			func(t *testing.T, r *resp, _ apiError) {
				if !strings.HasPrefix(r.hdr.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q", r.hdr.Get("WWW-Authenticate"))
				}
			}},
		{"unknown token", 401, codeUnauthorized, func() *resp { return e.as("guess").do("GET", "/v1/actors", nil) }, nil},
		{"basic auth", 401, codeUnauthorized, func() *resp {
			return e.as("").do("GET", "/v1/actors", nil, "Authorization", "Basic "+tokenA)
		}, nil},

		// Tenancy: another namespace's actors, futures, classes and names are 404.
		{"other tenant: show actor", 404, codeActorNotFound, func() *resp { return b.do("GET", "/v1/actors/"+actor.ID, nil) }, nil},
		{"other tenant: call", 404, codeActorNotFound, func() *resp { return call(b, actor.ID, "get", nil) }, nil},
		{"other tenant: submit", 404, codeActorNotFound, func() *resp { return b.do("POST", "/v1/actors/"+actor.ID+"/submit/get", nil) }, nil},
		{"other tenant: kill", 404, codeActorNotFound, func() *resp { return b.do("DELETE", "/v1/actors/"+actor.ID, nil) }, nil},
		{"other tenant: logs", 404, codeActorNotFound, func() *resp { return b.do("GET", "/v1/actors/"+actor.ID+"/logs", nil) }, nil},
		{"other tenant: name", 404, codeActorNotFound, func() *resp { return b.do("GET", "/v1/names/mine", nil) }, nil},
		{"other tenant: future", 404, codeFutureNotFound, func() *resp { return b.do("GET", "/v1/futures/"+ids[0], nil) }, nil},
		{"other tenant: class", 404, codeClassNotFound, func() *resp { return b.do("GET", "/v1/classes/"+logClass.ID, nil) }, nil},
		{"other tenant: delete class", 404, codeClassNotFound, func() *resp { return b.do("DELETE", "/v1/classes/"+logClass.ID, nil) }, nil},
		{"other tenant: spawn class", 404, codeClassNotFound, func() *resp {
			return b.do("POST", "/v1/actors", map[string]any{"class": logClass.ID})
		}, nil},
		{"other tenant: handle argument", 404, codeActorNotFound, func() *resp {
			return call(b, bActor.ID, "echo", map[string]any{"args": []any{map[string]any{"$actor": actor.ID}}})
		}, nil},
		{"other tenant: future argument", 404, codeFutureNotFound, func() *resp {
			return call(b, bActor.ID, "incr", map[string]any{"args": []any{map[string]any{"$future": ids[0]}}})
		}, nil},
		{"other tenant: batch", 200, "", func() *resp {
			return b.do("POST", "/v1/batch", map[string]any{"calls": []any{map[string]any{"actor": actor.ID, "method": "get"}}, "wait": true})
		}, func(t *testing.T, r *resp, _ apiError) {
			if !strings.Contains(string(r.body), `"code":"actor_not_found"`) {
				t.Errorf("batch result %s", r.body)
			}
		}},
		{"spawn in another namespace", 403, codeForbidden, func() *resp {
			return a.do("POST", "/v1/actors", map[string]any{"class": class.ID, "args": []any{0}, "options": map[string]any{"namespace": nsB}})
		}, nil},

		// Malformed requests.
		{"malformed JSON", 400, codeBadRequest, func() *resp { return call(a, actor.ID, "incr", `{"args": [1,`) }, nil},
		{"trailing JSON", 400, codeBadRequest, func() *resp { return call(a, actor.ID, "incr", `{"args": [1]} {}`) }, nil},
		{"unknown field", 400, codeBadRequest, func() *resp { return call(a, actor.ID, "incr", `{"argz": [1]}`) }, nil},
		{"wrong field type", 400, codeBadRequest, func() *resp { return call(a, actor.ID, "incr", `{"args": [1], "timeout_ms": "soon"}`) }, nil},
		{"malformed CBOR", 400, codeBadRequest, func() *resp {
			return a.do("POST", "/v1/actors/"+actor.ID+"/call/incr", []byte{0xa1, 0x64}, "Content-Type", "application/cbor")
		}, nil},
		{"bad query", 400, codeBadRequest, func() *resp { return a.do("GET", "/v1/actors?state=sleeping", nil) }, nil},
		{"bad wait_ms", 400, codeBadRequest, func() *resp { return a.do("GET", "/v1/futures/"+ids[0]+"?wait_ms=-1", nil) }, nil},
		{"bad $bytes", 400, codeInvalidArgument, func() *resp {
			return call(a, actor.ID, "echo", map[string]any{"args": []any{map[string]any{"$bytes": 5}}})
		}, func(t *testing.T, _ *resp, e apiError) {
			if !strings.HasPrefix(e.Message, "argument 0: ") {
				t.Errorf("message %q", e.Message)
			}
		}},
		{"nested $future", 400, codeInvalidArgument, func() *resp {
			return call(a, actor.ID, "echo", map[string]any{"args": []any{[]any{map[string]any{"$future": ids[0]}}}})
		}, nil},
		{"bad options", 400, codeInvalidArgument, func() *resp {
			return a.do("POST", "/v1/actors", map[string]any{"class": class.ID, "args": []any{0}, "options": map[string]any{"max_restarts": -5}})
		}, nil},
		{"bad timeout", 400, codeInvalidArgument, func() *resp { return call(a, actor.ID, "get", map[string]any{"timeout_ms": -1}) }, nil},
		{"bad num_returns", 400, codeInvalidArgument, func() *resp { return call(a, actor.ID, "get", map[string]any{"num_returns": 65}) }, nil},

		// Calls that the host refuses.
		{"wrong arity", 422, codeArity, func() *resp { return call(a, actor.ID, "incr", map[string]any{"args": []any{}}) }, nil},
		{"constructor arity", 422, codeArity, func() *resp { return a.do("POST", "/v1/actors", map[string]any{"class": class.ID}) }, nil},
		{"unknown method", 404, codeMethodNotFound, func() *resp { return call(a, actor.ID, "nope", nil) }, nil},
		{"unknown actor", 404, codeActorNotFound, func() *resp { return call(a, "0123456789abcdef0123456789abcdef", "get", nil) }, nil},
		{"unknown class", 404, codeClassNotFound, func() *resp { return a.do("GET", "/v1/classes/sha256:00", nil) }, nil},
		{"unknown future", 404, codeFutureNotFound, func() *resp { return a.do("GET", "/v1/futures/"+actor.ID+"/999", nil) }, nil},
		{"name taken", 409, codeNameTaken, func() *resp {
			return a.do("POST", "/v1/actors", map[string]any{"class": class.ID, "args": []any{0}, "options": map[string]any{"name": "mine"}})
		}, nil},
		{"class in use", 409, codeClassInUse, func() *resp { return a.do("DELETE", "/v1/classes/"+class.ID, nil) }, nil},

		// Sizes.
		{"oversized upload", 413, codeTooLarge, func() *resp {
			return a.do("POST", "/v1/classes", make([]byte, 300<<10), "Content-Type", "application/wasm")
		}, nil},
		{"oversized multipart upload", 413, codeTooLarge, func() *resp {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("module", "big.wasm")
			_, _ = fw.Write(make([]byte, 300<<10))
			_ = mw.Close()
			return a.do("POST", "/v1/classes", buf.Bytes(), "Content-Type", mw.FormDataContentType())
		}, nil},
		{"oversized body", 413, codeTooLarge, func() *resp {
			return call(a, actor.ID, "echo", map[string]any{"args": []any{strings.Repeat("x", 200<<10)}})
		}, nil},
		{"oversized arguments", 413, codeTooLarge, func() *resp {
			return call(a, actor.ID, "echo", map[string]any{"args": []any{strings.Repeat("x", 100<<10)}})
		}, nil},
		{"oversized batch", 413, codeTooLarge, func() *resp {
			return a.do("POST", "/v1/batch", `{"calls": [`+strings.Repeat(`{},`, maxBatchCalls)+`{}]}`)
		}, nil},

		// Modules.
		{"garbage module", 422, codeInvalidModule, func() *resp {
			return a.do("POST", "/v1/classes", readWasm(t, "host/testdata/garbage.wasm"), "Content-Type", "application/wasm")
		}, func(t *testing.T, _ *resp, e apiError) {
			if e.Details["reason"] == "" {
				t.Error("no reason")
			}
		}},
		{"bad import", 422, codeInvalidModule, func() *resp {
			return a.do("POST", "/v1/classes", readWasm(t, "host/testdata/bad_import.wasm"), "Content-Type", "application/wasm")
		}, nil},
		{"multipart without module", 400, codeBadRequest, func() *resp {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("other", "x")
			_ = mw.Close()
			return a.do("POST", "/v1/classes", buf.Bytes(), "Content-Type", mw.FormDataContentType())
		}, nil},

		// The guest's faults.
		{"app error", 422, codeAppError, func() *resp { return call(a, actor.ID, "fail", nil) },
			func(t *testing.T, _ *resp, e apiError) {
				if e.Details["code"] != "c_error" || e.Details["message"] != "failed on purpose" {
					t.Errorf("details %v", e.Details)
				}
			}},
		{"trap", 502, codeTrap, func() *resp { return call(a, actor.ID, "trap", nil) },
			func(t *testing.T, _ *resp, e apiError) {
				if e.Details["reason"] != string(host.TrapGuest) {
					t.Errorf("details %v", e.Details)
				}
			}},
		{"constructor error", 422, codeAppError, func() *resp {
			init := a.upload(readWasm(t, "host/testdata/init_error.wasm"))
			return a.do("POST", "/v1/actors", map[string]any{"class": init.ID})
		}, nil},
		{"deadline", 504, codeDeadlineExceeded, func() *resp {
			_, slow := e.counter(a, 0, map[string]any{"call_timeout_ms": 200, "max_restarts": -1})
			return call(a, slow.ID, "spin", nil)
		}, func(t *testing.T, _ *resp, e apiError) {
			if e.Details["reason"] != string(host.TrapDeadline) {
				t.Errorf("details %v", e.Details)
			}
		}},
		{"request timeout", 504, codeDeadlineExceeded, func() *resp {
			_, slow := e.counter(a, 0, map[string]any{"call_timeout_ms": 300, "max_restarts": -1})
			a.submit(slow.ID, "spin", nil)
			return call(a, slow.ID, "get", map[string]any{"timeout_ms": 50}) // queued behind spin
		}, nil},
		{"backpressure", 429, codeBackpressure, func() *resp {
			_, busy := e.counter(a, 0, map[string]any{"call_timeout_ms": 300, "max_restarts": -1, "max_pending": 1})
			a.submit(busy.ID, "spin", nil)
			var r *resp
			for range 3 {
				if r = a.do("POST", "/v1/actors/"+busy.ID+"/submit/get", nil); r.status != http.StatusAccepted {
					break
				}
			}
			return r
		}, func(t *testing.T, r *resp, _ apiError) {
			if r.hdr.Get("Retry-After") != "1" {
				t.Errorf("Retry-After %q", r.hdr.Get("Retry-After"))
			}
		}},
		{"actor died", 410, codeActorDied, func() *resp {
			_, doomed := e.counter(a, 0, map[string]any{"call_timeout_ms": 200})
			a.submit(doomed.ID, "spin", nil) // a deadline with no restarts left kills it
			queued := a.submit(doomed.ID, "get", nil)
			return a.do("GET", "/v1/futures/"+queued[0]+"?wait_ms=5000", nil)
		}, nil},

		// Routes.
		{"unknown route", 404, codeNotFound, func() *resp { return a.do("GET", "/v1/nothing", nil) }, nil},
		{"wrong method", 405, codeMethodNotAllowed, func() *resp { return a.do("PUT", "/v1/classes", nil) },
			func(t *testing.T, r *resp, _ apiError) {
				if r.hdr.Get("Allow") == "" {
					t.Error("no Allow header")
				}
			}},
		{"restore unknown checkpoint", 404, codeCheckpointNotFound, func() *resp {
			return a.do("POST", "/v1/actors/"+actor.ID+"/restore", map[string]any{"checkpoint": "ck-nope"})
		}, nil},
		{"restore without checkpoint", 400, codeInvalidArgument, func() *resp { return a.do("POST", "/v1/actors/"+actor.ID+"/restore", map[string]any{}) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := tc.do()
			var ae apiError
			if tc.code != "" {
				ae = r.apiErr(tc.status, tc.code)
			} else if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.check != nil {
				tc.check(t, r, ae)
			}
			// Still serving, and the tenant's actor still works.
			e.as("").do("GET", "/healthz", nil).ok(http.StatusOK, nil)
			a.callInt(actor.ID, "get")
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestErrorTable checks the error mapping of every host error.
func TestErrorTable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{host.ErrClosed, codeUnavailable},
		{&host.ActorDiedError{Reason: host.DeathHostClosed}, codeUnavailable},
		{&host.ActorDiedError{Reason: host.DeathKilled, Cause: &host.TrapError{Reason: host.TrapGuest}}, codeActorDied},
		{&host.TrapError{Reason: host.TrapMemory}, codeTrap},
		{&host.TrapError{Reason: host.TrapABI}, codeTrap},
		{&host.TrapError{Reason: host.TrapDeadline}, codeDeadlineExceeded},
		{&host.TrapError{Reason: host.TrapCancelled}, codeDeadlineExceeded},
		{fmt.Errorf("argument 0 (future x): %w", &host.AppError{Code: "c", Message: "m"}), codeAppError},
		{&host.ModuleError{Reason: "r"}, codeInvalidModule},
		{fmt.Errorf("x: %w", host.ErrDeadlock), codeDeadlock},
		{fmt.Errorf("x: %w", host.ErrQuota), codeQuotaExceeded},
		{fmt.Errorf("x: %w", host.ErrReturnCount), codeReturnCount},
		{fmt.Errorf("x: %w", host.ErrInvalidOptions), codeInvalidArgument},
		{fmt.Errorf("x: %w", host.ErrInvalidArgument), codeInvalidArgument},
		{fmt.Errorf("x: %w", host.ErrTooLarge), codeTooLarge},
		{context.DeadlineExceeded, codeDeadlineExceeded},
		{errors.New("a bug"), codeInternal},
	} {
		if got := errorFor(tc.err); got.Code != tc.code {
			t.Errorf("%v: %s, want %s", tc.err, got.Code, tc.code)
		}
	}
	for code, status := range codeStatus {
		if status < 400 || status > 599 {
			t.Errorf("%s: status %d", code, status)
		}
	}
}
