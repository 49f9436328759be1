package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/server"
)

// httpClients is the number of client goroutines of the synchronous HTTP
// rows (as in server's BenchmarkHTTP: 4 per core).
func httpClients() int { return 4 * runtime.GOMAXPROCS(0) }

// httpTarget is a server on a loopback listener with a keep-alive client.
type httpTarget struct {
	base string
	hc   *http.Client
	stop func()
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}}
}

// post sends body and reads the whole answer, which must be 200 or 201.
func (t *httpTarget) post(path string, body []byte) ([]byte, error) {
	res, err := t.hc.Post(t.base+path, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("POST %s: %d %.300s", path, res.StatusCode, out)
	}
	return out, nil
}

// wactorServer starts server in process on a loopback port (no
// authentication: namespace "default"), loads the C guest and spawns n
// actors through the API.
func wactorServer(ctx context.Context, e *env, n int) (t *httpTarget, s *server.Server, actors []string, err error) {
	dir, err := os.MkdirTemp("", "wactor-bench-")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("temp dir: %w", err)
	}
	metrics := server.NewMetrics()
	h, err := host.New(ctx, host.Config{DataDir: filepath.Join(dir, "state"), CacheDir: filepath.Join(dir, "cache"),
		Logger: discardLogger, Observer: metrics.Observer(nil)})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, nil, fmt.Errorf("creating the host: %w", err)
	}
	closeAll := func() {
		_ = s.Close(context.Background())
		_ = h.Close(context.Background())
		_ = os.RemoveAll(dir)
	}
	s, err = server.New(h, server.Options{Addr: "127.0.0.1:0", Metrics: metrics, Logger: discardLogger})
	if err != nil {
		_ = h.Close(ctx)
		_ = os.RemoveAll(dir)
		return nil, nil, nil, fmt.Errorf("creating the server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeAll()
		return nil, nil, nil, fmt.Errorf("listen: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln) }()
	t = &httpTarget{base: "http://" + ln.Addr().String(), hc: newHTTPClient(httpClients())}
	t.stop = func() {
		t.hc.CloseIdleConnections()
		cancel()
		<-served
		closeAll()
	}
	class, err := h.LoadClassIn(ctx, host.DefaultNamespace, e.cWasm)
	if err != nil {
		t.stop()
		return nil, nil, nil, fmt.Errorf("loading the class: %w", err)
	}
	for range n {
		out, err := t.post("/v1/actors", fmt.Appendf(nil, `{"class": %q, "args": [0]}`, class.ID))
		if err != nil {
			t.stop()
			return nil, nil, nil, err
		}
		var a struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(out, &a); err != nil || a.ID == "" {
			t.stop()
			return nil, nil, nil, fmt.Errorf("spawn answer %.200s: %w", out, err)
		}
		actors = append(actors, a.ID)
	}
	return t, s, actors, nil
}

// serverCounters checks through the server's host that the counters of
// actors add up to want.
func serverCounters(ctx context.Context, s *server.Server, actors []string, want int64) error {
	hs := make([]*host.Actor, len(actors))
	for i, id := range actors {
		a, err := s.Host().Actor(ctx, id)
		if err != nil {
			return fmt.Errorf("looking up the actor: %w", err)
		}
		hs[i] = a
	}
	return sumCounters(ctx, hs, want)
}

// parallel runs fn(c, n_c) on clients goroutines that split ops between
// them, and returns the time until all are done.
func parallel(clients, ops int, fn func(c, n int) error) (time.Duration, error) {
	errs := make([]error, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		n := ops / clients
		if c < ops%clients {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[c] = fn(c, n)
		}()
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// httpSync: synchronous calls (POST /v1/actors/{id}/call/incr) from
// httpClients() goroutines, each on its own actor.
func httpSync(ctx context.Context, e *env, ops int) (sample, error) {
	clients := httpClients()
	t, s, actors, err := wactorServer(ctx, e, clients)
	if err != nil {
		return sample{}, err
	}
	defer t.stop()
	body := []byte(`{"args": [1]}`)
	el, err := parallel(clients, ops, func(c, n int) error {
		path := "/v1/actors/" + actors[c] + "/call/incr"
		for range n {
			if _, err := t.post(path, body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return sample{}, err
	}
	return sample{elapsed: el}, serverCounters(ctx, s, actors, int64(ops))
}

// batchSize is the number of calls of one POST /v1/batch.
const batchSize = 1000

// batchBody is a /v1/batch request (wait: true) of n incr calls spread over
// actors.
func batchBody(n int, actors []string) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"wait": true, "calls": [`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"actor": %q, "method": "incr", "args": [1]}`, actors[i%len(actors)])
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// httpBatch: batches of 1,000 incr calls over fanout actors
// (POST /v1/batch, waiting for the results), from clients goroutines.
func httpBatch(clients int) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (sample, error) {
		t, s, actors, err := wactorServer(ctx, e, fanout)
		if err != nil {
			return sample{}, err
		}
		defer t.stop()
		full := batchBody(batchSize, actors)
		el, err := parallel(clients, ops, func(_, n int) error {
			for done := 0; done < n; done += batchSize {
				body := full
				if k := n - done; k < batchSize {
					body = batchBody(k, actors)
				}
				out, err := t.post("/v1/batch", body)
				if err != nil {
					return err
				}
				if bytes.Contains(out, []byte(`"error"`)) {
					return fmt.Errorf("batch failed: %.300s", out)
				}
			}
			return nil
		})
		if err != nil {
			return sample{}, err
		}
		return sample{elapsed: el}, serverCounters(ctx, s, actors, int64(ops))
	}
}

// httpNoop: the floor of an HTTP call: the same client and request body
// against a net/http server on loopback whose handler reads the body and
// answers a constant JSON value.
func httpNoop(_ context.Context, _ *env, ops int) (sample, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return sample{}, fmt.Errorf("listen: %w", err)
	}
	reply := []byte(`{"value":1}`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	clients := httpClients()
	t := &httpTarget{base: "http://" + ln.Addr().String(), hc: newHTTPClient(clients)}
	defer t.hc.CloseIdleConnections()
	body := []byte(`{"args": [1]}`)
	el, err := parallel(clients, ops, func(_, n int) error {
		for range n {
			if _, err := t.post("/v1/actors/x/call/incr", body); err != nil {
				return err
			}
		}
		return nil
	})
	return sample{elapsed: el}, err
}
