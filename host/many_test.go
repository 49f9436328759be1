package host

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/abi/codec"
)

// BenchmarkManyActors creates WACTOR_ACTORS actors of the small C guest
// (default 100,000; `make bench-million` asks for 1,000,000), calls each
// once, with passivation keeping the memory of live sandboxes under a
// budget (WACTOR_BUDGET_MIB, default 512), then calls a random sample of
// them again to measure reactivation. It reports actors/s (spawn plus one
// call), the process's resident memory at the end, and the latency of a
// call to a passivated actor. Run it alone: go test -run '^$' -bench
// ManyActors -benchtime 1x ./host/
func BenchmarkManyActors(b *testing.B) {
	n := envInt("WACTOR_ACTORS", 100_000)
	budget := int64(envInt("WACTOR_BUDGET_MIB", 512)) << 20
	ctx := context.Background()
	for b.Loop() {
		// A million actors in one namespace: past the default quota of live
		// actors per namespace, which this benchmark lifts.
		h, err := New(ctx, Config{MemoryBudget: budget, Quota: Quota{Actors: Unlimited}})
		if err != nil {
			b.Fatal(err)
		}
		c, err := h.LoadClass(ctx, readWasm(b, cCounterPath))
		if err != nil {
			b.Fatal(err)
		}
		actors := make([]*Actor, n)
		start := time.Now()
		for i := range n {
			a, err := h.Spawn(ctx, c.ID, Options{}, i)
			if err != nil {
				b.Fatalf("spawn %d: %v", i, err)
			}
			if _, err := a.Invoke(ctx, "incr", 1); err != nil {
				b.Fatalf("call %d: %v", i, err)
			}
			actors[i] = a
		}
		elapsed := time.Since(start)
		h.sweeper.Sweep(h.stop)
		runtime.GC()
		rss := residentBytes()
		var ms0 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		b.ReportMetric(float64(ms0.HeapInuse)/(1<<20), "heap-after-spawn-MiB")
		if p := os.Getenv("WACTOR_HEAPPROFILE"); p != "" {
			f, _ := os.Create(p)
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
		passive := 0
		for _, a := range actors {
			if a.Info().State == StatePassive {
				passive++
			}
		}
		// Reactivation: calls to a random sample of passivated actors.
		rng := rand.New(rand.NewPCG(1, 2))
		var lat []time.Duration
		for len(lat) < min(10_000, passive) {
			i := rng.IntN(n)
			a := actors[i]
			if a.Info().State != StatePassive {
				continue
			}
			t0 := time.Now()
			v, err := a.Invoke(ctx, "get")
			lat = append(lat, time.Since(t0))
			var got int64
			if err == nil {
				err = codec.Decode(v, &got)
			}
			if err != nil || got != int64(i+1) {
				b.Fatalf("actor %d after reactivation: %d, %v", i, got, err)
			}
		}
		slices.Sort(lat)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "actors/s")
		b.ReportMetric(float64(rss)/(1<<20), "RSS-MiB")
		_, liveBytes := h.sweeper.Live()
		b.ReportMetric(float64(liveBytes)/(1<<20), "live-MiB")
		b.ReportMetric(float64(passive), "passive")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		if passive > 0 {
			b.ReportMetric(float64(h.passiveBytes.Load())/float64(passive), "B/passive-state")
		}
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "react-p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "react-p99-µs")
		}
		b.Logf("%d actors in %v (%.0f/s); RSS %d MiB (%.1f KiB per actor); %d passivated; budget %d MiB",
			n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), rss>>20, float64(rss)/float64(n)/1024, passive, budget>>20)
		if err := h.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// residentBytes is the process's resident set size (VmRSS).
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
