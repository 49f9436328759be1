package server

import (
	"fmt"
	"testing"
)

func TestZZScratch(t *testing.T) {
	e := newEnv(t, nil)
	a := e.c
	_, actor := e.counter(a, 0, nil)
	call := "/v1/actors/" + actor.ID + "/call/echo"
	cb := func(b ...byte) []byte { return b }
	for _, tc := range []struct {
		method, path string
		body         any
		hdr          []string
	}{
		{"POST", call, `{"args": 5}`, nil},
		{"POST", call, `{"args": [1], "timeout_ms": "x"}`, nil},
		{"POST", call, `{"args": [1], "timeout_ms": 1e99}`, nil},
		{"POST", call, `{"args": [1], "num_returns": 1.5}`, nil},
		{"POST", call, `[]`, nil},
		{"POST", call, `{"args": ["\xff"]}`, nil},
		{"POST", call, `{"args": ["\ud800"]}`, nil},
		{"POST", call, `{"args": [{"$actor": 5}]}`, nil},
		{"POST", call, `{"args": [1e400]}`, nil},
		{"POST", "/v1/actors", `{"class": 5}`, nil},
		{"POST", "/v1/actors", `{"class": "x", "options": {"memory_pages": 1e12}}`, nil},
		{"POST", "/v1/actors", `{"class": "x", "options": {"memory_pages": -1}}`, nil},
		{"POST", "/v1/actors", `{"class": "x", "options": {"resources": []}}`, nil},
		{"POST", call, cb(0xa1, 0x64, 'a', 'r', 'g', 's', 0x05), []string{"Content-Type", "application/cbor"}},
		{"POST", call, cb(0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0x61, 0xff), []string{"Content-Type", "application/cbor"}},
		{"POST", call, cb(0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0xd8, 0x20, 0x01), []string{"Content-Type", "application/cbor"}},
		{"POST", call, cb(0xa1, 0x64, 'a', 'r', 'g', 's', 0x81, 0xd9, 0xc7, 0x38, 0x01), []string{"Content-Type", "application/cbor"}},
		{"POST", call, cb(0xa1, 0x64, 'a', 'r', 'g', 'z', 0x81), []string{"Content-Type", "application/cbor"}},
		{"POST", call, cb(0x81), []string{"Content-Type", "application/cbor"}},
		{"POST", call, []byte(`{"args":[1]}`), []string{"Content-Type", "text/plain"}},
		{"POST", call, []byte(`{"args":[1]}`), []string{"Content-Type", "application/json; charset=latin1"}},
		{"POST", "/v1/classes", []byte(`xx`), []string{"Content-Type", "text/plain"}},
		{"GET", "/v1/names/a%00b", nil, nil},
		{"GET", "/v1/actors/" + actor.ID + "/logs?since=x", nil, nil},
		{"GET", "/v1/futures/x?wait_ms=abc", nil, nil},
		{"POST", "/v1/actors/" + actor.ID + "/restore", `{"checkpoint": "../../etc"}`, nil},
		{"POST", "/v1/actors/" + actor.ID + "/restore", `{"checkpoint": 5}`, nil},
	} {
		r := a.do(tc.method, tc.path, tc.body, tc.hdr...)
		fmt.Printf("%d %s\n", r.status, r.body)
	}
}
