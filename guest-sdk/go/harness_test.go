//go:build !wasip1

package wactor

// A minimal wazero host for the example guests, used by the guest tests and
// benchmarks of this package. It follows docs/ABI.md but none of the real
// host's policies (limits, restarts, manifests checks).

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// guestRuntime is one wazero runtime with WASI and the wactor host module;
// compiled guests are cached per file.
type guestRuntime struct {
	rt       wazero.Runtime
	mu       sync.Mutex
	compiled map[string]wazero.CompiledModule
}

// guestKey selects a runtime: tests use the interpreter (compiling a Go
// guest with wazero's compiler takes about a second, far longer under
// -race), benchmarks the compiler.
type guestKey struct{ closeOnDone, compiler bool }

var (
	runtimesMu sync.Mutex
	runtimes   = map[guestKey]*guestRuntime{}
)

func getRuntime(tb testing.TB, k guestKey) *guestRuntime {
	runtimesMu.Lock()
	defer runtimesMu.Unlock()
	if gr := runtimes[k]; gr != nil {
		return gr
	}
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfigInterpreter()
	if k.compiler {
		cfg = wazero.NewRuntimeConfigCompiler()
	}
	cfg = cfg.WithCloseOnContextDone(k.closeOnDone)
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	b := rt.NewHostModuleBuilder("wactor").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, level, ptr, n uint32) {
		b, ok := m.Memory().Read(ptr, n)
		if !ok {
			panic("log: out of bounds")
		}
		if g, _ := ctx.Value(guestCtxKey{}).(*guest); g != nil {
			g.logs = append(g.logs, logLine{int(level), string(b)})
		}
	}).Export("log").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, ptr, capacity uint32) uint32 {
		id := "actor-test"
		if g, _ := ctx.Value(guestCtxKey{}).(*guest); g != nil && g.id != "" {
			id = g.id
		}
		n := min(uint32(len(id)), capacity)
		if !m.Memory().Write(ptr, []byte(id[:n])) {
			panic("self_id: out of bounds")
		}
		return uint32(len(id))
	}).Export("self_id").
		NewFunctionBuilder().WithFunc(func(ctx context.Context) {
		if g, _ := ctx.Value(guestCtxKey{}).(*guest); g != nil {
			g.exited = true
		}
	}).Export("exit")
	// call, send, await, spawn, get_actor, kill and take: actors_harness_test.go.
	_, err := withActorImports(b).Instantiate(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	gr := &guestRuntime{rt: rt, compiled: map[string]wazero.CompiledModule{}}
	runtimes[k] = gr
	return gr
}

type guestCtxKey struct{}

type logLine struct {
	level int
	msg   string
}

type guest struct {
	mod    api.Module
	ctx    context.Context
	stderr bytes.Buffer
	logs   []logLine
	exited bool
	id     string
	alloc  api.Function
	fns    map[string]api.Function
	stack  []uint64
	actor  *fakeActor // the guest's state in a fakeSystem (nil outside one)
}

// examplePath returns the path of an example guest, skipping the test when
// it has not been built.
func examplePath(tb testing.TB, name string) string {
	p := filepath.Join("..", "..", "examples", name, name+".wasm")
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("%s not built (make guests): %v", p, err)
	}
	return p
}

// compiled returns the compiled example guest, compiling it once per
// runtime.
func compiled(tb testing.TB, name string, k guestKey) (*guestRuntime, wazero.CompiledModule) {
	tb.Helper()
	gr := getRuntime(tb, k)
	path := examplePath(tb, name)
	gr.mu.Lock()
	defer gr.mu.Unlock()
	cm := gr.compiled[path]
	if cm == nil {
		wasm, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		cm, err = gr.rt.CompileModule(context.Background(), wasm)
		if err != nil {
			tb.Fatal(err)
		}
		gr.compiled[path] = cm
	}
	return gr, cm
}

// newGuest instantiates an example guest and runs _initialize (not the
// constructor).
func newGuest(tb testing.TB, name string, k guestKey) *guest {
	tb.Helper()
	gr, cm := compiled(tb, name, k)
	g := &guest{fns: map[string]api.Function{}, stack: make([]uint64, 2)}
	g.ctx = context.WithValue(context.Background(), guestCtxKey{}, g)
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize").
		WithStderr(&g.stderr).WithStdout(&g.stderr).WithSysWalltime().WithSysNanotime()
	mod, err := gr.rt.InstantiateModule(g.ctx, cm, cfg)
	if err != nil {
		tb.Fatalf("instantiate %s: %v (stderr: %s)", name, err, g.stderr.String())
	}
	tb.Cleanup(func() { mod.Close(context.Background()) })
	g.mod = mod
	g.alloc = mod.ExportedFunction("wactor_alloc")
	return g
}

func (g *guest) fn(name string) api.Function {
	f := g.fns[name]
	if f == nil {
		f = g.mod.ExportedFunction(name)
		g.fns[name] = f
	}
	return f
}

// callRaw performs one ABI call and returns a copy of the envelope bytes.
func (g *guest) callRaw(ctx context.Context, name string, args []byte) ([]byte, error) {
	f := g.fn(name)
	if f == nil {
		return nil, errors.New("no export " + name)
	}
	g.stack[0] = uint64(len(args))
	if err := g.alloc.CallWithStack(ctx, g.stack); err != nil {
		return nil, err
	}
	ptr := uint32(g.stack[0])
	if ptr == 0 {
		return nil, errors.New("wactor_alloc returned 0")
	}
	if !g.mod.Memory().Write(ptr, args) {
		return nil, errors.New("alloc pointer out of bounds")
	}
	g.stack[0], g.stack[1] = uint64(ptr), uint64(len(args))
	if err := f.CallWithStack(ctx, g.stack); err != nil {
		return nil, err
	}
	res := g.stack[0]
	if res == 0 {
		return []byte{0x82, 0x00, 0xf6}, nil
	}
	env, ok := g.mod.Memory().Read(uint32(res>>32), uint32(res))
	if !ok {
		return nil, errors.New("result out of bounds")
	}
	return bytes.Clone(env), nil
}

// call encodes args, calls the method and decodes the envelope: it returns
// the value ([0, v] gives v, [1, vs] gives vs) or the application error.
func (g *guest) call(tb testing.TB, name string, args ...any) (any, *Error) {
	tb.Helper()
	if args == nil {
		args = []any{}
	}
	in, err := Marshal(args)
	if err != nil {
		tb.Fatal(err)
	}
	env, err := g.callRaw(g.ctx, name, in)
	if err != nil {
		tb.Fatalf("%s: %v (stderr: %s)", name, err, g.stderr.String())
	}
	return decodeEnvelope(tb, env)
}

func decodeEnvelope(tb testing.TB, env []byte) (any, *Error) {
	tb.Helper()
	var e []any
	if err := Unmarshal(env, &e); err != nil {
		tb.Fatalf("envelope % x: %v", env, err)
	}
	if len(e) < 2 {
		tb.Fatalf("short envelope %v", e)
	}
	switch e[0] {
	case int64(0), int64(1):
		if len(e) != 2 {
			tb.Fatalf("bad envelope %v", e)
		}
		return e[1], nil
	case int64(2):
		if len(e) != 3 {
			tb.Fatalf("bad error envelope %v", e)
		}
		code, _ := e[1].(string)
		msg, _ := e[2].(string)
		return nil, &Error{Code: code, Message: msg}
	}
	tb.Fatalf("bad envelope kind %v", e)
	return nil, nil
}

// must calls a method that must succeed.
func (g *guest) must(tb testing.TB, name string, args ...any) any {
	tb.Helper()
	v, ae := g.call(tb, name, args...)
	if ae != nil {
		tb.Fatalf("%s%v: application error %v", name, args, ae)
	}
	return v
}

// appErr calls a method that must fail with an application error of code.
func (g *guest) appErr(tb testing.TB, code, name string, args ...any) *Error {
	tb.Helper()
	v, ae := g.call(tb, name, args...)
	if ae == nil {
		tb.Fatalf("%s%v = %v, want application error %s", name, args, v, code)
		return nil
	}
	if ae.Code != code {
		tb.Fatalf("%s%v: error %v, want code %s", name, args, ae, code)
	}
	return ae
}

// manifest calls wactor_manifest and decodes it.
func (g *guest) manifest(tb testing.TB) map[string]any {
	tb.Helper()
	f := g.fn("wactor_manifest")
	if f == nil {
		tb.Fatal("no wactor_manifest export")
	}
	res, err := f.Call(g.ctx)
	if err != nil {
		tb.Fatal(err)
	}
	b, ok := g.mod.Memory().Read(uint32(res[0]>>32), uint32(res[0]))
	if !ok {
		tb.Fatal("manifest out of bounds")
	}
	var m map[string]any
	if err := Unmarshal(b, &m); err != nil {
		tb.Fatalf("manifest: %v", err)
	}
	return m
}
