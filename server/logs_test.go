package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// TestDeadActorLogs: a dead actor's info (death reason and error) and last
// log lines stay readable over HTTP while the host keeps it, to its own
// namespace only; calls to it still fail with 410.
func TestDeadActorLogs(t *testing.T) {
	e := newEnv(t, nil)
	b := e.as(tokenB)
	class := e.c.upload(readWasm(t, "host/testdata/hostile_logflood.wasm"))
	a := e.c.spawn(class.ID, nil, nil)

	// An AssemblyScript-style abort: the message is in the trap's details.
	apiErr := e.c.do("POST", "/v1/actors/"+a.ID+"/call/abort", map[string]any{"args": []any{}}).apiErr(http.StatusBadGateway, codeTrap)
	if out, _ := apiErr.Details["guest_output"].(string); !strings.Contains(out, "abort: boom") {
		t.Fatalf("trap details %+v lack the abort message", apiErr.Details)
	}
	e.c.do("POST", "/v1/actors/"+a.ID+"/call/get", map[string]any{"args": []any{}}).apiErr(http.StatusGone, codeActorDied)

	var info api.WireActor
	e.c.do("GET", "/v1/actors/"+a.ID, nil).ok(http.StatusOK, &info)
	if info.State != host.StateDead || info.Death != string(host.DeathRestartsExhausted) || !strings.Contains(info.DeathError, "abort: boom") {
		t.Fatalf("dead actor's info %+v", info)
	}
	var l logList
	e.c.do("GET", "/v1/actors/"+a.ID+"/logs", nil).ok(http.StatusOK, &l)
	if len(l.Lines) != 3 || !strings.Contains(l.Lines[0].Text, "abort: boom") || l.Lines[0].Level != 3 ||
		l.Lines[1].Text != "partial stderr" || !strings.Contains(l.Lines[2].Text, "died") {
		t.Fatalf("dead actor's logs %+v", l.Lines)
	}
	if l.KeptLines != 3 || l.NextSeq != 3 || l.FirstSeq != 0 || l.KeptBytes <= 0 {
		t.Fatalf("dead actor's log stats %+v", l.LogStats)
	}
	e.c.do("GET", "/v1/actors/"+a.ID+"/logs?since=2", nil).ok(http.StatusOK, &l)
	if len(l.Lines) != 1 || l.Lines[0].Seq != 2 {
		t.Fatalf("since=2: %+v", l.Lines)
	}

	// Follow: the kept lines, then the end at once.
	events := follow(t, e, tokenA, a.ID, 0)
	var got []sseEvent
	for ev := range events {
		got = append(got, ev)
	}
	if len(got) != 4 || got[0].name != "log" || got[3].name != "end" || !strings.Contains(got[3].data, "restarts exhausted") {
		t.Fatalf("follow of a dead actor: %+v", got)
	}

	// Another namespace sees nothing of it.
	b.do("GET", "/v1/actors/"+a.ID, nil).apiErr(http.StatusNotFound, codeActorNotFound)
	b.do("GET", "/v1/actors/"+a.ID+"/logs", nil).apiErr(http.StatusNotFound, codeActorNotFound)
	b.do("GET", "/v1/actors/"+a.ID+"/logs?follow=true", nil).apiErr(http.StatusNotFound, codeActorNotFound)
	b.do("POST", "/v1/actors/"+a.ID+"/call/get", map[string]any{"args": []any{}}).apiErr(http.StatusNotFound, codeActorNotFound)

	// Killed: the same, with reason killed.
	k := e.c.spawn(class.ID, nil, nil)
	e.c.do("DELETE", "/v1/actors/"+k.ID, nil).ok(http.StatusNoContent, nil)
	e.c.do("GET", "/v1/actors/"+k.ID+"/logs", nil).ok(http.StatusOK, &l)
	if len(l.Lines) != 1 || !strings.Contains(l.Lines[0].Text, "died: killed") {
		t.Fatalf("killed actor's logs %+v", l.Lines)
	}
}

// TestLogsFlood: a flooded log answers with its kept lines and says how
// many were dropped; a follower is told of the gap.
func TestLogsFlood(t *testing.T) {
	e := newEnv(t, nil)
	class := e.c.upload(readWasm(t, "host/testdata/hostile_logflood.wasm"))
	a := e.c.spawn(class.ID, nil, nil)
	e.c.call(a.ID, "flood_lines") // 1024 lines of 64 KiB, each cut at 16 KiB
	r := e.c.do("GET", "/v1/actors/"+a.ID+"/logs", nil)
	var l logList
	r.ok(http.StatusOK, &l)
	if l.DroppedLines == 0 || l.TruncatedLines != 1024 || len(l.Lines) != l.KeptLines || l.FirstSeq != l.DroppedLines {
		t.Fatalf("flooded log's stats %+v (%d lines read)", l.LogStats, len(l.Lines))
	}
	if n := int64(len(r.body)); n > 2*l.KeptBytes {
		t.Fatalf("a read of %d kept bytes answered %d bytes", l.KeptBytes, n)
	}
	for _, line := range l.Lines {
		if !line.Truncated || len(line.Text) != host.MaxLogLine {
			t.Fatalf("line %d: %d bytes, truncated %v", line.Seq, len(line.Text), line.Truncated)
		}
	}
	u := e.s.host.Usage()
	if u.LogBytes < l.KeptBytes || u.LogBytes > l.KeptBytes+64<<10 {
		t.Fatalf("node log_bytes %d, the actor keeps %d", u.LogBytes, l.KeptBytes)
	}

	events := follow(t, e, tokenA, a.ID, 0)
	ev := <-events
	if ev.name != "dropped" {
		t.Fatalf("first event %+v, want dropped", ev)
	}
	var d struct{ Lines uint64 }
	if err := json.Unmarshal([]byte(ev.data), &d); err != nil || d.Lines != l.FirstSeq {
		t.Fatalf("dropped event %q: %v", ev.data, err)
	}
	if ev := <-events; ev.name != "log" || ev.id != jsonUint(l.FirstSeq) {
		t.Fatalf("first line event %+v", ev)
	}
}

func jsonUint(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// follow opens a log stream and returns its events.
func follow(t *testing.T, e *env, token, id string, since uint64) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/v1/actors/"+id+"/logs?follow=true&since="+jsonUint(since), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		t.Fatalf("follow: status %d", res.StatusCode)
	}
	return sseEvents(res.Body)
}
