package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host"
)

// token is one entry of the tokens file. The secret itself is never stored:
// only its SHA-256.
type token struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	SHA256    string `json:"sha256"`
	// Operator tokens may also read what is host-wide (every namespace's):
	// GET /v1/node and /metrics.
	Operator bool `json:"operator,omitempty"`
	// Quota, if set, is the namespace's quota (host.Quota: zero fields
	// take the host's defaults, -1 lifts a bound). Tokens of one namespace
	// that set it must agree.
	Quota *host.Quota `json:"quota,omitempty"`
}

// tokensFile is the format of Options.TokensFile.
type tokensFile struct {
	Tokens []token `json:"tokens"`
}

// loadTokens reads and checks a tokens file. It returns the tokens by the
// hash of their secret, and the quotas the file sets by namespace.
func loadTokens(path string) (map[[32]byte]token, map[string]host.Quota, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("server: tokens file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f tokensFile
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("server: tokens file %s: %w", path, err)
	}
	out := make(map[[32]byte]token, len(f.Tokens))
	quotas := map[string]host.Quota{}
	for i, t := range f.Tokens {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("server: tokens file %s: token %d (%q): %s", path, i, t.Name, fmt.Sprintf(format, args...))
		}
		if err := api.CheckName("namespace", t.Namespace); err != nil {
			return nil, nil, bad("%v", err)
		}
		if t.Name != "" {
			if err := api.CheckName("token name", t.Name); err != nil {
				return nil, nil, bad("%v", err)
			}
		}
		raw, err := hex.DecodeString(strings.ToLower(t.SHA256))
		if err != nil || len(raw) != sha256.Size {
			return nil, nil, bad("sha256 must be 64 hex digits (the SHA-256 of the token)")
		}
		key := [32]byte(raw)
		if _, dup := out[key]; dup {
			return nil, nil, bad("the same token is listed twice")
		}
		if t.Quota != nil {
			if q, set := quotas[t.Namespace]; set && q != *t.Quota {
				return nil, nil, bad("another token of namespace %q sets a different quota", t.Namespace)
			}
			quotas[t.Namespace] = *t.Quota
		}
		out[key] = t
	}
	return out, quotas, nil
}

// authenticate returns the token of a request: its Authorization bearer
// token, or namespace "default" when the server has no tokens file.
func (s *Server) authenticate(r *http.Request) (token, error) {
	if s.tokens == nil {
		// Loopback only, one namespace: the caller is the operator.
		return token{Namespace: host.DefaultNamespace, Operator: true}, nil
	}
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return token{}, newError(codeUnauthorized, "missing bearer token (Authorization: Bearer <token>)")
	}
	t, ok := s.tokens[sha256.Sum256([]byte(strings.TrimSpace(secret)))]
	if !ok {
		return token{}, newError(codeUnauthorized, "unknown token")
	}
	return t, nil
}
