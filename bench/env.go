package bench

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/wactor/wactor/examples"
	"github.com/wactor/wactor/host"
)

// extismCounterWasm is the Extism plugin doing the C guest's incr
// (testdata/extism-counter/counter.c; `make bench-extism-plugin` rebuilds it).
//
//go:embed testdata/extism-counter/counter.wasm
var extismCounterWasm []byte

// env holds what rows share: module bytes and wazero's compilation cache for
// the raw-wazero baselines.
type env struct {
	cWasm, goWasm, pingpongWasm []byte
	cache                       wazero.CompilationCache
}

func newEnv() (*env, error) {
	e := &env{cache: wazero.NewCompilationCache()}
	for name, dst := range map[string]*[]byte{"c-counter": &e.cWasm, "counter": &e.goWasm, "pingpong": &e.pingpongWasm} {
		b, err := examples.Wasm(name)
		if err != nil {
			return nil, fmt.Errorf("bench: example %s: %w", name, err)
		}
		*dst = b
	}
	return e, nil
}

func (e *env) close(ctx context.Context) { _ = e.cache.Close(ctx) }

// guest is one of the two counter guests every call row runs on.
type guest struct {
	name string // "C guest" or "Go guest"
	wasm func(e *env) []byte
	init []any // constructor arguments
}

var (
	cGuest  = guest{name: "C guest", wasm: func(e *env) []byte { return e.cWasm }, init: []any{0}}
	goGuest = guest{name: "Go guest", wasm: func(e *env) []byte { return e.goWasm }}
)

// newHost creates a quiet host and loads wasm; the caller closes the host.
func newHost(ctx context.Context, cfg host.Config, wasm []byte) (*host.Host, string, error) {
	cfg.Logger = discardLogger
	h, err := host.New(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("creating the host: %w", err)
	}
	c, err := h.LoadClass(ctx, wasm)
	if err != nil {
		_ = h.Close(ctx)
		return nil, "", fmt.Errorf("loading the class: %w", err)
	}
	return h, c.ID, nil
}

// Machine describes where the run happened.
type Machine struct {
	CPU        string            `json:"cpu"`
	Cores      int               `json:"cores"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	MemoryGiB  float64           `json:"memory_gib"`
	OS         string            `json:"os"`
	Go         string            `json:"go"`
	Modules    map[string]string `json:"modules"`
	// LoadAvg is /proc/loadavg's 1-minute load average at the start and at
	// the end of the run: other work on the machine skews the figures.
	LoadAvg [2]float64 `json:"load_avg"`
}

func machine() Machine {
	m := Machine{
		CPU: cpuModel(), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		MemoryGiB: memTotalGiB(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(),
		Modules: map[string]string{}, LoadAvg: [2]float64{loadAvg(), 0},
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/tetratelabs/wazero", "github.com/extism/go-sdk", "github.com/asynkron/protoactor-go":
				m.Modules[d.Path] = d.Version
			}
		}
	}
	return m
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotalGiB() float64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / (1 << 20)
		}
	}
	return 0
}

// rss returns the process's resident set size in bytes, from
// /proc/self/statm.
func rss() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, fmt.Errorf("reading /proc/self/statm: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("unexpected /proc/self/statm %q", b)
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing /proc/self/statm: %w", err)
	}
	return pages * int64(os.Getpagesize()), nil
}

// settledRSS collects garbage, returns freed memory to the OS and then
// reads the resident set size, so that two readings differ by live memory.
// Memory released in the background (closed sandboxes) can still be
// leaving: it reads again until two readings 20 ms apart differ by less
// than 256 KiB, for at most 5 seconds.
func settledRSS() (int64, error) {
	var last int64 = -1
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		debug.FreeOSMemory()
		n, err := rss()
		if err != nil {
			return 0, err
		}
		if d := n - last; last >= 0 && d < 256<<10 && d > -256<<10 || time.Now().After(deadline) {
			return n, nil
		}
		last = n
		time.Sleep(20 * time.Millisecond)
	}
}

// densitySample measures the resident memory that n idle things add: spawn
// creates them (after which they must stay alive until it returns), and
// release frees them afterwards. Memory freed late by earlier work can make
// the resident set shrink meanwhile; such a reading is taken again, up to
// three times.
func densitySample(n int, spawn func(n int) (release func(), err error)) (sample, error) {
	var err error
	for range 3 {
		var d float64
		if d, err = densityOnce(n, spawn); err == nil {
			return sample{bytes: d}, nil
		}
		if !errors.Is(err, errNoGrowth) {
			return sample{}, err
		}
	}
	return sample{}, err
}

var errNoGrowth = errors.New("resident memory did not grow: measurement too noisy")

func densityOnce(n int, spawn func(n int) (release func(), err error)) (float64, error) {
	before, err := settledRSS()
	if err != nil {
		return 0, err
	}
	release, err := spawn(n)
	if err != nil {
		if release != nil {
			release()
		}
		return 0, err
	}
	after, err := settledRSS()
	release()
	if err != nil {
		return 0, err
	}
	d := float64(after-before) / float64(n)
	if d <= 0 {
		return 0, fmt.Errorf("%w (%d -> %d bytes for %d instances)", errNoGrowth, before, after, n)
	}
	return d, nil
}

// loadAvg returns the 1-minute load average (0 if unknown).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
