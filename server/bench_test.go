package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// BenchmarkHTTP measures the API over a real loopback listener with
// keep-alive, on the C counter: synchronous calls from a pool of goroutines
// (one actor per goroutine, so actors do not serialize them), and batches of
// 1,000 calls with wait.
//
//	go test -run '^$' -bench HTTP -benchtime 2s ./server/
func BenchmarkHTTP(b *testing.B) {
	cfg := testConfig(b)
	cfg.Host.Workers = 0 // GOMAXPROCS
	s, err := newServer(b, cfg)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-served
		_ = s.Close(context.Background())
	}()
	const parallelism = 4
	conns := parallelism * runtime.GOMAXPROCS(0)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}}
	defer hc.CloseIdleConnections()
	base := "http://" + ln.Addr().String()
	post := func(path string, body []byte) ([]byte, error) {
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokenA)
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
			err = fmt.Errorf("%s: %d %s", path, res.StatusCode, out)
		}
		return out, err
	}

	out, err := post("/v1/classes", counterWasm(b))
	if err != nil {
		b.Fatal(err)
	}
	var class host.ClassInfo
	_ = json.Unmarshal(out, &class)
	actors := make([]string, conns)
	for i := range actors {
		out, err := post("/v1/actors", fmt.Appendf(nil, `{"class": %q, "args": [0]}`, class.ID))
		if err != nil {
			b.Fatal(err)
		}
		var a api.WireActor
		_ = json.Unmarshal(out, &a)
		actors[i] = a.ID
	}

	b.Run("sync", func(b *testing.B) {
		var next atomic.Int64
		b.SetParallelism(parallelism)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			path := "/v1/actors/" + actors[int(next.Add(1)-1)%len(actors)] + "/call/incr"
			body := []byte(`{"args": [1]}`)
			for pb.Next() {
				if _, err := post(path, body); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})

	b.Run("batch1000", func(b *testing.B) {
		const n = 1000
		body := batchBody(n, actors)
		b.ResetTimer()
		for b.Loop() {
			out, err := post("/v1/batch", body)
			if err != nil {
				b.Fatal(err)
			}
			if bytes.Contains(out, []byte(`"error"`)) {
				b.Fatalf("batch failed: %.200s", out)
			}
		}
		b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "calls/s")
	})

	// Batches from GOMAXPROCS clients at once: the server decodes one batch
	// while the actors run another's calls.
	b.Run("batch1000-parallel", func(b *testing.B) {
		const n = 1000
		body := batchBody(n, actors)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				out, err := post("/v1/batch", body)
				if err != nil {
					b.Error(err)
					return
				}
				if bytes.Contains(out, []byte(`"error"`)) {
					b.Errorf("batch failed: %.200s", out)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "calls/s")
	})
}

// batchBody is a /v1/batch request of n incr calls spread over actors.
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
