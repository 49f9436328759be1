package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
)

// rawRuntime is a wazero runtime able to instantiate the example guests
// without wactor: WASI and no-op versions of the wactor imports the counter
// guests use (log, self_id, exit).
type rawRuntime struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
}

func newRawRuntime(ctx context.Context, e *env, wasm []byte) (*rawRuntime, error) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(e.cache))
	r := &rawRuntime{rt: rt}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		r.close(ctx)
		return nil, fmt.Errorf("wasi: %w", err)
	}
	noop := func(context.Context, api.Module, []uint64) {}
	i32 := api.ValueTypeI32
	_, err := rt.NewHostModuleBuilder(abi.ImportModule).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), []api.ValueType{i32, i32, i32}, nil).Export(abi.ImportLog).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), []api.ValueType{i32, i32}, []api.ValueType{i32}).Export(abi.ImportSelfID).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(noop), nil, nil).Export(abi.ImportExit).
		Instantiate(ctx)
	if err != nil {
		r.close(ctx)
		return nil, fmt.Errorf("wactor host module: %w", err)
	}
	if r.compiled, err = rt.CompileModule(ctx, wasm); err != nil {
		r.close(ctx)
		return nil, fmt.Errorf("compile: %w", err)
	}
	return r, nil
}

func (r *rawRuntime) close(ctx context.Context) { _ = r.rt.Close(ctx) }

// rawInstance is one instantiated guest with its method-call plumbing.
type rawInstance struct {
	mod   api.Module
	alloc api.Function
	mem   api.Memory
	stack []uint64
}

// instantiate creates an instance the way wactor does (no start functions,
// then _initialize, then wactor_init with args).
func (r *rawRuntime) instantiate(ctx context.Context, initArgs []byte) (*rawInstance, error) {
	mod, err := r.rt.InstantiateModule(ctx, r.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	in := &rawInstance{mod: mod, alloc: mod.ExportedFunction("wactor_alloc"), mem: mod.Memory(), stack: make([]uint64, 2)}
	if in.alloc == nil || in.mem == nil {
		_ = mod.Close(ctx)
		return nil, errors.New("guest without wactor_alloc or memory")
	}
	if fn := mod.ExportedFunction("_initialize"); fn != nil {
		if _, err := fn.Call(ctx); err != nil {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("_initialize: %w", err)
		}
	}
	if fn := mod.ExportedFunction("wactor_init"); fn != nil && initArgs != nil {
		if _, err := in.call(ctx, fn, initArgs); err != nil {
			_ = mod.Close(ctx)
			return nil, fmt.Errorf("wactor_init: %w", err)
		}
	}
	return in, nil
}

// call does what the host does for one call, minus the host: wactor_alloc,
// write the CBOR arguments, call the method, read the envelope.
func (in *rawInstance) call(ctx context.Context, fn api.Function, args []byte) ([]byte, error) {
	in.stack[0] = uint64(len(args))
	if err := in.alloc.CallWithStack(ctx, in.stack[:1]); err != nil {
		return nil, fmt.Errorf("wactor_alloc: %w", err)
	}
	if !in.mem.Write(uint32(in.stack[0]), args) {
		return nil, errors.New("wactor_alloc returned a buffer out of bounds")
	}
	in.stack[1] = uint64(len(args))
	if err := fn.CallWithStack(ctx, in.stack); err != nil {
		return nil, fmt.Errorf("call: %w", err)
	}
	p, n := abi.UnpackPtrLen(in.stack[0])
	if n == 0 {
		return nil, nil // no value
	}
	raw, ok := in.mem.Read(p, n)
	if !ok {
		return nil, errors.New("result out of bounds")
	}
	return raw, nil
}

// incrArgs is the CBOR argument array [1] every call row sends.
var incrArgs = []byte{0x81, 0x01}

// initArgs returns a guest's encoded constructor arguments.
func (g guest) initArgs() []byte {
	b, err := codec.EncodeArgs(g.init)
	if err != nil {
		panic(err)
	}
	return b
}

// checkEnvelope checks that raw is the envelope [0, want].
func checkEnvelope(raw []byte, want int64) error {
	env, err := abi.DecodeEnvelope(raw, abi.DefaultMaxResultBytes)
	if err != nil {
		return fmt.Errorf("result envelope: %w", err)
	}
	if env.Kind != abi.KindValue || len(env.Values) != 1 {
		return fmt.Errorf("result envelope %x: not a value", raw)
	}
	return checkInt("result", env.Values[0], want)
}

// rawCalls: the floor. The same incr(1) on the same guest, called with
// wazero directly on one instance.
func rawCalls(g guest) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (sample, error) {
		r, err := newRawRuntime(ctx, e, g.wasm(e))
		if err != nil {
			return sample{}, err
		}
		defer r.close(ctx)
		in, err := r.instantiate(ctx, g.initArgs())
		if err != nil {
			return sample{}, err
		}
		incr := in.mod.ExportedFunction("incr")
		var last []byte
		start := time.Now()
		for range ops {
			if last, err = in.call(ctx, incr, incrArgs); err != nil {
				return sample{}, err
			}
		}
		el := time.Since(start)
		return sample{elapsed: el}, checkEnvelope(last, int64(ops))
	}
}

// rawInstantiate: the floor of actor creation. Instantiate the same guest
// with wazero directly (no start functions, _initialize, wactor_init), ops
// times, keeping the instances until the end.
func rawInstantiate(g guest) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (sample, error) {
		r, err := newRawRuntime(ctx, e, g.wasm(e))
		if err != nil {
			return sample{}, err
		}
		defer r.close(ctx)
		args := g.initArgs()
		start := time.Now()
		for range ops {
			if _, err := r.instantiate(ctx, args); err != nil {
				return sample{}, err
			}
		}
		return sample{elapsed: time.Since(start)}, nil
	}
}

// copy16: the floor of a checkpoint: copying 16 MiB (memmove into a
// buffer already allocated and resident).
func copy16(_ context.Context, _ *env, ops int) (sample, error) {
	src := make([]byte, mem16)
	for i := range src {
		src[i] = byte(i * 7)
	}
	dst := make([]byte, mem16)
	copy(dst, src) // fault the pages in
	start := time.Now()
	for range ops {
		copy(dst, src)
	}
	el := time.Since(start)
	if dst[mem16-1] != src[mem16-1] {
		return sample{}, errors.New("copy lost bytes")
	}
	return sample{elapsed: el}, nil
}

// rawRestore16: the floor of a restore: a fresh wazero instance of the C
// guest, grown to 16 MiB, with 16 MiB written into it; the old instance
// closed.
func rawRestore16(ctx context.Context, e *env, ops int) (sample, error) {
	r, err := newRawRuntime(ctx, e, e.cWasm)
	if err != nil {
		return sample{}, err
	}
	defer r.close(ctx)
	src := make([]byte, mem16)
	for i := range src {
		src[i] = byte(i * 7)
	}
	var old api.Module
	start := time.Now()
	for range ops {
		mod, err := r.rt.InstantiateModule(ctx, r.compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
		if err != nil {
			return sample{}, fmt.Errorf("instantiate: %w", err)
		}
		mem := mod.Memory()
		if _, ok := mem.Grow(mem16/65536 - mem.Size()/65536); !ok {
			return sample{}, errors.New("grow failed")
		}
		if !mem.Write(0, src) {
			return sample{}, errors.New("write failed")
		}
		if old != nil {
			_ = old.Close(ctx)
		}
		old = mod
	}
	return sample{elapsed: time.Since(start)}, nil
}
