package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/host"
)

// window is the number of calls kept in flight by the async rows (Ray's
// microbenchmark submits 1,000 calls, then waits for them).
const window = 1000

// fanout is n in the 1:n and n:n rows.
const fanout = 8

// withActors creates a host with the guest loaded and n actors of it, runs
// fn, and closes the host.
func withActors(ctx context.Context, cfg host.Config, wasm []byte, init []any, n int, fn func(h *host.Host, actors []*host.Actor) error) error {
	h, class, err := newHost(ctx, cfg, wasm)
	if err != nil {
		return err
	}
	defer h.Close(ctx)
	actors := make([]*host.Actor, n)
	for i := range actors {
		a, err := h.Spawn(ctx, class, host.Options{}, init...)
		if err != nil {
			return fmt.Errorf("spawn: %w", err)
		}
		actors[i] = a
	}
	return fn(h, actors)
}

// checkInt decodes v as an int64 and compares it with want.
func checkInt(what string, v abi.Value, want int64) error {
	var got int64
	if err := codec.Decode(v, &got); err != nil {
		return fmt.Errorf("%s: decoding the result: %w", what, err)
	}
	if got != want {
		return fmt.Errorf("%s: got %d, want %d", what, got, want)
	}
	return nil
}

// getAll waits for every future of fs.
func getAll(ctx context.Context, fs []*host.Future) error {
	for _, f := range fs {
		if _, err := f.Get(ctx); err != nil {
			return fmt.Errorf("call: %w", err)
		}
	}
	return nil
}

// syncCalls: one caller, one actor, Invoke(incr, 1) ops times.
func syncCalls(g guest) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (s sample, err error) {
		err = withActors(ctx, host.Config{}, g.wasm(e), g.init, 1, func(_ *host.Host, as []*host.Actor) error {
			a := as[0]
			start := time.Now()
			for range ops {
				if _, err := a.Invoke(ctx, "incr", 1); err != nil {
					return fmt.Errorf("incr: %w", err)
				}
			}
			s.elapsed = time.Since(start)
			v, err := a.Invoke(ctx, "get")
			if err != nil {
				return fmt.Errorf("get: %w", err)
			}
			return checkInt("counter after the calls", v, int64(ops))
		})
		return s, err
	}
}

// asyncCalls: one caller, one actor, incr(1) with 1,000 calls in flight.
func asyncCalls(g guest) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (s sample, err error) {
		err = withActors(ctx, host.Config{}, g.wasm(e), g.init, 1, func(_ *host.Host, as []*host.Actor) error {
			a := as[0]
			futs := make([]*host.Future, 0, window)
			start := time.Now()
			for done := 0; done < ops; done += window {
				futs = futs[:0]
				for range min(window, ops-done) {
					f, err := a.Call(ctx, "incr", 1)
					if err != nil {
						return fmt.Errorf("incr: %w", err)
					}
					futs = append(futs, f)
				}
				if err := getAll(ctx, futs); err != nil {
					return err
				}
			}
			s.elapsed = time.Since(start)
			v, err := a.Invoke(ctx, "get")
			if err != nil {
				return fmt.Errorf("get: %w", err)
			}
			return checkInt("counter after the calls", v, int64(ops))
		})
		return s, err
	}
}

// sumCounters checks that the counters of actors add up to want.
func sumCounters(ctx context.Context, actors []*host.Actor, want int64) error {
	var sum int64
	for _, a := range actors {
		v, err := a.Invoke(ctx, "get")
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		var n int64
		if err := codec.Decode(v, &n); err != nil {
			return fmt.Errorf("get: %w", err)
		}
		sum += n
	}
	if sum != want {
		return fmt.Errorf("the counters add up to %d, want %d", sum, want)
	}
	return nil
}

// oneToN: one caller, fanout actors, 1,000 calls in flight spread over them.
func oneToN(ctx context.Context, e *env, ops int) (s sample, err error) {
	err = withActors(ctx, host.Config{}, e.cWasm, cGuest.init, fanout, func(_ *host.Host, as []*host.Actor) error {
		futs := make([]*host.Future, 0, window)
		start := time.Now()
		for done := 0; done < ops; done += window {
			futs = futs[:0]
			for i := range min(window, ops-done) {
				f, err := as[i%len(as)].Call(ctx, "incr", 1)
				if err != nil {
					return fmt.Errorf("incr: %w", err)
				}
				futs = append(futs, f)
			}
			if err := getAll(ctx, futs); err != nil {
				return err
			}
		}
		s.elapsed = time.Since(start)
		return sumCounters(ctx, as, int64(ops))
	})
	return s, err
}

// nToN: fanout callers (goroutines, each with its own handles), each
// calling all fanout actors with 1,000 calls in flight. With futureArg,
// every call is add(x, 1) where x is the future of a get call submitted
// just before, one per window of calls (Ray's "n:n actor calls with arg
// async" passes one object reference to every call).
func nToN(futureArg bool) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (s sample, err error) {
		err = withActors(ctx, host.Config{}, e.cWasm, cGuest.init, fanout, func(h *host.Host, as []*host.Actor) error {
			// Each caller gets its own handles (one handle is one caller).
			handles := make([][]*host.Actor, fanout)
			for c := range handles {
				for _, a := range as {
					x, err := h.Actor(ctx, a.ID())
					if err != nil {
						return fmt.Errorf("looking up the actor: %w", err)
					}
					handles[c] = append(handles[c], x)
				}
			}
			errs := make([]error, fanout)
			var wg sync.WaitGroup
			start := time.Now()
			for c := range fanout {
				n := ops / fanout
				if c < ops%fanout {
					n++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[c] = nToNCaller(ctx, handles[c], c, n, futureArg)
				}()
			}
			wg.Wait()
			s.elapsed = time.Since(start)
			for _, err := range errs {
				if err != nil {
					return err
				}
			}
			if futureArg {
				return nil // add leaves the counters alone
			}
			return sumCounters(ctx, as, int64(ops))
		})
		return s, err
	}
}

func nToNCaller(ctx context.Context, hs []*host.Actor, c, n int, futureArg bool) error {
	futs := make([]*host.Future, 0, window)
	for done := 0; done < n; done += window {
		futs = futs[:0]
		var x *host.Future
		if futureArg {
			var err error
			if x, err = hs[c%len(hs)].Call(ctx, "get"); err != nil {
				return fmt.Errorf("get: %w", err)
			}
		}
		for i := range min(window, n-done) {
			var f *host.Future
			var err error
			if futureArg {
				f, err = hs[i%len(hs)].Call(ctx, "add", x, 1)
			} else {
				f, err = hs[i%len(hs)].Call(ctx, "incr", 1)
			}
			if err != nil {
				return fmt.Errorf("call: %w", err)
			}
			futs = append(futs, f)
		}
		if err := getAll(ctx, futs); err != nil {
			return err
		}
	}
	return nil
}

// pingPong: two pingpong actors; ping(peer, n) makes n synchronous
// guest-to-guest calls of pong, ping_async(peer, 1000) keeps 1,000 in flight.
func pingPong(async bool) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (s sample, err error) {
		err = withActors(ctx, host.Config{}, e.pingpongWasm, nil, 2, func(_ *host.Host, as []*host.Actor) error {
			x, y := as[0], as[1]
			// ping returns the sum of pong(i) = i+1 for i < n: n(n+1)/2.
			start := time.Now()
			if async {
				for done := 0; done < ops; done += window {
					n := min(window, ops-done)
					v, err := x.Invoke(ctx, "ping_async", y, n)
					if err != nil {
						return fmt.Errorf("ping_async: %w", err)
					}
					if err := checkInt("ping_async", v, int64(n)*int64(n+1)/2); err != nil {
						return err
					}
				}
				s.elapsed = time.Since(start)
				return nil
			}
			v, err := x.Invoke(ctx, "ping", y, ops)
			s.elapsed = time.Since(start)
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
			return checkInt("ping", v, int64(ops)*int64(ops+1)/2)
		})
		return s, err
	}
}

// spawnMany spawns n actors of class one after the other.
func spawnMany(ctx context.Context, h *host.Host, class string, init []any, n int) ([]*host.Actor, error) {
	out := make([]*host.Actor, 0, n)
	for range n {
		a, err := h.Spawn(ctx, class, host.Options{}, init...)
		if err != nil {
			return out, fmt.Errorf("spawn: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// coldSpawnConfig returns cfg with the host's ColdSpawn option set: every
// actor then runs its class's _initialize instead of starting from the
// class's template. The option is newer than this benchmark and still
// settling, so it is set by name: a host without it fails the row instead
// of the build.
func coldSpawnConfig(cfg host.Config) (host.Config, error) {
	f := reflect.ValueOf(&cfg).Elem().FieldByName("ColdSpawn")
	if !f.IsValid() || f.Kind() != reflect.Bool {
		return cfg, errors.New("this host has no Config.ColdSpawn option")
	}
	f.SetBool(true)
	return cfg, nil
}

// creation: spawn ops actors one after the other from one goroutine, cold
// (a new sandbox for each, nothing pre-spawned or pooled), and keep them
// alive until the end of the repetition. With coldSpawn, each runs its
// class's _initialize (Config.ColdSpawn) instead of starting from the
// class's template.
func creation(g guest, coldSpawn bool) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (sample, error) {
		cfg := host.Config{}
		if coldSpawn {
			var err error
			if cfg, err = coldSpawnConfig(cfg); err != nil {
				return sample{}, err
			}
		}
		h, class, err := newHost(ctx, cfg, g.wasm(e))
		if err != nil {
			return sample{}, err
		}
		defer h.Close(ctx)
		start := time.Now()
		actors, err := spawnMany(ctx, h, class, g.init, ops)
		el := time.Since(start)
		if err != nil {
			return sample{}, err
		}
		// Check that the last one works.
		if _, err := actors[len(actors)-1].Invoke(ctx, "incr", 1); err != nil {
			return sample{}, fmt.Errorf("incr: %w", err)
		}
		return sample{elapsed: el}, nil
	}
}

// density: the resident memory of ops idle actors (spawned, constructed, no
// call pending).
func density(g guest) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (sample, error) {
		h, class, err := newHost(ctx, host.Config{}, g.wasm(e))
		if err != nil {
			return sample{}, err
		}
		defer h.Close(ctx)
		// One actor first, so one-time costs (the class's first instance)
		// are not charged to the measured ones.
		if _, err := spawnMany(ctx, h, class, g.init, 1); err != nil {
			return sample{}, err
		}
		return densitySample(ops, func(n int) (func(), error) {
			actors, err := spawnMany(ctx, h, class, g.init, n)
			return func() {
				for _, a := range actors {
					_ = a.Kill(ctx)
				}
			}, err
		})
	}
}

// mem16 is the memory size of the checkpoint rows.
const mem16 = 16 << 20

// fill16Data is the echo argument of fill16: 16 MiB less the guest's first
// two pages and the argument buffer's 7 bytes of overhead.
func fill16Data() []byte {
	const pages = 254 // the guest starts with 2 pages of 64 KiB
	// encoded args: 0x81 (array of 1), 0x5a + 4 length bytes (bytes), data;
	// wactor_alloc keeps one spare byte: 6 + len + 1 = pages * 64 KiB.
	data := make([]byte, pages*65536-7)
	_, _ = rand.Read(data)
	return data
}

// fill16 brings a C-guest actor's memory to exactly 16 MiB, filled with
// random bytes: echo with a bytes argument makes the guest's wactor_alloc
// grow its memory by 254 pages (to 256) for the argument buffer.
func fill16(ctx context.Context, a *host.Actor, data []byte) error {
	if _, err := a.Invoke(ctx, "echo", data); err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	if got := a.Info().MemoryBytes; got != mem16 {
		return fmt.Errorf("the actor's memory is %d bytes after echo, want %d", got, mem16)
	}
	return nil
}

// snapshotConfig lets the 16 MiB echo of fill16 through.
var snapshotConfig = host.Config{MaxArgBytes: 32 << 20, MaxResultBytes: 32 << 20}

// checkpointFirst: the first Checkpoint of a C-guest actor whose memory is
// 16 MiB of random bytes (the whole memory is captured); a new actor for
// each operation, filled before the clock starts.
func checkpointFirst(ctx context.Context, e *env, ops int) (sample, error) {
	data := fill16Data()
	h, class, err := newHost(ctx, snapshotConfig, e.cWasm)
	if err != nil {
		return sample{}, err
	}
	defer h.Close(ctx)
	var el time.Duration
	for range ops {
		a, err := h.Spawn(ctx, class, host.Options{}, cGuest.init...)
		if err != nil {
			return sample{}, fmt.Errorf("spawn: %w", err)
		}
		if err := fill16(ctx, a, data); err != nil {
			return sample{}, err
		}
		start := time.Now()
		_, err = a.Checkpoint(ctx)
		el += time.Since(start)
		if err != nil {
			return sample{}, fmt.Errorf("checkpoint: %w", err)
		}
		if err := a.Kill(ctx); err != nil {
			return sample{}, fmt.Errorf("kill: %w", err)
		}
	}
	return sample{elapsed: el}, nil
}

// checkpointRestore: on a C-guest actor whose memory is 16 MiB of random
// bytes and which has a checkpoint already, one incr call (not timed), then
// a Checkpoint (restore false) or a Restore of that checkpoint's state
// (true), timed. Restore includes the checkpoint of the restored state that
// the host takes.
func checkpointRestore(restore bool) func(ctx context.Context, e *env, ops int) (sample, error) {
	return func(ctx context.Context, e *env, ops int) (s sample, err error) {
		err = withActors(ctx, snapshotConfig, e.cWasm, cGuest.init, 1, func(_ *host.Host, as []*host.Actor) error {
			a := as[0]
			if err := fill16(ctx, a, fill16Data()); err != nil {
				return err
			}
			if _, err := a.Invoke(ctx, "incr", 7); err != nil {
				return fmt.Errorf("incr: %w", err)
			}
			ck, err := a.Checkpoint(ctx)
			if err != nil {
				return fmt.Errorf("checkpoint: %w", err)
			}
			id := ck.ID
			for range ops {
				if _, err := a.Invoke(ctx, "incr", 1); err != nil {
					return fmt.Errorf("incr: %w", err)
				}
				start := time.Now()
				if restore {
					err = a.Restore(ctx, id)
				} else {
					_, err = a.Checkpoint(ctx)
				}
				s.elapsed += time.Since(start)
				if err != nil {
					return fmt.Errorf("checkpoint/restore: %w", err)
				}
				if restore {
					// The host checkpoints the restored state (and keeps a
					// few checkpoints only): restore that one next, which
					// holds the same state.
					cks, err := a.Checkpoints(ctx)
					if err != nil {
						return err
					}
					if len(cks) == 0 {
						return errors.New("no checkpoint after Restore")
					}
					id = cks[0].ID
				}
			}
			if got := a.Info().MemoryBytes; got != mem16 {
				return fmt.Errorf("memory is %d bytes after the repetition, want %d", got, mem16)
			}
			v, err := a.Invoke(ctx, "get")
			if err != nil {
				return fmt.Errorf("get: %w", err)
			}
			want := int64(7)
			if !restore {
				want += int64(ops)
			}
			return checkInt("counter", v, want)
		})
		return s, err
	}
}
