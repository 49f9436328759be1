// Package examples embeds the built example actor classes, so the demo, the
// tests and the server can load them without a build step. Each example's
// source is beside its .wasm (see its directory); `make guests` and
// `make c-guest` rebuild them.
package examples

import (
	"embed"
	"fmt"
	"sort"
)

//go:embed counter/counter.wasm kv/kv.wasm bank/bank.wasm divmod/divmod.wasm
//go:embed pipeline/pipeline.wasm misbehave/misbehave.wasm c-counter/counter.wasm
//go:embed pingpong/pingpong.wasm paramserver/paramserver.wasm supervisor/supervisor.wasm
var files embed.FS

var paths = map[string]string{
	"counter":   "counter/counter.wasm",
	"kv":        "kv/kv.wasm",
	"bank":      "bank/bank.wasm",
	"divmod":    "divmod/divmod.wasm",
	"pipeline":  "pipeline/pipeline.wasm",
	"misbehave": "misbehave/misbehave.wasm",
	"c-counter": "c-counter/counter.wasm",
	// Classes whose actors call other actors (docs/ABI.md section 6).
	"pingpong":    "pingpong/pingpong.wasm",
	"paramserver": "paramserver/paramserver.wasm",
	"supervisor":  "supervisor/supervisor.wasm",
}

// Names lists the example classes.
func Names() []string {
	out := make([]string, 0, len(paths))
	for n := range paths {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Wasm returns the module bytes of the named example.
func Wasm(name string) ([]byte, error) {
	p, ok := paths[name]
	if !ok {
		return nil, fmt.Errorf("examples: no example %q", name)
	}
	return files.ReadFile(p)
}
