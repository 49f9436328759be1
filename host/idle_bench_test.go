package host

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// rssBytes returns the process's resident set size (Linux), or 0.
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkIdleActors spawns N idle actors (each after one call) on the
// test engine and reports the resident memory they add: idle actors per
// GiB of RSS. One iteration; run with -benchtime 1x.
func BenchmarkIdleActors(b *testing.B) {
	for _, g := range []struct {
		name, path string
		init       []any
		n          int
	}{
		{"c", cCounterPath, []any{0}, 2000},
		{"go", goCounterPath, nil, 200},
	} {
		b.Run(g.name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				h, err := New(ctx, Config{})
				if err != nil {
					b.Fatal(err)
				}
				c, err := h.LoadClass(ctx, readWasm(b, g.path))
				if err != nil {
					b.Fatal(err)
				}
				// One actor first, so the class's shared state is counted
				// before the baseline.
				if _, err := h.Spawn(ctx, c.ID, Options{}, g.init...); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				before := rssBytes()
				for range g.n {
					a, err := h.Spawn(ctx, c.ID, Options{}, g.init...)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := a.Invoke(ctx, "incr", 1); err != nil {
						b.Fatal(err)
					}
				}
				runtime.GC()
				delta := rssBytes() - before
				if delta > 0 {
					b.ReportMetric(float64(delta)/float64(g.n)/1024, "KiB/actor")
					b.ReportMetric(float64(1<<30)/(float64(delta)/float64(g.n)), "actors/GiB")
				}
				_ = h.Close(ctx)
			}
		})
	}
}
