// Package server serves a wactor host over HTTP: the API of docs/API.md
// (classes, actors, calls, futures, batches, logs), with bearer-token
// tenancy, Prometheus metrics and health probes. It serves any *host.Host a
// program built: New takes the host and Options (everything else the
// server needs), and the Server is an http.Handler, with ListenAndServe and
// Serve to run its own listeners and Close to stop them. `wactor serve`
// builds a host from its flags and serves it with this package.
//
// The server does not own the host: Close stops serving and leaves the
// host running; its creator closes it. Actors spawned through the API are
// owned by the host (not by a session): HTTP requests are stateless, so an
// actor lives until it is killed (DELETE /v1/actors/{id}), exits, or the
// host closes.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/wactor/wactor/host"
	"github.com/wactor/wactor/internal/goroutines"
)

// Options configure a Server: everything it needs besides its host. The
// zero value serves on 127.0.0.1:7070 without authentication, with the
// defaults below; New validates them once.
type Options struct {
	// Addr is the address ListenAndServe listens on (default "127.0.0.1:7070").
	Addr string
	// TokensFile is the JSON file of bearer tokens (docs/API.md,
	// "Authentication and tenancy"). Empty means no authentication: every
	// request is in namespace "default", and New refuses an Addr that is not
	// a loopback address (Serve refuses such a listener). The quotas the
	// file sets are set on the host (Host.SetQuota) by New.
	TokensFile string
	// TLSCert and TLSKey are PEM files; set both to serve HTTPS.
	TLSCert, TLSKey string
	// MaxBodyBytes bounds a module upload (default 64 MiB, at most 1 GiB).
	// Other request bodies are bounded by twice the host's MaxArgBytes.
	MaxBodyBytes int64
	// BodyTimeout bounds how long a request body may take to arrive, from
	// the end of the request's headers (default 60s, at most 1h; headers themselves
	// must arrive within 10s). A body still arriving then is answered 408
	// request_timeout and its connection closed. Once the body is read the
	// deadline is lifted, so long calls, long polls and log streams are
	// not cut by it.
	BodyTimeout time.Duration
	// FutureTTL is how long the result of a future created through the API
	// (submit, batch without wait) is kept after it resolves (default 10m,
	// at most 30 days).
	FutureTTL time.Duration
	// Metrics are the series GET /metrics serves. Make them with
	// NewMetrics before the host and set Metrics.Observer as the host's
	// Config.Observer, so that they count its calls, traps and restarts;
	// nil: the server makes its own, which count requests and the host's
	// actors but no calls.
	Metrics *Metrics
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
}

const (
	defaultAddr         = "127.0.0.1:7070"
	defaultMaxBodyBytes = 64 << 20
	defaultFutureTTL    = 10 * time.Minute
	defaultBodyTimeout  = 60 * time.Second
	// Upper bounds of the numeric fields.
	maxMaxBodyBytes = 1 << 30
	maxFutureTTL    = 30 * 24 * time.Hour
	maxBodyTimeout  = time.Hour
	// shutdownGrace bounds the graceful shutdown Serve starts when its ctx
	// is cancelled; Close uses its own ctx instead.
	shutdownGrace = 30 * time.Second
	// keepaliveInterval is how often an idle log stream gets a comment line
	// (and checks whether its actor died).
	keepaliveInterval = 15 * time.Second
)

// Server serves one host over HTTP. Create it with New, serve with Serve or
// ListenAndServe (or mount Handler), and release it with Close. Its methods
// are safe for concurrent use.
type Server struct {
	cfg       Options
	log       *slog.Logger
	host      *host.Host
	tokens    map[[32]byte]token // nil: no authentication
	tlsConfig *tls.Config
	mux       *http.ServeMux
	routes    []route
	metrics   *Metrics
	futures   *futureRegistry
	maxJSON   int64
	keepalive time.Duration

	// drainCtx is cancelled when shutdown begins: log streams end and long
	// polls return at once.
	drainCtx context.Context
	drain    context.CancelFunc
	group    goroutines.Group
	stop     chan struct{} // closed by Close: stops the futures sweeper

	mu        sync.Mutex
	closed    bool
	listeners []*listener
	addr      net.Addr
	closeDone chan struct{}
	closeErr  error
}

// listener is one Serve call's http.Server.
type listener struct {
	srv  *http.Server
	once sync.Once
	done chan struct{} // closed when its shutdown has finished
	err  error
}

// New validates opts and returns a server of h that is not serving yet
// (serve it with ListenAndServe or Serve, or mount it as an http.Handler).
// It sets the tokens file's quotas on h.
func New(h *host.Host, opts Options) (*Server, error) {
	cfg := opts
	if h == nil {
		return nil, errors.New("server: no host")
	}
	if cfg.Addr == "" {
		cfg.Addr = defaultAddr
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = defaultMaxBodyBytes
	}
	if cfg.FutureTTL == 0 {
		cfg.FutureTTL = defaultFutureTTL
	}
	if cfg.BodyTimeout == 0 {
		cfg.BodyTimeout = defaultBodyTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	switch {
	case cfg.MaxBodyBytes < 0:
		return nil, fmt.Errorf("server: negative MaxBodyBytes %d", cfg.MaxBodyBytes)
	case cfg.FutureTTL < 0:
		return nil, fmt.Errorf("server: negative FutureTTL %v", cfg.FutureTTL)
	case cfg.BodyTimeout < 0:
		return nil, fmt.Errorf("server: negative BodyTimeout %v", cfg.BodyTimeout)
	case cfg.MaxBodyBytes > maxMaxBodyBytes:
		return nil, fmt.Errorf("server: MaxBodyBytes %d exceeds the maximum of %d (1 GiB)", cfg.MaxBodyBytes, int64(maxMaxBodyBytes))
	case cfg.FutureTTL > maxFutureTTL:
		return nil, fmt.Errorf("server: FutureTTL %v exceeds the maximum of %v", cfg.FutureTTL, maxFutureTTL)
	case cfg.BodyTimeout > maxBodyTimeout:
		return nil, fmt.Errorf("server: BodyTimeout %v exceeds the maximum of %v", cfg.BodyTimeout, maxBodyTimeout)
	case (cfg.TLSCert == "") != (cfg.TLSKey == ""):
		return nil, errors.New("server: TLS needs both a certificate and a key file")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, keepalive: keepaliveInterval, stop: make(chan struct{})}
	var quotas map[string]host.Quota // per namespace, from the tokens file
	if cfg.TokensFile == "" {
		if err := checkLoopback(cfg.Addr); err != nil {
			return nil, err
		}
	} else {
		tokens, q, err := loadTokens(cfg.TokensFile)
		if err != nil {
			return nil, err
		}
		s.tokens, quotas = tokens, q
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("server: loading the TLS key pair: %w", err)
		}
		s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	// The tokens file's quotas win over the host's Config.Quotas.
	for _, ns := range slices.Sorted(maps.Keys(quotas)) {
		if err := h.SetQuota(ns, quotas[ns]); err != nil {
			return nil, fmt.Errorf("server: tokens file %s: quota of namespace %q: %w", cfg.TokensFile, ns, err)
		}
	}
	s.metrics = cfg.Metrics
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	s.host = h
	s.metrics.watch(h)
	s.maxJSON = 2 * int64(h.Config().MaxArgBytes)
	s.futures = newFutureRegistry(cfg.FutureTTL)
	s.drainCtx, s.drain = context.WithCancel(context.Background())
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		s.mux.Handle(rt.pattern(), s.wrap(rt))
	}
	s.group.Go(s.sweepFutures)
	return s, nil
}

// checkLoopback refuses an address that is not a loopback address.
func checkLoopback(addr string) error {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("server: address %q: %w", addr, err)
	}
	if h == "localhost" {
		return nil
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("server: refusing to listen on %q without authentication: use a loopback address or a tokens file", addr)
}

// ServeHTTP serves one request: every route of docs/API.md, with request
// IDs, logging and request metrics. A Server is an http.Handler, to mount
// on a mux or an httptest.Server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serveHTTP(w, r) }

// Host returns the host the server serves.
func (s *Server) Host() *host.Host { return s.host }

// Addr returns the address of the latest Serve or ListenAndServe, or nil
// before one started.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ListenAndServe listens on cfg.Addr and serves (with TLS if configured)
// until ctx is cancelled or Close is called.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln (with TLS if configured) until ctx is cancelled or
// Close is called, then shuts down gracefully: it stops accepting, ends log
// streams and long polls, and waits for the requests in flight (after ctx is
// cancelled, for at most 30 s) before it returns nil. Cancelling ctx puts
// the whole server in shutdown (readyz answers 503) but does not close the
// host: call Close. Without a tokens file, a listener on a non-loopback
// address is refused.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.tokens == nil {
		if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
			_ = ln.Close()
			return fmt.Errorf("server: refusing to serve on %s without authentication: use a loopback address or a tokens file", a)
		}
	}
	l := &listener{done: make(chan struct{}), srv: &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		TLSConfig:         s.tlsConfig,
	}}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return errors.New("server: closed")
	}
	s.listeners = append(s.listeners, l)
	s.addr = ln.Addr()
	s.mu.Unlock()

	served := make(chan struct{})
	s.group.Go(func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			_ = s.shutdown(sctx, l)
		case <-served:
		}
	})
	s.log.LogAttrs(ctx, slog.LevelInfo, "serving", slog.String("addr", ln.Addr().String()), slog.Bool("tls", s.tlsConfig != nil), slog.Bool("auth", s.tokens != nil))
	var err error
	if s.tlsConfig != nil {
		err = l.srv.ServeTLS(ln, "", "")
	} else {
		err = l.srv.Serve(ln)
	}
	close(served)
	if errors.Is(err, http.ErrServerClosed) {
		<-l.done // the shutdown in progress
		return l.err
	}
	return fmt.Errorf("server: %w", err)
}

// shutdown drains the server and shuts l down gracefully, or closes it when
// ctx ends first. It runs once per listener; later calls wait for the first.
func (s *Server) shutdown(ctx context.Context, l *listener) error {
	l.once.Do(func() {
		s.drain()
		if err := l.srv.Shutdown(ctx); err != nil {
			_ = l.srv.Close()
			l.err = fmt.Errorf("server: shutdown: %w", err)
		}
		close(l.done)
	})
	select {
	case <-l.done:
		return l.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops serving (gracefully, within ctx), ends log streams and long
// polls, stops the futures sweeper and waits for the server's goroutines.
// It does not close the host (nor kill its actors): the host's creator
// does. Later calls return the first call's result.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		done := s.closeDone
		s.mu.Unlock()
		<-done
		return s.closeErr
	}
	s.closed = true
	s.closeDone = make(chan struct{})
	ls := s.listeners
	s.mu.Unlock()

	s.drain()
	var errs []error
	for _, l := range ls {
		if err := s.shutdown(ctx, l); err != nil {
			_ = l.srv.Close()
			errs = append(errs, err)
		}
	}
	close(s.stop)
	if err := s.group.Wait(ctx); err != nil {
		errs = append(errs, fmt.Errorf("server: waiting for goroutines: %w", err))
	}
	s.futures.clear()
	s.closeErr = errors.Join(errs...)
	close(s.closeDone)
	s.log.LogAttrs(ctx, slog.LevelInfo, "server closed")
	return s.closeErr
}

// closing reports whether shutdown has begun.
func (s *Server) closing() bool { return s.drainCtx.Err() != nil }

// sweepFutures expires futures on a ticker until Close.
func (s *Server) sweepFutures() {
	t := time.NewTicker(sweepInterval(s.cfg.FutureTTL))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			s.futures.sweep(now)
		}
	}
}
