package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

func TestClasses(t *testing.T) {
	e := newEnv(t, nil)
	wasm := counterWasm(t)

	// Raw upload.
	info := e.c.upload(wasm)
	if info.ID != host.ClassID(wasm) || info.Name != "counter" || !info.HasManifest {
		t.Fatalf("class %+v", info)
	}
	// Multipart upload of the same bytes: the same class.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("note", "ignored")
	fw, _ := mw.CreateFormFile("module", "counter.wasm")
	_, _ = fw.Write(wasm)
	_ = mw.Close()
	var again host.ClassInfo
	e.c.do("POST", "/v1/classes", buf.Bytes(), "Content-Type", mw.FormDataContentType()).ok(http.StatusCreated, &again)
	if again.ID != info.ID {
		t.Fatalf("multipart upload gave %s, want %s", again.ID, info.ID)
	}

	var list classList
	e.c.do("GET", "/v1/classes", nil).ok(http.StatusOK, &list)
	if len(list.Classes) != 1 || list.Classes[0].ID != info.ID {
		t.Fatalf("list %+v", list)
	}
	var shown host.ClassInfo
	e.c.do("GET", "/v1/classes/"+info.ID, nil).ok(http.StatusOK, &shown)
	if !slices.ContainsFunc(shown.Methods, func(m abi.MethodSpec) bool { return m.Name == "incr" && len(m.Params) == 1 }) {
		t.Fatalf("methods %+v", shown.Methods)
	}

	// In use: 409, then deletable once the actor is gone.
	a := e.c.spawn(info.ID, []any{1}, nil)
	e.c.do("DELETE", "/v1/classes/"+info.ID, nil).apiErr(http.StatusConflict, codeClassInUse)
	e.c.do("DELETE", "/v1/actors/"+a.ID, nil).ok(http.StatusNoContent, nil)
	e.c.do("DELETE", "/v1/classes/"+info.ID, nil).ok(http.StatusNoContent, nil)
	e.c.do("GET", "/v1/classes/"+info.ID, nil).apiErr(http.StatusNotFound, codeClassNotFound)
	if _, err := e.s.Host().Class(context.Background(), info.ID); err == nil {
		t.Error("the host still has the class")
	}

	// Shared classes: deleting it in one namespace keeps it for the other.
	b := e.as(tokenB)
	e.c.upload(wasm)
	b.upload(wasm)
	e.c.do("DELETE", "/v1/classes/"+info.ID, nil).ok(http.StatusNoContent, nil)
	e.c.do("GET", "/v1/classes/"+info.ID, nil).apiErr(http.StatusNotFound, codeClassNotFound)
	b.do("GET", "/v1/classes/"+info.ID, nil).ok(http.StatusOK, nil)
	b.spawn(info.ID, []any{0}, nil)
}

func TestSpawnListShow(t *testing.T) {
	e := newEnv(t, nil)
	class := e.c.upload(counterWasm(t))
	a := e.c.spawn(class.ID, []any{10}, map[string]any{
		"name": "c1", "max_pending": 50, "call_timeout_ms": 1500, "max_restarts": 2, "memory_pages": 64,
	})
	if a.Namespace != nsA || a.Name != "c1" || a.State != host.StateAlive || a.Class != class.ID {
		t.Fatalf("actor %+v", a)
	}
	if o := a.Options; o.MaxPending != 50 || o.CallTimeoutMS == nil || *o.CallTimeoutMS != 1500 || o.MaxRestarts == nil || *o.MaxRestarts != 2 || o.MemoryPages != 64 || o.Namespace != nsA {
		t.Fatalf("options %+v", o)
	}
	if n := e.c.callInt(a.ID, "get"); n != 10 {
		t.Fatalf("constructor argument: get = %d", n)
	}
	other := e.c.spawn(class.ID, []any{0}, nil)
	e.c.do("POST", "/v1/actors/"+other.ID+"/call/trap", nil).apiErr(http.StatusBadGateway, codeTrap) // dies: max_restarts 0
	third := e.c.spawn(class.ID, []any{0}, nil)

	list := func(query string) []string {
		var l api.ActorList
		e.c.do("GET", "/v1/actors"+query, nil).ok(http.StatusOK, &l)
		var ids []string
		for _, x := range l.Actors {
			ids = append(ids, x.ID)
		}
		return ids
	}
	if got := list(""); !slices.Equal(got, []string{a.ID, other.ID, third.ID}) {
		t.Errorf("all: %v", got)
	}
	if got := list("?state=dead"); !slices.Equal(got, []string{other.ID}) {
		t.Errorf("dead: %v", got)
	}
	var dead api.WireActor
	e.c.do("GET", "/v1/actors/"+other.ID, nil).ok(http.StatusOK, &dead)
	if dead.State != host.StateDead || dead.Death != string(host.DeathRestartsExhausted) {
		t.Errorf("dead actor %+v", dead)
	}
	if e := e.c.do("POST", "/v1/actors/"+other.ID+"/call/get", nil).apiErr(http.StatusGone, codeActorDied); e.Details["reason"] != string(host.DeathRestartsExhausted) {
		t.Errorf("call on a dead actor: %+v", e)
	}
	if got := list("?name=c1"); !slices.Equal(got, []string{a.ID}) {
		t.Errorf("by name: %v", got)
	}
	if got := list("?class=" + class.ID + "&state=alive"); !slices.Equal(got, []string{a.ID, third.ID}) {
		t.Errorf("by class and state: %v", got)
	}
	if got := list("?class=sha256:none"); len(got) != 0 {
		t.Errorf("by other class: %v", got)
	}
	if got := e.as(tokenB).do("GET", "/v1/actors", nil); !strings.Contains(string(got.body), `"actors":[]`) {
		t.Errorf("other namespace sees %s", got.body)
	}

	var shown api.WireActor
	e.c.do("GET", "/v1/actors/"+a.ID, nil).ok(http.StatusOK, &shown)
	if shown.ID != a.ID || shown.CallsServed != 1 {
		t.Errorf("show %+v", shown)
	}
	var named api.WireActor
	e.c.do("GET", "/v1/names/c1", nil).ok(http.StatusOK, &named)
	if named.ID != a.ID {
		t.Errorf("names/c1 = %s, want %s", named.ID, a.ID)
	}
	e.as(tokenB).do("GET", "/v1/names/c1", nil).apiErr(http.StatusNotFound, codeActorNotFound)

	// get_if_exists returns the same actor; a second spawn of the name is 409.
	same := e.c.spawn(class.ID, []any{99}, map[string]any{"name": "c1", "get_if_exists": true})
	if same.ID != a.ID {
		t.Errorf("get_if_exists gave %s, want %s", same.ID, a.ID)
	}
	e.c.do("POST", "/v1/actors", map[string]any{"class": class.ID, "args": []any{0}, "options": map[string]any{"name": "c1"}}).
		apiErr(http.StatusConflict, codeNameTaken)

	// Kill.
	e.c.do("DELETE", "/v1/actors/"+a.ID, nil).ok(http.StatusNoContent, nil)
	e.c.do("GET", "/v1/actors/"+a.ID, nil).ok(http.StatusOK, &shown)
	if shown.State != host.StateDead || shown.Death != string(host.DeathKilled) {
		t.Errorf("killed actor %+v", shown)
	}
	e.c.do("DELETE", "/v1/actors/"+a.ID, nil).ok(http.StatusNoContent, nil) // idempotent
	e.c.do("POST", "/v1/actors/"+a.ID+"/call/get", nil).apiErr(http.StatusGone, codeActorDied)
	e.c.do("GET", "/v1/names/c1", nil).apiErr(http.StatusNotFound, codeActorNotFound)
	e.as(tokenB).do("GET", "/v1/actors/"+a.ID, nil).apiErr(http.StatusNotFound, codeActorNotFound)
}

func TestCalls(t *testing.T) {
	e := newEnv(t, nil)
	_, a := e.counter(e.c, 10, nil)
	if n := e.c.callInt(a.ID, "incr", 5); n != 15 {
		t.Fatalf("incr = %d", n)
	}
	if n := e.c.callInt(a.ID, "add", 2, 3); n != 5 {
		t.Fatalf("add = %d", n)
	}
	// num_returns 2 on a method returning one array: two values.
	var two struct {
		Values []json.RawMessage `json:"values"`
	}
	e.c.do("POST", "/v1/actors/"+a.ID+"/call/echo", map[string]any{"args": []any{[]any{7, "x"}}, "num_returns": 2}).
		ok(http.StatusOK, &two)
	if len(two.Values) != 2 || string(two.Values[0]) != "7" || string(two.Values[1]) != `"x"` {
		t.Fatalf("values %s", two.Values)
	}
	// An empty body is a call without arguments.
	var got struct{ Value int64 }
	e.c.do("POST", "/v1/actors/"+a.ID+"/call/get", nil).ok(http.StatusOK, &got)
	if got.Value != 15 {
		t.Fatalf("get = %d", got.Value)
	}
}

func TestSubmitAndFutures(t *testing.T) {
	e := newEnv(t, nil)
	_, a := e.counter(e.c, 0, nil)
	ids := e.c.submit(a.ID, "incr", map[string]any{"args": []any{4}})
	if len(ids) != 1 || !strings.HasPrefix(ids[0], a.ID+"/") {
		t.Fatalf("futures %v", ids)
	}
	var v struct{ Value int64 }
	e.c.do("GET", "/v1/futures/"+ids[0]+"?wait_ms=5000", nil).ok(http.StatusOK, &v)
	if v.Value != 4 {
		t.Fatalf("future = %d", v.Value)
	}
	// Again: results are kept.
	e.c.do("GET", "/v1/futures/"+ids[0], nil).ok(http.StatusOK, nil)
	// The slash may also be escaped.
	e.c.do("GET", "/v1/futures/"+strings.Replace(ids[0], "/", "%2F", 1), nil).ok(http.StatusOK, nil)

	// A future as an argument, on this and another actor.
	if n := e.c.callInt(a.ID, "add", map[string]any{"$future": ids[0]}, 100); n != 104 {
		t.Fatalf("add(future, 100) = %d", n)
	}
	_, b := e.counter(e.c, 0, nil)
	f2 := e.c.submit(b.ID, "incr", map[string]any{"args": []any{map[string]any{"$future": ids[0]}}})
	e.c.do("GET", "/v1/futures/"+f2[0]+"?wait_ms=5000", nil).ok(http.StatusOK, &v)
	if v.Value != 4 {
		t.Fatalf("incr(future) = %d", v.Value)
	}
	// A future as a constructor argument.
	c := e.c.spawn(a.Class, []any{map[string]any{"$future": ids[0]}}, nil)
	if n := e.c.callInt(c.ID, "get"); n != 4 {
		t.Fatalf("spawned with a future: get = %d", n)
	}

	// Pending: the actor is busy spinning.
	_, slow := e.counter(e.c, 0, map[string]any{"call_timeout_ms": 400, "max_restarts": -1})
	e.c.submit(slow.ID, "spin", nil)
	queued := e.c.submit(slow.ID, "get", nil)
	var p pendingBody
	e.c.do("GET", "/v1/futures/"+queued[0]+"?wait_ms=10", nil).ok(http.StatusAccepted, &p)
	if !p.Pending {
		t.Fatal("not pending")
	}
	e.c.do("GET", "/v1/futures/"+queued[0]+"?wait_ms=5000", nil).ok(http.StatusOK, &v)
}

func TestFutureTTL(t *testing.T) {
	e := newEnv(t, func(c *testCfg) { c.FutureTTL = 50 * time.Millisecond })
	_, a := e.counter(e.c, 0, nil)
	ids := e.c.submit(a.ID, "incr", map[string]any{"args": []any{1}})
	e.c.do("GET", "/v1/futures/"+ids[0]+"?wait_ms=5000", nil).ok(http.StatusOK, nil)
	deadline := time.Now().Add(5 * time.Second)
	for e.s.futures.len() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not expire the future")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.c.do("GET", "/v1/futures/"+ids[0], nil).apiErr(http.StatusNotFound, codeFutureNotFound)
}

func TestValuesThroughEcho(t *testing.T) {
	e := newEnv(t, nil)
	_, a := e.counter(e.c, 0, nil)
	_, other := e.counter(e.c, 0, nil)
	for _, in := range []string{
		`{"$actor":"` + other.ID + `","class":"` + other.Class + `"}`,
		`[{"$actor":"` + other.ID + `","class":"` + other.Class + `"},{"k":{"$bytes":"3q2+7w=="}}]`,
		`{"$map":[[1,"one"],[-2,{"$float":"NaN"}]]}`,
		`{"a":[1,2.5,-3e-7,18446744073709551615,-9223372036854775808],"b":null,"c":"\u00fc\n"}`,
	} {
		got := e.c.call(a.ID, "echo", json.RawMessage(in))
		var x, y any
		_ = json.Unmarshal([]byte(in), &x)
		_ = json.Unmarshal(got, &y)
		if fmt.Sprint(x) != fmt.Sprint(y) {
			t.Errorf("echo %s = %s", in, got)
		}
	}
	// {"$actor": id} is enough in arguments; the result names the class.
	got := e.c.call(a.ID, "echo", map[string]any{"$actor": other.ID})
	if want := `{"$actor":"` + other.ID + `","class":"` + other.Class + `"}`; string(got) != want {
		t.Errorf("handle %s, want %s", got, want)
	}
}

func TestCBOR(t *testing.T) {
	e := newEnv(t, nil)
	_, a := e.counter(e.c, 1, nil)
	post := func(path string, body any) *resp {
		b, err := cbor.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return e.c.do("POST", path, b, "Content-Type", "application/cbor", "Accept", "application/cbor")
	}
	r := post("/v1/actors/"+a.ID+"/call/incr", map[string]any{"args": []any{5}})
	if r.status != http.StatusOK || r.hdr.Get("Content-Type") != "application/cbor" {
		t.Fatalf("%d %s %x", r.status, r.hdr.Get("Content-Type"), r.body)
	}
	var out struct {
		Value int64 `cbor:"value"`
	}
	if err := cbor.Unmarshal(r.body, &out); err != nil || out.Value != 6 {
		t.Fatalf("%x: %v %d", r.body, err, out.Value)
	}
	// Bytes and handles are native CBOR.
	ref := abi.Handle{ID: a.ID, Class: a.Class}
	r = post("/v1/actors/"+a.ID+"/call/echo", map[string]any{"args": []any{cbor.RawMessage(codec.MustEncode([]any{[]byte{1, 2}, ref}))}})
	var echoed struct {
		Value cbor.RawMessage `cbor:"value"`
	}
	if err := cbor.Unmarshal(r.body, &echoed); err != nil {
		t.Fatal(err)
	}
	if got, want := abi.Value(echoed.Value).String(), codec.MustEncode([]any{[]byte{1, 2}, ref}).String(); got != want {
		t.Fatalf("echo %s, want %s", got, want)
	}
	// A future reference: tag 51001 around the future ID.
	ids := e.c.submit(a.ID, "get", nil)
	r = post("/v1/actors/"+a.ID+"/call/add", map[string]any{"args": []any{cbor.Tag{Number: abi.TagFutureRef, Content: ids[0]}, 10}})
	if err := cbor.Unmarshal(r.body, &out); err != nil || out.Value != 16 {
		t.Fatalf("add(future, 10): %x %v", r.body, err)
	}
	// Errors are CBOR too.
	r = post("/v1/actors/"+a.ID+"/call/nope", map[string]any{})
	var eb struct {
		Error apiError `cbor:"error"`
	}
	if err := cbor.Unmarshal(r.body, &eb); err != nil || r.status != http.StatusNotFound || eb.Error.Code != codeMethodNotFound {
		t.Fatalf("%d %x %v", r.status, r.body, err)
	}
	// Lists too.
	r = e.c.do("GET", "/v1/actors/"+a.ID, nil, "Accept", "application/cbor")
	var info struct {
		ID    string `cbor:"id"`
		State string `cbor:"state"`
	}
	if err := cbor.Unmarshal(r.body, &info); err != nil || info.ID != a.ID || info.State != "alive" {
		t.Fatalf("%x %v", r.body, err)
	}
}

func TestBatch(t *testing.T) {
	e := newEnv(t, nil)
	_, a := e.counter(e.c, 0, nil)
	_, b := e.counter(e.c, 1000, nil)
	const n = 200
	calls := make([]map[string]any, 0, n+1)
	for i := range n {
		actor := a.ID
		if i%2 == 1 {
			actor = b.ID
		}
		calls = append(calls, map[string]any{"actor": actor, "method": "incr", "args": []any{1}})
	}
	calls = append(calls, map[string]any{"actor": a.ID, "method": "nope"})
	var out struct {
		Results []struct {
			Value  *int64    `json:"value"`
			Future string    `json:"future"`
			Error  *apiError `json:"error"`
		} `json:"results"`
	}
	e.c.do("POST", "/v1/batch", map[string]any{"calls": calls, "wait": true, "timeout_ms": 10000}).ok(http.StatusOK, &out)
	if len(out.Results) != n+1 {
		t.Fatalf("%d results", len(out.Results))
	}
	for i, r := range out.Results[:n] {
		want := int64(i/2 + 1) // per-actor order is batch order
		if i%2 == 1 {
			want += 1000
		}
		if r.Value == nil || *r.Value != want {
			t.Fatalf("result %d: %+v, want %d", i, r, want)
		}
	}
	if r := out.Results[n]; r.Error == nil || r.Error.Code != codeMethodNotFound {
		t.Fatalf("bad call: %+v", r)
	}

	// Without wait: future IDs, fetched later.
	e.c.do("POST", "/v1/batch", map[string]any{"calls": calls[:4]}).ok(http.StatusOK, &out)
	for i, r := range out.Results {
		if r.Future == "" {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	var v struct{ Value int64 }
	e.c.do("GET", "/v1/futures/"+out.Results[3].Future+"?wait_ms=5000", nil).ok(http.StatusOK, &v)
	if v.Value != 1000+n/2+2 {
		t.Fatalf("last future = %d", v.Value)
	}

	// Over maxBatchCalls: refused from the count, in JSON and in CBOR.
	over := make([]any, maxBatchCalls+1)
	for i := range over {
		over[i] = map[string]any{}
	}
	e.c.do("POST", "/v1/batch", map[string]any{"calls": over}).apiErr(http.StatusRequestEntityTooLarge, codeTooLarge)
	cb := abi.AppendHead([]byte{0xa1, 0x65, 'c', 'a', 'l', 'l', 's'}, 4, maxBatchCalls+1)
	cb = append(cb, bytes.Repeat([]byte{0xa0}, maxBatchCalls+1)...)
	e.c.do("POST", "/v1/batch", cb, "Content-Type", "application/cbor").apiErr(http.StatusRequestEntityTooLarge, codeTooLarge)
}

func TestLogs(t *testing.T) {
	e := newEnv(t, nil)
	class := e.c.upload(readWasm(t, "host/testdata/log.wasm"))
	a := e.c.spawn(class.ID, nil, nil)
	e.c.call(a.ID, "hello")

	var l logList
	e.c.do("GET", "/v1/actors/"+a.ID+"/logs", nil).ok(http.StatusOK, &l)
	if len(l.Lines) != 1 || l.Lines[0].Text != "hello from wat" || l.Lines[0].Level != abi.LogInfo {
		t.Fatalf("lines %+v", l.Lines)
	}
	e.c.do("GET", "/v1/actors/"+a.ID+"/logs?since=1", nil).ok(http.StatusOK, &l)
	if len(l.Lines) != 0 {
		t.Fatalf("since=1: %+v", l.Lines)
	}

	// Follow: the kept line, then a new one as it is logged.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/v1/actors/"+a.ID+"/logs?follow=true", nil)
	req.Header.Set("Authorization", "Bearer "+tokenA)
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	events := sseEvents(res.Body)
	if ev := <-events; ev.name != "log" || ev.id != "0" || !strings.Contains(ev.data, "hello from wat") {
		t.Fatalf("first event %+v", ev)
	}
	e.c.call(a.ID, "hello")
	select {
	case ev := <-events:
		if ev.name != "log" || ev.id != "1" {
			t.Fatalf("second event %+v", ev)
		}
		var line host.LogLine
		if err := json.Unmarshal([]byte(ev.data), &line); err != nil || line.Seq != 1 || line.Text != "hello from wat" {
			t.Fatalf("line %s: %v", ev.data, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event for the second line")
	}
	// The actor dies: the stream ends.
	e.c.call(a.ID, "bye")
	for ev := range events {
		if ev.name == "end" {
			if !strings.Contains(ev.data, "exited") {
				t.Errorf("end event %+v", ev)
			}
			return
		}
	}
	t.Fatal("the stream ended without an end event")
}

type sseEvent struct{ id, name, data string }

// sseEvents parses a text/event-stream until it ends.
func sseEvents(r io.Reader) <-chan sseEvent {
	ch := make(chan sseEvent, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || ev.data != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return ch
}

func TestCloseEndsLogStreams(t *testing.T) {
	e := newEnv(t, func(c *testCfg) { c.TokensFile = "" })
	class := e.c.upload(readWasm(t, "host/testdata/log.wasm"))
	a := e.c.spawn(class.ID, nil, nil)
	res, err := e.ts.Client().Get(e.ts.URL + "/v1/actors/" + a.ID + "/logs?follow=true")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := sseEvents(res.Body)
	done := make(chan error, 1)
	go func() { done <- e.s.Close(context.Background()) }()
	select {
	case ev := <-events:
		if ev.name != "end" || !strings.Contains(ev.data, "shutting down") {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end")
	}
	for ev := range events {
		t.Errorf("event after the end: %+v", ev)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.c.do("GET", "/readyz", nil).apiErr(http.StatusServiceUnavailable, codeUnavailable)
	e.c.do("GET", "/healthz", nil).ok(http.StatusOK, nil)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, nil)
	_, a := e.counter(e.c, 0, map[string]any{"max_restarts": -1})
	for range 3 {
		e.c.callInt(a.ID, "incr", 1)
	}
	e.c.do("POST", "/v1/actors/"+a.ID+"/call/trap", map[string]any{}).apiErr(http.StatusBadGateway, codeTrap)
	e.c.do("POST", "/v1/actors/"+a.ID+"/call/fail", map[string]any{}).apiErr(http.StatusUnprocessableEntity, codeAppError)
	wants := []string{
		fmt.Sprintf(`wactor_calls_total{class=%q,method="incr",outcome="ok"} 3`, a.Class),
		fmt.Sprintf(`wactor_calls_total{class=%q,method="fail",outcome="app_error"} 1`, a.Class),
		fmt.Sprintf(`wactor_calls_total{class=%q,method="trap",outcome="trap"} 1`, a.Class),
		fmt.Sprintf(`wactor_call_duration_seconds_count{class=%q,method="incr"} 3`, a.Class),
		fmt.Sprintf(`wactor_call_queue_seconds_count{class=%q} 5`, a.Class),
		fmt.Sprintf(`wactor_traps_total{class=%q,reason="trap"} 1`, a.Class),
		fmt.Sprintf(`wactor_restarts_total{class=%q} 1`, a.Class),
		`wactor_actors{state="alive"} 1`,
		`wactor_actors{state="dead"} 0`,
		`wactor_queue_depth 0`,
		`wactor_http_requests_total{code="200",route="POST /v1/actors/{id}/call/{method}"} 3`,
		`wactor_http_requests_total{code="502",route="POST /v1/actors/{id}/call/{method}"} 1`,
		`go_goroutines`,
	}
	// The last call's worker may still be finishing its bookkeeping (queue
	// depth) when its response arrives: poll briefly.
	var text string
	var missing []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		r := e.as(tokenOp).do("GET", "/metrics", nil).ok(http.StatusOK, nil)
		text, missing = string(r.body), nil
		for _, want := range wants {
			if !strings.Contains(text, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, m := range missing {
		t.Errorf("metrics lack %s", m)
	}
	if t.Failed() {
		t.Log(text)
	}

	// A class the host unloads takes its series with it (a tenant churning
	// classes does not grow the registry).
	e.c.do("DELETE", "/v1/actors/"+a.ID, nil).ok(http.StatusNoContent, nil)
	e.c.do("DELETE", "/v1/classes/"+a.Class, nil).ok(http.StatusNoContent, nil)
	text = string(e.as(tokenOp).do("GET", "/metrics", nil).ok(http.StatusOK, nil).body)
	if label := fmt.Sprintf("class=%q", a.Class); strings.Contains(text, label) {
		t.Errorf("metrics still carry %s after the class was deleted", label)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, nil)
	anon := e.as("")
	if r := anon.do("GET", "/healthz", nil).ok(http.StatusOK, nil); string(r.body) != "ok\n" {
		t.Errorf("healthz %q", r.body)
	}
	anon.do("GET", "/readyz", nil).ok(http.StatusOK, nil)
	r := anon.do("GET", "/healthz", nil, "X-Request-Id", "req-42")
	if got := r.hdr.Get("X-Request-Id"); got != "req-42" {
		t.Errorf("X-Request-Id %q", got)
	}
	if got := anon.do("GET", "/healthz", nil).hdr.Get("X-Request-Id"); len(got) != 24 {
		t.Errorf("generated X-Request-Id %q", got)
	}
}

func TestNoAuthDefaultNamespace(t *testing.T) {
	e := newEnv(t, func(c *testCfg) { c.TokensFile = "" })
	info, err := e.s.Host().LoadClassIn(context.Background(), host.DefaultNamespace, counterWasm(t))
	if err != nil {
		t.Fatal(err)
	}
	anon := e.as("")
	var list classList
	anon.do("GET", "/v1/classes", nil).ok(http.StatusOK, &list)
	if len(list.Classes) != 1 || list.Classes[0].ID != info.ID {
		t.Fatalf("preloaded class not listed: %+v", list)
	}
	a := anon.spawn(info.ID, []any{3}, nil)
	if a.Namespace != host.DefaultNamespace {
		t.Fatalf("namespace %q", a.Namespace)
	}
	if _, err := e.s.Host().Lookup(context.Background(), host.DefaultNamespace, "x"); err == nil {
		t.Fatal("unexpected actor")
	}
	if n := anon.callInt(a.ID, "get"); n != 3 {
		t.Fatalf("get = %d", n)
	}
}

// lockedBuffer is an io.Writer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogging(t *testing.T) {
	var out lockedBuffer
	e := newEnv(t, func(c *testCfg) {
		c.Logger = slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, a := e.counter(e.c, 0, nil)
	e.c.do("POST", "/v1/actors/"+a.ID+"/call/trap", nil, "X-Request-Id", "trace-1").apiErr(http.StatusBadGateway, codeTrap)
	want := []string{
		`"msg":"actor spawned"`,
		`"msg":"http request","request_id":"trace-1","method":"POST","route":"POST /v1/actors/{id}/call/{method}"`,
		`"status":502`,
		`"actor":"` + a.ID + `"`,
		`"error_code":"trap"`,
		`"namespace":"team-a","token":"a"`,
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		logs := out.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(logs, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs lack %s:\n%s", missing, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(out.String(), tokenA) {
		t.Fatal("a token secret in the logs")
	}
}

// countingObserver counts events; the server passes them on.
type countingObserver struct{ calls, changes atomic.Int64 }

func (o *countingObserver) CallDone(host.CallEvent)      { o.calls.Add(1) }
func (o *countingObserver) ActorChanged(host.ActorEvent) { o.changes.Add(1) }

func TestHostObserverKept(t *testing.T) {
	var o countingObserver
	e := newEnv(t, func(c *testCfg) { c.Host.Observer = &o })
	_, a := e.counter(e.c, 0, nil)
	e.c.callInt(a.ID, "incr", 1)
	if o.calls.Load() != 1 || o.changes.Load() != 1 {
		t.Fatalf("observer saw %d calls, %d changes", o.calls.Load(), o.changes.Load())
	}
	r := e.as(tokenOp).do("GET", "/metrics", nil)
	if !strings.Contains(string(r.body), `method="incr",outcome="ok"} 1`) {
		t.Fatal("metrics missed the call")
	}
}

func TestCheckpoints(t *testing.T) {
	e := newEnv(t, nil)
	_, a := e.counter(e.c, 10, nil)
	e.c.callInt(a.ID, "incr", 5)
	var ck struct {
		ID    string `json:"id"`
		Size  int    `json:"size"`
		Calls int    `json:"calls"`
	}
	e.c.do("POST", "/v1/actors/"+a.ID+"/checkpoints", nil).ok(http.StatusCreated, &ck)
	if ck.ID == "" || ck.Size == 0 || ck.Calls != 1 {
		t.Fatalf("checkpoint %+v", ck)
	}
	e.c.callInt(a.ID, "incr", 100)
	var list struct {
		Checkpoints []struct{ ID string } `json:"checkpoints"`
	}
	e.c.do("GET", "/v1/actors/"+a.ID+"/checkpoints", nil).ok(http.StatusOK, &list)
	if len(list.Checkpoints) != 1 || list.Checkpoints[0].ID != ck.ID {
		t.Fatalf("list %+v", list)
	}
	e.c.do("POST", "/v1/actors/"+a.ID+"/restore", map[string]any{"checkpoint": ck.ID}).ok(http.StatusOK, nil)
	if n := e.c.callInt(a.ID, "get"); n != 15 {
		t.Fatalf("get after restore = %d, want 15", n)
	}
}

// TestNodeAndAdmission: GET /v1/node reports the host's use; a spawn whose
// resources can never fit is 400 unschedulable, naming the resource; one
// that waits past the admission timeout is 503 admission_timeout.
func TestNodeAndAdmission(t *testing.T) {
	e := newEnv(t, func(c *testCfg) {
		c.Host.Node = host.NodeResources{CPU: 1}
		c.Host.AdmissionTimeout = 50 * time.Millisecond
	})
	class, a := e.counter(e.c, 0, map[string]any{"num_cpus": 1})
	e.c.callInt(a.ID, "incr", 1)
	var u host.NodeUsage
	e.as(tokenOp).do("GET", "/v1/node", nil).ok(http.StatusOK, &u)
	if u.Actors != 1 || u.Sandboxes != 1 || u.Resources.Reservations != 1 || len(u.Resources.Items) == 0 ||
		u.Resources.Items[0].Name != "cpu" || u.Resources.Items[0].Capacity != 1 || u.Resources.Items[0].Reserved != 1 {
		t.Fatalf("node usage %+v", u)
	}
	body := map[string]any{"class": class.ID, "args": []any{0}, "options": map[string]any{"num_cpus": 2}}
	ae := e.c.do("POST", "/v1/actors", body).apiErr(http.StatusBadRequest, codeUnschedulable)
	if ae.Details["resource"] != "cpu" {
		t.Fatalf("unschedulable without the resource: %+v", ae)
	}
	body["options"] = map[string]any{"num_cpus": 1}
	e.c.do("POST", "/v1/actors", body).apiErr(http.StatusServiceUnavailable, codeAdmissionTimeout)
	text := string(e.as(tokenOp).do("GET", "/metrics", nil).ok(http.StatusOK, nil).body)
	for _, want := range []string{`wactor_resource{kind="reserved",resource="cpu"} 1`, `wactor_sandboxes 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
