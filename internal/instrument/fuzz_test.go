package instrument

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
)

// fuzzRuntime validates modules for the fuzz target. The interpreter
// validates exactly like the compiler and compiles much faster.
var fuzzRuntime = sync.OnceValue(func() wazero.Runtime {
	return wazero.NewRuntimeWithConfig(context.Background(), wazero.NewRuntimeConfigInterpreter())
})

// wazeroAccepts reports whether wazero compiles wasm; a panic inside wazero
// is returned as an error.
func wazeroAccepts(wasm []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wazero panicked: %v", r)
		}
	}()
	ctx := context.Background()
	cm, err := fuzzRuntime().CompileModule(ctx, wasm)
	if err != nil {
		return err
	}
	return cm.Close(ctx)
}

// FuzzRewrite checks that Rewrite never panics, never modifies its input,
// fails only with an *Error, and that whenever wazero accepts a module it
// also accepts the rewritten one.
func FuzzRewrite(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.wasm")
	for _, file := range files {
		if strings.HasSuffix(file, "gomod.wasm") {
			continue // too large to mutate usefully
		}
		f.Add(readTestdata(f, filepath.Base(file)), uint8(7))
		f.Add(readTestdata(f, filepath.Base(file)), uint8(9))
		f.Add(readTestdata(f, filepath.Base(file)), uint8(17))
	}
	f.Add(allOpsModule(true), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, o uint8) {
		opts := Options{Interrupt: o&1 != 0, Fuel: o&2 != 0, ExportGlobals: o&4 != 0, Preempt: o&8 != 0}
		if o&16 != 0 {
			opts.MaxCallDepth = 100
		}
		orig := slices.Clone(data)
		res, err := Rewrite(data, opts)
		if !bytes.Equal(orig, data) {
			t.Fatal("Rewrite modified its input")
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupported) || errors.Is(err, ErrNameConflict)) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if opts == (Options{}) && !bytes.Equal(res.Wasm, data) {
			t.Fatal("Rewrite with no options changed the module")
		}
		if wazeroAccepts(data) != nil {
			return
		}
		if err := wazeroAccepts(res.Wasm); err != nil {
			t.Fatalf("wazero accepts the input but not the output (%+v): %v", opts, err)
		}
	})
}
