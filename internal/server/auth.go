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

	"github.com/wactor/wactor/host"
)

// token is one entry of the tokens file. The secret itself is never stored:
// only its SHA-256.
type token struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	SHA256    string `json:"sha256"`
}

// tokensFile is the format of Config.TokensFile.
type tokensFile struct {
	Tokens []token `json:"tokens"`
}

// loadTokens reads and checks a tokens file.
func loadTokens(path string) (map[[32]byte]token, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: tokens file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f tokensFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("server: tokens file %s: %w", path, err)
	}
	out := make(map[[32]byte]token, len(f.Tokens))
	for i, t := range f.Tokens {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("server: tokens file %s: token %d (%q): %s", path, i, t.Name, fmt.Sprintf(format, args...))
		}
		if err := host.CheckName("namespace", t.Namespace); err != nil {
			return nil, bad("%v", err)
		}
		if t.Name != "" {
			if err := host.CheckName("token name", t.Name); err != nil {
				return nil, bad("%v", err)
			}
		}
		raw, err := hex.DecodeString(strings.ToLower(t.SHA256))
		if err != nil || len(raw) != sha256.Size {
			return nil, bad("sha256 must be 64 hex digits (the SHA-256 of the token)")
		}
		key := [32]byte(raw)
		if _, dup := out[key]; dup {
			return nil, bad("the same token is listed twice")
		}
		out[key] = t
	}
	return out, nil
}

// authenticate returns the token of a request: its Authorization bearer
// token, or namespace "default" when the server has no tokens file.
func (s *Server) authenticate(r *http.Request) (token, error) {
	if s.tokens == nil {
		return token{Namespace: host.DefaultNamespace}, nil
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
