package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	base := func(t *testing.T) testCfg {
		c := testConfig(t)
		c.TokensFile = ""
		return c
	}
	badTokens := func(t *testing.T, body string) string {
		p := filepath.Join(t.TempDir(), "tokens.json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, want string
		mod        func(t *testing.T, c *testCfg)
	}{
		{"public address without tokens", "without authentication", func(t *testing.T, c *testCfg) { c.Addr = "0.0.0.0:7070" }},
		{"all interfaces without tokens", "without authentication", func(t *testing.T, c *testCfg) { c.Addr = ":7070" }},
		{"bad address", "address", func(t *testing.T, c *testCfg) { c.Addr = "nowhere" }},
		{"missing tokens file", "tokens file", func(t *testing.T, c *testCfg) { c.TokensFile = "/nonexistent/tokens.json" }},
		{"bad hash", "64 hex digits", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"name": "x", "namespace": "a", "sha256": "abc"}]}`)
		}},
		{"no namespace", "namespace", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"name": "x", "sha256": "`+sum("t")+`"}]}`)
		}},
		{"namespace outside the name grammar", "invalid namespace", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"name": "x", "namespace": "a/b", "sha256": "`+sum("t")+`"}]}`)
		}},
		{"namespace with NUL", "invalid namespace", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"name": "x", "namespace": "a\u0000", "sha256": "`+sum("t")+`"}]}`)
		}},
		{"token name with a newline", "invalid token name", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"name": "x\ny", "namespace": "a", "sha256": "`+sum("t")+`"}]}`)
		}},
		{"negative body timeout", "BodyTimeout", func(t *testing.T, c *testCfg) { c.BodyTimeout = -1 }},
		{"huge body timeout", "BodyTimeout", func(t *testing.T, c *testCfg) { c.BodyTimeout = 1 << 62 }},
		{"huge body limit", "MaxBodyBytes", func(t *testing.T, c *testCfg) { c.MaxBodyBytes = 1 << 62 }},
		{"huge future TTL", "FutureTTL", func(t *testing.T, c *testCfg) { c.FutureTTL = 1 << 62 }},
		{"duplicate token", "twice", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"namespace": "a", "sha256": "`+sum("t")+`"}, {"namespace": "b", "sha256": "`+sum("t")+`"}]}`)
		}},
		{"unknown field", "unknown field", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"namespace": "a", "token": "plain", "sha256": "`+sum("t")+`"}]}`)
		}},
		{"quotas that disagree", "different quota", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"namespace": "a", "sha256": "`+sum("t")+`", "quota": {"actors": 1}},
				{"namespace": "a", "sha256": "`+sum("u")+`", "quota": {"actors": 2}}]}`)
		}},
		{"bad quota", "quota fields", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"namespace": "a", "sha256": "`+sum("t")+`", "quota": {"classes": -2}}]}`)
		}},
		{"unknown quota field", "unknown field", func(t *testing.T, c *testCfg) {
			c.TokensFile = badTokens(t, `{"tokens": [{"namespace": "a", "sha256": "`+sum("t")+`", "quota": {"cpus": 1}}]}`)
		}},
		{"half TLS", "both", func(t *testing.T, c *testCfg) { c.TLSCert = "cert.pem" }},
		{"negative TTL", "FutureTTL", func(t *testing.T, c *testCfg) { c.FutureTTL = -1 }},
		{"bad host config", "host", func(t *testing.T, c *testCfg) { c.Host.Workers = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base(t)
			tc.mod(t, &c)
			s, err := newServer(t, c)
			if err == nil {
				_ = s.Close(context.Background())
				t.Fatal("New accepted the configuration")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	// A public address is fine with tokens.
	c := testConfig(t)
	c.Addr = "0.0.0.0:0"
	s, err := newServer(t, c)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close(context.Background())
}

func TestListenAndServe(t *testing.T) {
	cfg := testConfig(t)
	cfg.Addr = "127.0.0.1:0"
	s, err := newServer(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr() != nil {
		t.Fatal("Addr before serving")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx) }()
	addr := waitAddr(t, s)
	res, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz %d", res.StatusCode)
	}
	cancel() // graceful shutdown of the listener; the host stays
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ListenAndServe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return")
	}
	if _, err := s.Host().LoadClass(context.Background(), counterWasm(t)); err != nil {
		t.Fatalf("host closed with the listener: %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCloseStopsServe(t *testing.T) {
	cfg := testConfig(t)
	s, err := newServer(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), ln) }()
	waitAddr(t, s)
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := s.Serve(context.Background(), ln); err == nil {
		t.Fatal("Serve after Close")
	}
}

func TestServeRefusesPublicListenerWithoutTokens(t *testing.T) {
	cfg := testConfig(t)
	cfg.TokensFile = ""
	s, err := newServer(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skip(err)
	}
	if err := s.Serve(context.Background(), ln); err == nil || !strings.Contains(err.Error(), "without authentication") {
		t.Fatalf("Serve: %v", err)
	}
}

func TestTLS(t *testing.T) {
	cfg := testConfig(t)
	cfg.Addr = "127.0.0.1:0"
	cfg.TLSCert, cfg.TLSKey = selfSigned(t)
	s, err := newServer(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	go func() { _ = s.ListenAndServe(context.Background()) }()
	addr := waitAddr(t, s)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://"+addr.String()+"/v1/classes", nil)
	req.Header.Set("Authorization", "Bearer "+tokenA)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil {
		t.Fatalf("status %d, TLS %v", res.StatusCode, res.TLS != nil)
	}
}

func waitAddr(t *testing.T, s *Server) net.Addr {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if a := s.Addr(); a != nil {
			return a
		}
	}
	t.Fatal("the server did not start")
	return nil
}

// selfSigned writes a self-signed certificate for 127.0.0.1.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "wactor test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
