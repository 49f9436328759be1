// Package client is a Go client for the wactor HTTP API (docs/API.md). It
// imports package api (the API's data types and errors) and never the host:
// a program that uses it links no WebAssembly engine.
//
// A program talks to a running `wactor serve` (or any server.Server) like
// this:
//
//	c, _ := client.New(client.Config{Server: "http://127.0.0.1:7070", Token: token})
//	class, _ := c.PushClass(ctx, wasm, nil)
//	actor, _ := c.Spawn(ctx, class.ID, api.Options{Name: "counter"}, 10)
//	v, _ := c.Invoke(ctx, actor.ID, "incr", 1) // waits for the result
//	f, _ := c.Call(ctx, actor.ID, "incr", 1)   // returns a future at once
//	v, _ = f.Get(ctx)
//	n, _ := v.Int()
//
// The words mean what they mean in package host: Call returns a future,
// Invoke waits for the value, Submit takes options and returns one future
// per return value.
//
// # Values
//
// Method arguments are Go values sent as JSON with the API's value mapping:
// []byte (and [Bytes]) travel as {"$bytes": base64}; a [Future], as a
// whole argument, as {"$future": id} (the call waits for that future on the
// server, without a round trip through the client); an [ActorRef] or
// abi.Handle as {"$actor": id}; a map with non-text keys (or keys starting
// with "$") as {"$map": [[k, v], ...]}; floats always with a fraction or
// exponent (so 2.0 stays a float), NaN and the infinities as {"$float": ...};
// a [Value] or json.RawMessage as its JSON, as is. Other values are encoded
// with encoding/json; inside structs, use [Bytes] rather than []byte so the
// field travels as bytes and not as a base64 string.
//
// Results are returned as a [Value], which keeps the JSON and decodes it on
// demand: [Value.Int], [Value.String], [Value.Bytes], [Value.Actor],
// [Value.Interface] (native Go values with $bytes as []byte and $actor as
// [ActorRef]) and [Value.Decode] into any Go type.
//
// # Errors
//
// Every error the server reports is an [*Error] with the API's stable code,
// which unwraps to the code's sentinel in package api (api.Codes), as the
// host's errors do: errors.Is(err, api.ErrArity), errors.Is(err,
// api.ErrActorNotFound) or errors.Is(err, api.ErrNotFound) (any *_not_found
// code); errors.As(err, &appErr) with an *api.AppError gives the guest's
// code and message. Transport errors are returned as they come from
// net/http.
//
// Backpressure (429, api.ErrBackpressure) is returned to the caller and never
// retried by the client: the actor's mailbox is full and only the caller
// knows whether to wait, shed the call or slow down. [Error.RetryAfter] holds
// the server's hint.
//
// A Client is safe for concurrent use.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultServer is the address used when Config.Server is empty.
const DefaultServer = "http://127.0.0.1:7070"

// Config configures a Client.
type Config struct {
	// Server is the base URL of the server (default DefaultServer). A bare
	// host:port is taken as http://host:port.
	Server string
	// Token is sent as "Authorization: Bearer <token>" when not empty.
	Token string
	// HTTPClient makes the requests (default: a client without a timeout;
	// calls are bounded by their contexts). A Timeout set on it also bounds
	// long polls (Await, FollowLogs).
	HTTPClient *http.Client
	// UserAgent is sent as the User-Agent header (default "wactor-go-client").
	UserAgent string
}

// Client talks to one wactor server. Create it with New. Safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
	ua    string
}

// New checks cfg and returns a Client. It does not contact the server.
func New(cfg Config) (*Client, error) {
	s := strings.TrimSpace(cfg.Server)
	if s == "" {
		s = DefaultServer
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("client: bad server URL %q: %w", cfg.Server, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("client: bad server URL %q: scheme must be http or https", cfg.Server)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("client: bad server URL %q: no host", cfg.Server)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: bad server URL %q: query or fragment not allowed", cfg.Server)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, token: cfg.Token, hc: cfg.HTTPClient, ua: cfg.UserAgent}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.ua == "" {
		c.ua = "wactor-go-client"
	}
	return c, nil
}

// Server returns the base URL the client talks to.
func (c *Client) Server() string { return c.base.String() }

// endpoint builds the URL of an API path made of literal segments and
// (escaped) parameters: endpoint("/v1/actors/", id, "/call/", method).
// Parameters are escaped as single path segments, so IDs containing '/'
// (future IDs) stay one segment.
func (c *Client) endpoint(query url.Values, parts ...string) string {
	var b strings.Builder
	b.WriteString(c.base.String())
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString(url.PathEscape(p))
		} else {
			b.WriteString(p)
		}
	}
	if len(query) > 0 {
		b.WriteString("?")
		b.WriteString(query.Encode())
	}
	return b.String()
}

// request is one API request.
type request struct {
	method      string
	url         string
	body        io.Reader
	contentType string
	length      int64 // of body, when known (-1 unknown)
}

// send performs a request and returns the response if its status is 2xx;
// otherwise it returns the decoded *Error.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, r.body)
	if err != nil {
		return nil, err
	}
	if r.body != nil && r.length >= 0 {
		req.ContentLength = r.length
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// doJSON sends in (if not nil) as JSON and decodes a 2xx response into out
// (if not nil). It returns the response status.
func (c *Client) doJSON(ctx context.Context, method, u string, in, out any) (int, error) {
	r := request{method: method, url: u, length: -1}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("client: encoding request: %w", err)
		}
		r.body = bytes.NewReader(b)
		r.length = int64(len(b))
		r.contentType = "application/json"
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("client: decoding %s %s response: %w", method, u, err)
	}
	return resp.StatusCode, nil
}

// Do performs a request on any API path (for routes without a typed method,
// such as checkpoints): in, if not nil, is sent as JSON encoded by
// encoding/json (in which Value, Bytes, Future and ActorRef have the API's
// value mapping), and a 2xx response is decoded into out, if not nil (a
// *json.RawMessage keeps it as is). path is relative to the server, such as
// "/v1/actors/ID/checkpoints"; it is used as given, so escape parameters with
// url.PathEscape. A non-2xx response is returned as *Error.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	_, err := c.doJSON(ctx, method, c.base.String()+path, in, out)
	return err
}

// Ready reports whether the server is up and ready (GET /readyz): nil if so.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.doJSON(ctx, http.MethodGet, c.endpoint(nil, "/readyz"), nil, nil)
	return err
}

// timeoutMS converts the time left before ctx's deadline into the API's
// timeout_ms (0 when ctx has no deadline: the server's default applies).
func timeoutMS(ctx context.Context) int64 {
	d, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	ms := time.Until(d).Milliseconds()
	if ms < 1 {
		ms = 1
	}
	return ms
}

// decodeError turns a non-2xx response into an *Error.
func decodeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{Status: resp.StatusCode}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
	}
	var env struct {
		Error *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err == nil && env.Error != nil && env.Error.Code != "" {
		e.Code, e.Message, e.Details = env.Error.Code, env.Error.Message, env.Error.Details
		return e
	}
	e.Code = codeForStatus(resp.StatusCode)
	e.Message = strings.TrimSpace(string(body))
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// errorFromJSON decodes an error object as found in batch results and log
// streams; status is unknown there and taken from the code.
func errorFromJSON(raw json.RawMessage) error {
	var x struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	if err := json.Unmarshal(raw, &x); err != nil {
		return fmt.Errorf("client: malformed error object: %w", err)
	}
	return &Error{Status: statusForCode(x.Code), Code: x.Code, Message: x.Message, Details: x.Details}
}

var (
	errNoValue  = errors.New("client: response has no value")
	errNoClient = errors.New("client: a Future decoded from JSON is a reference only: get it with Client.Future(id)")
)
