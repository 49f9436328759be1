package server

import (
	"encoding/json"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// openAPI is the part of docs/openapi.json the tests look at.
type openAPI struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Enum []string `json:"enum"`
		} `json:"schemas"`
	} `json:"components"`
}

func readOpenAPI(t *testing.T) (openAPI, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "docs", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.json: %v", err)
	}
	return doc, raw
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// TestOpenAPIRoutes checks that every route of docs/openapi.json is served
// by the handler, and every served route is documented.
func TestOpenAPIRoutes(t *testing.T) {
	doc, _ := readOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
	e := newEnv(t, nil)

	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for key := range item {
			if !slices.Contains(httpMethods, key) {
				continue
			}
			method := strings.ToUpper(key)
			documented[method+" "+path] = true
			// A concrete request for the path must reach the route of the
			// same pattern.
			concrete := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x1")
			_, pattern := e.s.mux.Handler(httptest.NewRequest(method, concrete, nil))
			if strings.ReplaceAll(pattern, "...}", "}") != method+" "+path {
				t.Errorf("documented %s %s: served by %q", method, path, pattern)
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range e.s.routes {
		served[rt.method+" "+strings.ReplaceAll(rt.path, "...}", "}")] = true
	}
	for r := range served {
		if !documented[r] {
			t.Errorf("served but not documented: %s", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("documented but not served: %s", r)
		}
	}
}

// TestOpenAPIErrorCodes checks that the error codes of the OpenAPI document
// and of docs/API.md are the table's.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc, raw := readOpenAPI(t)
	codes := slices.Sorted(maps.Keys(codeStatus))
	got := slices.Sorted(slices.Values(doc.Components.Schemas["ErrorCode"].Enum))
	if !slices.Equal(got, codes) {
		t.Errorf("ErrorCode enum %v, want %v", got, codes)
	}
	md, err := os.ReadFile(filepath.Join("..", "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		if !strings.Contains(string(md), "`"+c+"`") {
			t.Errorf("docs/API.md does not list %s", c)
		}
	}
	// Every $ref points at a component that exists.
	var all map[string]any
	_ = json.Unmarshal(raw, &all)
	comps := all["components"].(map[string]any)
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/(\w+)/(\w+)"`).FindAllStringSubmatch(string(raw), -1) {
		group, _ := comps[m[1]].(map[string]any)
		if _, ok := group[m[2]]; !ok {
			t.Errorf("dangling $ref %s/%s", m[1], m[2])
		}
	}
}
