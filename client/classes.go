package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/wactor/wactor/api"
)

// PushClass uploads a module (POST /v1/classes) and returns its class. The
// class ID is the module's content address, so pushing the same bytes again
// returns the same class. progress, if not nil, is called as the body is
// sent, with the bytes sent so far and the total: first with sent == 0,
// last (once the server has read the whole module) with sent == total.
// Modules the server rejects fail with ErrInvalidModule (Details["reason"]
// says why) or ErrTooLarge.
func (c *Client) PushClass(ctx context.Context, wasm []byte, progress func(sent, total int64)) (api.ClassInfo, error) {
	var body io.Reader = bytes.NewReader(wasm)
	if progress != nil {
		progress(0, int64(len(wasm)))
		body = &progressReader{r: body, total: int64(len(wasm)), fn: progress}
	}
	resp, err := c.send(ctx, request{
		method:      http.MethodPost,
		url:         c.endpoint(nil, "/v1/classes"),
		body:        body,
		contentType: "application/wasm",
		length:      int64(len(wasm)),
	})
	if err != nil {
		return api.ClassInfo{}, err
	}
	defer resp.Body.Close()
	var info api.ClassInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return api.ClassInfo{}, fmt.Errorf("client: decoding class: %w", err)
	}
	return info, nil
}

// progressReader reports the bytes read through it. net/http may read the
// body from another goroutine, hence the lock.
type progressReader struct {
	mu    sync.Mutex
	r     io.Reader
	sent  int64
	total int64
	fn    func(sent, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.r.Read(b)
	if n > 0 {
		p.sent += int64(n)
		p.fn(p.sent, p.total)
	}
	return n, err
}

// Classes lists the classes this namespace uploaded (GET /v1/classes).
func (c *Client) Classes(ctx context.Context) ([]api.ClassInfo, error) {
	var out struct {
		Classes []api.ClassInfo `json:"classes"`
	}
	if _, err := c.doJSON(ctx, http.MethodGet, c.endpoint(nil, "/v1/classes"), nil, &out); err != nil {
		return nil, err
	}
	return out.Classes, nil
}

// Class returns one class, with its methods from the manifest
// (GET /v1/classes/{id}); ErrClassNotFound if this namespace did not upload it.
func (c *Client) Class(ctx context.Context, id string) (api.ClassInfo, error) {
	var info api.ClassInfo
	_, err := c.doJSON(ctx, http.MethodGet, c.endpoint(nil, "/v1/classes/", id), nil, &info)
	return info, err
}

// DeleteClass removes a class (DELETE /v1/classes/{id}); ErrClassInUse
// while live actors use it.
func (c *Client) DeleteClass(ctx context.Context, id string) error {
	_, err := c.doJSON(ctx, http.MethodDelete, c.endpoint(nil, "/v1/classes/", id), nil, nil)
	return err
}
