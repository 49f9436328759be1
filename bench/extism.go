package bench

import (
	"context"
	"fmt"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
)

// newExtism compiles the Extism counter plugin (testdata/extism-counter).
func newExtism(ctx context.Context, e *env) (*extism.CompiledPlugin, error) {
	manifest := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: extismCounterWasm, Name: "main"}}}
	cfg := extism.PluginConfig{RuntimeConfig: wazero.NewRuntimeConfig().WithCompilationCache(e.cache)}
	cp, err := extism.NewCompiledPlugin(ctx, manifest, cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("extism: compiling the plugin: %w", err)
	}
	return cp, nil
}

// extismCalls: the same incr with the same CBOR payload through the Extism
// Go SDK: Plugin.Call on one plugin instance (an Extism plugin is not safe
// for concurrent use, so calls are sequential, as in the SDK's own usage).
func extismCalls(ctx context.Context, e *env, ops int) (sample, error) {
	cp, err := newExtism(ctx, e)
	if err != nil {
		return sample{}, err
	}
	defer cp.Close(ctx)
	p, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
	if err != nil {
		return sample{}, fmt.Errorf("extism: instance: %w", err)
	}
	defer p.Close(ctx)
	var out []byte
	var rc uint32
	start := time.Now()
	for range ops {
		rc, out, err = p.CallWithContext(ctx, "incr", incrArgs)
		if err != nil || rc != 0 {
			return sample{}, fmt.Errorf("extism: incr: rc %d: %w", rc, err)
		}
	}
	el := time.Since(start)
	return sample{elapsed: el}, checkEnvelope(out, int64(ops))
}

// extismInstances creates ops plugin instances of the compiled plugin (a
// kernel instance and a plugin instance each) and keeps them until the end.
func extismInstances(ctx context.Context, cp *extism.CompiledPlugin, ops int) ([]*extism.Plugin, error) {
	out := make([]*extism.Plugin, 0, ops)
	for range ops {
		p, err := cp.Instance(ctx, extism.PluginInstanceConfig{})
		if err != nil {
			return out, fmt.Errorf("extism: instance: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// extismCreation: Extism plugin instances per second, from a compiled
// plugin (the equivalent of a cold actor creation).
func extismCreation(ctx context.Context, e *env, ops int) (sample, error) {
	cp, err := newExtism(ctx, e)
	if err != nil {
		return sample{}, err
	}
	defer cp.Close(ctx)
	start := time.Now()
	ps, err := extismInstances(ctx, cp, ops)
	el := time.Since(start)
	if err != nil {
		return sample{}, err
	}
	// Check that the instances work.
	if _, out, err := ps[len(ps)-1].CallWithContext(ctx, "incr", incrArgs); err != nil {
		return sample{}, fmt.Errorf("extism: incr: %w", err)
	} else if err := checkEnvelope(out, 1); err != nil {
		return sample{}, err
	}
	return sample{elapsed: el}, nil
}

// extismDensity: the resident memory of idle Extism plugin instances.
func extismDensity(ctx context.Context, e *env, ops int) (sample, error) {
	cp, err := newExtism(ctx, e)
	if err != nil {
		return sample{}, err
	}
	defer cp.Close(ctx)
	if _, err := extismInstances(ctx, cp, 1); err != nil {
		return sample{}, err
	}
	return densitySample(ops, func(n int) (func(), error) {
		ps, err := extismInstances(ctx, cp, n)
		return func() {
			for _, p := range ps {
				_ = p.Close(ctx)
			}
		}, err
	})
}
