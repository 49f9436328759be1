package host

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// lockPackages are the packages whose locks the host's lock order covers:
// the host and what runs under it on a call's path.
var lockPackages = []string{".", "sandbox", "journal", "tenancy", "directory", "../scheduler", "../internal/logring", "../internal/futuretable", "../internal/waitgraph", "../internal/promise", "../internal/callvalues"}

// TestLockOrder keeps the lock order written once and true (docs/
// ARCHITECTURE.md, "Concurrency"): every mutex field of the host's packages
// is named in the package comment of host/host.go, every lock it names
// exists, and docs/ARCHITECTURE.md shows the same order, line for line.
func TestLockOrder(t *testing.T) {
	locks := map[string]bool{} // "Type.field"
	for _, dir := range lockPackages {
		fset := token.NewFileSet()
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		if len(files) == 0 {
			continue // a package not (or no longer) there
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return true
				}
				for _, fld := range st.Fields.List {
					sel, ok := fld.Type.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "Mutex" && sel.Sel.Name != "RWMutex" {
						continue
					}
					if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "sync" {
						continue
					}
					for _, name := range fld.Names {
						locks[ts.Name.Name+"."+name.Name] = true
					}
				}
				return true
			})
		}
	}
	doc := packageDoc(t, "host.go")
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`\b([A-Za-z]\w*)\.(\w*[mM]u)\b`).FindAllStringSubmatch(doc, -1) {
		named[m[1]+"."+m[2]] = true
	}
	var missing, unknown []string
	for l := range locks {
		if !named[l] {
			missing = append(missing, l)
		}
	}
	for l := range named {
		if !locks[l] {
			unknown = append(unknown, l)
		}
	}
	sort.Strings(missing)
	sort.Strings(unknown)
	if len(missing) > 0 {
		t.Errorf("locks not in the lock order of host/host.go: %v", missing)
	}
	if len(unknown) > 0 {
		t.Errorf("the lock order of host/host.go names locks that do not exist: %v", unknown)
	}

	// The chain (the indented lines after "Lock order") is in
	// docs/ARCHITECTURE.md as is.
	var chain []string
	in := false
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(line, "Lock order"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			chain = append(chain, strings.TrimSpace(line))
		case in && len(chain) > 0:
			in = false
		}
	}
	if len(chain) == 0 {
		t.Fatal("no lock order chain (indented lines after \"Lock order\") in the package comment of host/host.go")
	}
	arch, err := os.ReadFile("../docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(arch), "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	if !strings.Contains("\n"+strings.Join(lines, "\n")+"\n", "\n"+strings.Join(chain, "\n")+"\n") {
		t.Errorf("docs/ARCHITECTURE.md does not show the lock order of host/host.go:\n%s", strings.Join(chain, "\n"))
	}
}

// packageDoc returns the package comment of a file of this package.
func packageDoc(t *testing.T, file string) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatalf("%s has no package comment", file)
	}
	return f.Doc.Text()
}
