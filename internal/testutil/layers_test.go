package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/wactor/wactor"

// deps returns what `go list -deps` prints for pkgs, built for env.
func deps(t *testing.T, env []string, pkgs ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %v: %v\n%s", pkgs, err, out)
	}
	return strings.Fields(string(out))
}

// TestLayers keeps the layering of docs/ARCHITECTURE.md ("Packages")
// true: the contract imports only the standard library, the client links
// no engine and no host, nothing below the host imports it, and the Go
// guest SDK shares the contract.
func TestLayers(t *testing.T) {
	for _, d := range deps(t, nil, "./abi") {
		if strings.Contains(d, ".") && d != module+"/abi" {
			t.Errorf("abi imports %s: it may import only the standard library", d)
		}
	}
	for _, d := range deps(t, nil, "./client") {
		if strings.Contains(d, "wazero") || strings.Contains(d, "bytecodealliance") || d == module+"/host" || strings.HasPrefix(d, module+"/host/") {
			t.Errorf("client links %s", d)
		}
	}
	below := []string{"./internal/...", "./host/sandbox", "./host/journal", "./host/tenancy", "./host/directory", "./scheduler", "./snapshots", "./api"}
	cmd := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}"}, below...)...)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			if imp == module+"/host" || imp == module+"/server" || imp == module+"/client" {
				t.Errorf("%s imports %s, which is above it", pkg, imp)
			}
		}
	}
	found := false
	for _, d := range deps(t, []string{"GOOS=wasip1", "GOARCH=wasm"}, "./guest-sdk/go") {
		found = found || d == module+"/abi"
		if strings.Contains(d, "fxamacker") {
			t.Errorf("the Go guest SDK links %s", d)
		}
	}
	if !found {
		t.Error("the Go guest SDK does not import abi")
	}
}

// TestHostSize keeps the top host package the orchestration of a call
// (docs/ARCHITECTURE.md, "Packages"): at most 3,500 lines of non-test Go;
// what grows past it belongs in a package of its own.
func TestHostSize(t *testing.T) {
	files, err := filepath.Glob("../../host/*.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines += strings.Count(string(b), "\n")
	}
	if lines > 3500 {
		t.Errorf("host/ holds %d non-test lines, more than 3,500", lines)
	}
	t.Logf("host/: %d non-test lines", lines)
}
