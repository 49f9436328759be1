package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wactor/wactor/api"
)

// Logs returns an actor's kept log lines with Seq >= since
// (GET /v1/actors/{id}/logs), also of a dead actor the server still keeps.
func (c *Client) Logs(ctx context.Context, actorID string, since uint64) ([]api.LogLine, error) {
	page, err := c.LogPage(ctx, actorID, since)
	return page.Lines, err
}

// LogPage is Logs with the log's stats: what it keeps and how many lines
// it dropped (a line before page.FirstSeq was dropped).
func (c *Client) LogPage(ctx context.Context, actorID string, since uint64) (api.LogPage, error) {
	q := url.Values{}
	if since > 0 {
		q.Set("since", strconv.FormatUint(since, 10))
	}
	var out api.LogPage
	if _, err := c.doJSON(ctx, http.MethodGet, c.endpoint(q, "/v1/actors/", actorID, "/logs"), nil, &out); err != nil {
		return api.LogPage{}, err
	}
	return out, nil
}

// FollowLogs streams an actor's log lines with Seq >= since (the kept ones
// first, then new ones as they are written) to fn, over server-sent events
// (GET /v1/actors/{id}/logs?follow=true). It returns when ctx is done
// (ctx.Err()), when fn returns an error (that error), or when the server ends
// the stream, for example because the actor died (nil, or the *Error the
// server sent).
func (c *Client) FollowLogs(ctx context.Context, actorID string, since uint64, fn func(api.LogLine) error) error {
	q := url.Values{"follow": {"true"}}
	if since > 0 {
		q.Set("since", strconv.FormatUint(since, 10))
	}
	req := request{method: http.MethodGet, url: c.endpoint(q, "/v1/actors/", actorID, "/logs"), length: -1}
	resp, err := c.send(ctx, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		return fmt.Errorf("client: log stream has content type %q, not text/event-stream", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var event string
	var data strings.Builder
	dispatch := func() error {
		defer func() { event = ""; data.Reset() }()
		if data.Len() == 0 {
			return nil
		}
		switch event {
		case "", "log":
			var line api.LogLine
			if err := json.Unmarshal([]byte(data.String()), &line); err != nil {
				return fmt.Errorf("client: malformed log event: %w", err)
			}
			return fn(line)
		case "error":
			raw := json.RawMessage(data.String())
			var env struct {
				Error json.RawMessage `json:"error"`
			}
			if json.Unmarshal(raw, &env) == nil && env.Error != nil {
				raw = env.Error
			}
			return errorFromJSON(raw)
		}
		return nil // other events are for later versions
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if err := dispatch(); err != nil {
				return err
			}
		case strings.HasPrefix(line, ":"): // comment (keep-alive)
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				event = value
			case "data":
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.WriteString(value)
			}
		}
	}
	err = sc.Err()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("client: reading log stream: %w", err)
	}
	return dispatch()
}
