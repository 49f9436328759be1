package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wactor/wactor/host"
)

// logList is the body of GET /v1/actors/{id}/logs without follow: the kept
// lines asked for and the log's stats (what it keeps, what it dropped).
type logList = host.LogPage

// actorLogs: GET /v1/actors/{id}/logs?since=&follow=. Without follow, the
// kept lines with seq >= since and the log's stats; with follow, a
// text/event-stream of them and every later line, until the client goes
// away, the actor dies or the server shuts down. A dead actor the host
// still keeps (host.Config.KeepDead) answers with its last lines (and, with
// follow, an end event at once), not 410.
func (s *Server) actorLogs(rq *request) error {
	id := rq.r.PathValue("id")
	rq.info.actor = id
	since, err := queryInt(rq, "since", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	follow, err := queryBool(rq, "follow")
	if err != nil {
		return err
	}
	// Live or kept dead, of the caller's namespace; else 404.
	info, err := s.actorInfo(rq.ctx(), rq.ns, id)
	if err != nil {
		return err
	}
	if !follow {
		page, err := s.host.Logs(rq.ctx(), id, uint64(since))
		if err != nil {
			return err
		}
		if rq.cborOut {
			rq.reply(http.StatusOK, page)
			return nil
		}
		return writeLogList(rq.w, page)
	}
	// EventSource reconnects with the last ID it saw.
	if last := rq.r.Header.Get("Last-Event-ID"); last != "" {
		if n, err := strconv.ParseUint(last, 10, 64); err == nil {
			since = int64(n + 1)
		}
	}
	if a, err := s.actorIn(rq.ctx(), rq.ns, id); err == nil {
		state := func() (bool, string) {
			info := a.Info()
			return info.State == host.StateDead, string(info.Death)
		}
		return s.streamLogs(rq, a.Logs, state, uint64(since))
	}
	// Dead: its kept lines, then the end.
	read := func(since uint64) ([]host.LogLine, <-chan struct{}) {
		page, _ := s.host.Logs(rq.ctx(), id, since)
		return page.Lines, nil
	}
	dead := func() (bool, string) { return true, string(info.Death) }
	return s.streamLogs(rq, read, dead, uint64(since))
}

// writeLogList writes a logList as JSON one line at a time, so a read
// costs memory in proportion to a line, not to the whole log.
func writeLogList(w http.ResponseWriter, page host.LogPage) error {
	stats, err := json.Marshal(page.LogStats)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", mimeJSON)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	_, _ = bw.WriteString(`{"lines":[`)
	for i, l := range page.Lines {
		b, err := json.Marshal(l)
		if err != nil {
			return nil // the status is sent: the client sees a truncated body
		}
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		if _, err := bw.Write(b); err != nil {
			return nil // the client is gone
		}
	}
	_, _ = bw.WriteString("],")
	_, _ = bw.Write(stats[1:]) // the stats object's fields and its closing brace
	_ = bw.WriteByte('\n')
	_ = bw.Flush()
	return nil
}

// streamLogs writes an actor's log as server-sent events: "event: log" with
// a LogLine as data and its seq as the event ID; "event: dropped" with
// {"lines": n} when n lines after the last one sent (or before since) were
// dropped before they could be sent; "event: end" when the actor died or
// the server shuts down; a comment line every keepalive interval while
// idle. read returns the kept lines from a seq and a channel closed when
// more arrive (nil: none will); state reports whether the actor is dead,
// and why.
func (s *Server) streamLogs(rq *request, read func(uint64) ([]host.LogLine, <-chan struct{}), state func() (bool, string), since uint64) error {
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
		// The state first: a dead actor's lines are all there to read.
		dead, why := state()
		lines, more := read(since)
		if len(lines) > 0 && lines[0].Seq > since {
			if _, err := fmt.Fprintf(rq.w, "event: dropped\ndata: {\"lines\":%d}\n\n", lines[0].Seq-since); err != nil {
				return nil
			}
		}
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
		if dead {
			end("actor died: " + why)
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
