package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/server"
)

// Defaults of wactor serve.
const (
	defaultAddr    = "127.0.0.1:7070"
	defaultDataDir = "./wactor-data"
	// shutdownTimeout bounds the graceful shutdown after SIGINT/SIGTERM.
	shutdownTimeout = 15 * time.Second
)

// fileConfig is the JSON configuration file of wactor serve (--config): the
// fields of server.Options, the data directory and the host's Config, with durations as Go duration strings ("10m") or
// nanoseconds. Unknown fields are an error.
type fileConfig struct {
	Addr         string      `json:"addr"`
	DataDir      string      `json:"data_dir"`
	TokensFile   string      `json:"tokens_file"`
	TLSCert      string      `json:"tls_cert"`
	TLSKey       string      `json:"tls_key"`
	MaxBodyBytes int64       `json:"max_body_bytes"`
	FutureTTL    duration    `json:"future_ttl"`
	BodyTimeout  duration    `json:"body_timeout"`
	Host         host.Config `json:"host"`
	LogLevel     string      `json:"log_level"`
	Preload      []string    `json:"preload"`
}

// duration reads "10m" or a number of nanoseconds.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be a string like \"10m\" or nanoseconds: %s", b)
	}
	*d = duration(n)
	return nil
}

// serveFlags are the command line of wactor serve.
type serveFlags struct {
	addr, data, tokens, tlsCert, tlsKey, config, logLevel string
	durability                                            string
	engine                                                string
	passivateAfter                                        time.Duration
	bodyTimeout                                           time.Duration
	memoryBudgetMiB                                       int64
	loadTimeout                                           time.Duration
	classBudgetMiB                                        int64
	preload                                               []string
}

func newServeCmd(a *app) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a wactor server (HTTP API)",
		Long: `Run a wactor server: the HTTP API of docs/API.md over a host.

Configuration is read from --config (a JSON file with the keys addr, data_dir,
tokens_file, tls_cert, tls_key, max_body_bytes, future_ttl, body_timeout, host,
log_level and preload), then the environment (WACTOR_ADDR, WACTOR_DATA, WACTOR_TOKENS), then
the flags; later sources win.

The first line of output is "wactor listening on ADDR" (the actual address, so
--addr 127.0.0.1:0 picks a free port). --preload loads .wasm files (for a
directory, every *.wasm under it) for every namespace (each tenant may spawn
them, none may delete them) and prints each class ID and file. SIGINT or SIGTERM shuts the server down gracefully.

Without --tokens every request is in namespace "default", and the server
refuses to listen on a non-loopback address.`,
		Args: nargs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.serve(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", defaultAddr, "listen address (env WACTOR_ADDR)")
	fl.StringVar(&f.data, "data", defaultDataDir, "data directory (env WACTOR_DATA)")
	fl.StringVar(&f.tokens, "tokens", "", "tokens file (env WACTOR_TOKENS); without it every request is in namespace default")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (with --tls-key)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "TLS key file (with --tls-cert)")
	fl.StringVar(&f.config, "config", "", "JSON configuration file")
	fl.StringArrayVar(&f.preload, "preload", nil, "load .wasm files (a file, or a directory searched recursively) for every namespace; repeatable")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.DurationVar(&f.bodyTimeout, "body-timeout", 0, "how long a request body may take to arrive before the request is answered 408 and its connection closed (default 60s)")
	fl.DurationVar(&f.passivateAfter, "passivate-after", 0, "passivate actors idle this long (0: never; docs/SCHEDULING.md)")
	fl.Int64Var(&f.memoryBudgetMiB, "memory-budget-mib", 0, "passivate the least recently used idle actors when live sandboxes exceed this memory (0: no bound)")
	fl.DurationVar(&f.loadTimeout, "load-timeout", 0, "bound on each piece of a class's load-time code: start function, _initialize, wactor_abi_version, wactor_manifest (0: 5s; docs/ABI.md)")
	fl.Int64Var(&f.classBudgetMiB, "class-memory-budget-mib", 0, "memory kept for loaded classes and their templates (0: 2048; docs/SNAPSHOTS.md)")
	fl.StringVar(&f.engine, "engine", "", "WebAssembly engine: wazero (default) or wasmtime (only in builds with -tags wasmtime; docs/RATIONALE.md)")
	fl.StringVar(&f.durability, "durability", "", "when a durable actor's call is safe: sync (fsync before the result), write (default: survives a crash of the process) or checkpoint (docs/SNAPSHOTS.md)")
	return cmd
}

// serveSetup is what wactor serve runs: a host (Config, data directory) and
// a server of it (Options).
type serveSetup struct {
	opts    server.Options
	dataDir string
	host    host.Config
}

// serveConfig merges the configuration file, the environment and the flags
// (in that order of precedence, lowest first).
func (a *app) serveConfig(cmd *cobra.Command, f serveFlags) (serveSetup, string, []string, error) {
	fc := fileConfig{Addr: defaultAddr, DataDir: defaultDataDir, LogLevel: "info"}
	if f.config != "" {
		b, err := os.ReadFile(f.config)
		if err != nil {
			return serveSetup{}, "", nil, &codedError{"config", err}
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fc); err != nil {
			return serveSetup{}, "", nil, &codedError{"config", fmt.Errorf("%s: %w", f.config, err)}
		}
	}
	for _, e := range []struct {
		name string
		dst  *string
	}{{"WACTOR_ADDR", &fc.Addr}, {"WACTOR_DATA", &fc.DataDir}, {"WACTOR_TOKENS", &fc.TokensFile}} {
		if v := a.getenv(e.name); v != "" {
			*e.dst = v
		}
	}
	changed := cmd.Flags().Changed
	set := func(name string, dst *string, v string) {
		if changed(name) {
			*dst = v
		}
	}
	set("addr", &fc.Addr, f.addr)
	set("data", &fc.DataDir, f.data)
	set("tokens", &fc.TokensFile, f.tokens)
	set("tls-cert", &fc.TLSCert, f.tlsCert)
	set("tls-key", &fc.TLSKey, f.tlsKey)
	set("log-level", &fc.LogLevel, f.logLevel)
	if changed("engine") {
		fc.Host.Engine = f.engine
	}
	if changed("durability") {
		fc.Host.Durability = host.Durability(f.durability)
	}
	if changed("body-timeout") {
		fc.BodyTimeout = duration(f.bodyTimeout)
	}
	if changed("passivate-after") {
		fc.Host.PassivateAfter = f.passivateAfter
	}
	// MiB flags are bounded before the shift to bytes, which would
	// otherwise wrap (to 0: the default) or turn negative.
	mib := func(flag string, v int64, dst *int64) error {
		if v < 0 || v > 1<<30 {
			return usagef("--%s %d out of range [0, %d]", flag, v, 1<<30)
		}
		*dst = v << 20
		return nil
	}
	if changed("memory-budget-mib") {
		if err := mib("memory-budget-mib", f.memoryBudgetMiB, &fc.Host.MemoryBudget); err != nil {
			return serveSetup{}, "", nil, err
		}
	}
	if changed("load-timeout") {
		fc.Host.LoadTimeout = f.loadTimeout
	}
	if changed("class-memory-budget-mib") {
		if err := mib("class-memory-budget-mib", f.classBudgetMiB, &fc.Host.ClassMemoryBudget); err != nil {
			return serveSetup{}, "", nil, err
		}
	}
	preload := fc.Preload
	if changed("preload") {
		preload = f.preload
	}
	if (fc.TLSCert == "") != (fc.TLSKey == "") {
		return serveSetup{}, "", nil, usagef("--tls-cert and --tls-key go together")
	}
	cfg := serveSetup{
		opts: server.Options{
			Addr:         fc.Addr,
			TokensFile:   fc.TokensFile,
			TLSCert:      fc.TLSCert,
			TLSKey:       fc.TLSKey,
			MaxBodyBytes: fc.MaxBodyBytes,
			FutureTTL:    time.Duration(fc.FutureTTL),
			BodyTimeout:  time.Duration(fc.BodyTimeout),
		},
		dataDir: fc.DataDir,
		host:    fc.Host,
	}
	return cfg, fc.LogLevel, preload, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, usagef("--log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}

func (a *app) serve(cmd *cobra.Command, f serveFlags) error {
	cfg, level, preload, err := a.serveConfig(cmd, f)
	if err != nil {
		return err
	}
	lvl, err := parseLevel(level)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lvl}))
	cfg.opts.Logger = logger
	files, err := wasmFiles(preload)
	if err != nil {
		return err
	}

	ctx := cmd.Context() // cancelled by SIGINT/SIGTERM (see main)
	// Listen first: a taken port fails at once, before the host recovers
	// its actors or compiles anything.
	ln, err := net.Listen("tcp", cfg.opts.Addr)
	if err != nil {
		return &codedError{"serve", listenError(cfg.opts.Addr, err)}
	}
	h, metrics, err := newServeHost(ctx, cfg, logger)
	if err != nil {
		_ = ln.Close()
		return &codedError{"serve", err}
	}
	cfg.opts.Metrics = metrics
	srv, err := server.New(h, cfg.opts)
	if err != nil {
		_ = ln.Close()
		_ = h.Close(context.WithoutCancel(ctx))
		return &codedError{"serve", err}
	}
	// The server stops serving first, then the host closes (which kills
	// every actor).
	closeSrv := func() error {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		err := srv.Close(cctx)
		if herr := h.Close(cctx); herr != nil {
			err = errors.Join(err, fmt.Errorf("closing the host: %w", herr))
		}
		return err
	}
	fmt.Fprintf(a.stdout, "wactor listening on %s\n", ln.Addr())
	for _, file := range files {
		wasm, err := os.ReadFile(file)
		if err == nil {
			// For every namespace: each tenant may spawn it, none may delete it.
			var info host.ClassInfo
			if info, err = h.LoadClass(ctx, wasm); err == nil {
				fmt.Fprintf(a.stdout, "loaded %s %s\n", info.ID, file)
				continue
			}
		}
		_ = ln.Close()
		_ = closeSrv()
		return &codedError{"preload", fmt.Errorf("%s: %w", file, err)}
	}

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var serveErr error
	select {
	case serveErr = <-done:
	case <-ctx.Done():
		logger.Info("shutting down")
		serveErr = <-done
	}
	closeErr := closeSrv()
	if serveErr != nil && !errors.Is(serveErr, context.Canceled) {
		return &codedError{"serve", serveErr}
	}
	if closeErr != nil {
		return &codedError{"serve", closeErr}
	}
	return nil
}

// newServeHost creates the data directory and the host that wactor serve
// serves: its classes and durable actors in DATA/state, its compilation
// cache in DATA/cache (unless the host's configuration names others), its
// events feeding the server's metrics.
func newServeHost(ctx context.Context, cfg serveSetup, logger *slog.Logger) (*host.Host, *server.Metrics, error) {
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating the data directory: %w", err)
	}
	hcfg := cfg.host
	if hcfg.DataDir == "" {
		// Classes and durable actors (detached, or spawned durable) outlive
		// the server.
		hcfg.DataDir = filepath.Join(cfg.dataDir, "state")
	}
	if hcfg.CacheDir == "" {
		hcfg.CacheDir = filepath.Join(cfg.dataDir, "cache")
	}
	if hcfg.Logger == nil {
		hcfg.Logger = logger
	}
	metrics := server.NewMetrics()
	hcfg.Observer = metrics.Observer(hcfg.Observer)
	h, err := host.New(ctx, hcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the host: %w", err)
	}
	return h, metrics, nil
}

// wasmFiles expands --preload arguments: files as given, directories into
// every *.wasm file under them (recursively, sorted).
func wasmFiles(args []string) ([]string, error) {
	var out []string
	for _, p := range args {
		st, err := os.Stat(p)
		if err != nil {
			return nil, &codedError{"preload", err}
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".wasm") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, &codedError{"preload", err}
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// listenError explains a failed listen; a taken address says what to do.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("address %s is already in use (another wactor serve?): stop it, or pick another address with --addr (make run ADDR=127.0.0.1:7071)", addr)
	}
	return fmt.Errorf("listening on %s: %w", addr, err)
}
