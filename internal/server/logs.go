package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wactor/wactor/host"
)

// logList is the body of GET /v1/actors/{id}/logs without follow.
type logList struct {
	Lines []host.LogLine `json:"lines"`
}

// actorLogs: GET /v1/actors/{id}/logs?since=&follow=. Without follow, the
// kept lines with seq >= since as JSON; with follow, a text/event-stream of
// them and every later line, until the client goes away, the actor dies or
// the server shuts down.
func (s *Server) actorLogs(rq *request) error {
	a, err := s.actor(rq)
	if err != nil {
		return err
	}
	since, err := queryInt(rq, "since", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	follow, err := queryBool(rq, "follow")
	if err != nil {
		return err
	}
	if !follow {
		lines, _ := a.Logs(uint64(since))
		if lines == nil {
			lines = []host.LogLine{}
		}
		rq.reply(http.StatusOK, logList{Lines: lines})
		return nil
	}
	// EventSource reconnects with the last ID it saw.
	if last := rq.r.Header.Get("Last-Event-ID"); last != "" {
		if n, err := strconv.ParseUint(last, 10, 64); err == nil {
			since = int64(n + 1)
		}
	}
	return s.streamLogs(rq, a, uint64(since))
}

// streamLogs writes an actor's log as server-sent events: "event: log" with
// a LogLine as data and its seq as the event ID; "event: end" when the
// actor died or the server shuts down; a comment line every keepalive
// interval while idle.
func (s *Server) streamLogs(rq *request, a *host.Actor, since uint64) error {
	rc := http.NewResponseController(rq.w)
	h := rq.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	rq.w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil // the client is gone
	}
	tick := time.NewTicker(s.keepalive)
	defer tick.Stop()
	end := func(reason string) {
		b, _ := json.Marshal(map[string]string{"reason": reason})
		_, _ = fmt.Fprintf(rq.w, "event: end\ndata: %s\n\n", b)
		_ = rc.Flush()
	}
	for {
		if s.closing() {
			end("server shutting down")
			return nil
		}
		lines, more := a.Logs(since)
		for _, l := range lines {
			b, err := json.Marshal(l)
			if err != nil {
				return nil
			}
			if _, err := fmt.Fprintf(rq.w, "id: %d\nevent: log\ndata: %s\n\n", l.Seq, b); err != nil {
				return nil
			}
			since = l.Seq + 1
		}
		if len(lines) > 0 {
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
		if info := a.Info(); info.State == host.StateDead {
			end("actor died: " + string(info.Death))
			return nil
		}
		select {
		case <-more:
		case <-rq.ctx().Done():
			return nil
		case <-s.drainCtx.Done():
		case <-tick.C:
			if _, err := fmt.Fprint(rq.w, ": keepalive\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
}
