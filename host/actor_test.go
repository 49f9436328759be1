package host

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
)

func TestActor_Call(t *testing.T) {
	h := newTestHost(t, Config{MaxArgBytes: 1 << 10})
	a := spawn(t, h, readWasm(t, cCounterPath), Options{}, 10)
	ctx := context.Background()

	if got := invoke[int64](t, a, "incr", 5); got != 15 {
		t.Fatalf("incr(5) = %d, want 15", got)
	}
	if got := invoke[int64](t, a, "add", -3, 4); got != 1 {
		t.Fatalf("add = %d", got)
	}
	echo := map[string]any{"k": []any{int64(1), "two", []byte{3}}}
	if got := invoke[map[string]any](t, a, "echo", echo); len(got) != 1 {
		t.Fatalf("echo = %v", got)
	}

	tests := []struct {
		name   string
		method string
		args   []any
		want   error
	}{
		{"unknown method", "nope", nil, ErrMethodNotFound},
		{"too few args", "incr", nil, ErrArity},
		{"too many args", "get", []any{1}, ErrArity},
		{"oversized args", "echo", []any{bytes.Repeat([]byte{1}, 2<<10)}, ErrTooLarge},
		{"unencodable arg", "echo", []any{make(chan int)}, ErrInvalidArgument},
		{"bad NumReturns", "get", nil, ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := CallOptions{}
			if tt.name == "bad NumReturns" {
				opts.NumReturns = 100
			}
			if _, err := a.Submit(ctx, tt.method, opts, tt.args...); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// Nothing above reached the guest or disturbed it.
	if got := invoke[int64](t, a, "get"); got != 15 {
		t.Fatalf("get = %d after rejected calls, want 15", got)
	}
}

func TestActor_AppError(t *testing.T) {
	h := newTestHost(t, Config{})
	a := spawn(t, h, readWasm(t, cCounterPath), Options{}, 1)
	_, err := a.Invoke(context.Background(), "fail")
	var ae *AppError
	if !errors.As(err, &ae) || ae.Code != "c_error" || !errors.Is(err, ErrApp) {
		t.Fatalf("err = %v, want *AppError c_error", err)
	}
	if got := invoke[int64](t, a, "get"); got != 1 {
		t.Fatalf("state lost after an application error: get = %d", got)
	}
}

func TestActor_Trap(t *testing.T) {
	tests := []struct {
		name        string
		maxRestarts int
		wantState   State
	}{
		{"no restarts", 0, StateDead},
		{"restart", 1, StateAlive},
		{"unlimited", -1, StateAlive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHost(t, Config{})
			a := spawn(t, h, readWasm(t, cCounterPath), Options{MaxRestarts: ptr(tt.maxRestarts)}, 7)
			invoke[int64](t, a, "incr", 3)
			_, err := a.Invoke(context.Background(), "trap")
			var te *TrapError
			if !errors.As(err, &te) || te.Reason != TrapGuest || te.Method != "trap" {
				t.Fatalf("err = %v, want *TrapError", err)
			}
			info := a.Info()
			if info.State != tt.wantState {
				t.Fatalf("state %s, want %s", info.State, tt.wantState)
			}
			if tt.wantState == StateDead {
				_, err := a.Call(context.Background(), "get")
				var de *ActorDiedError
				if !errors.As(err, &de) || de.Reason != DeathRestartsExhausted || !errors.Is(err, ErrActorDied) {
					t.Fatalf("call after death: %v", err)
				}
				return
			}
			// Rebuilt exactly: start-up replayed, then incr(3) replayed; the
			// trapping call is not.
			if got := invoke[int64](t, a, "get"); got != 10 {
				t.Fatalf("get after restart = %d, want 10 (the state before the trap)", got)
			}
			if a.Info().Restarts != 1 {
				t.Fatalf("restarts = %d", a.Info().Restarts)
			}
		})
	}
}

func TestActor_Deadline(t *testing.T) {
	h := newTestHost(t, Config{Workers: 2})
	wasm := readWasm(t, cCounterPath)
	spinner := spawn(t, h, wasm, Options{CallTimeout: ptr(100 * time.Millisecond), MaxRestarts: ptr(1)}, 0)
	other := spawn(t, h, wasm, Options{}, 0)
	ctx := context.Background()

	spin, err := spinner.Call(ctx, "spin")
	if err != nil {
		t.Fatal(err)
	}
	// Another actor keeps being served while the spinner loops.
	for i := 0; i < 100; i++ {
		invoke[int64](t, other, "incr", 1)
	}
	_, err = spin.Get(ctx)
	var te *TrapError
	if !errors.As(err, &te) || te.Reason != TrapDeadline || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("spin: %v, want a deadline TrapError", err)
	}
	if got := invoke[int64](t, spinner, "get"); got != 0 {
		t.Fatalf("spinner after restart: %d", got)
	}
	if got := invoke[int64](t, other, "get"); got != 100 {
		t.Fatalf("other actor: %d", got)
	}
}

func TestActor_Cancel(t *testing.T) {
	h := newTestHost(t, Config{})
	a := spawn(t, h, fixture(t, "loop"), Options{MaxRestarts: ptr(1)})
	ctx, cancel := context.WithCancel(context.Background())
	f, err := a.Call(ctx, "spin")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "spin to start", func() bool { return a.Info().Running == "spin" })
	cancel()
	_, err = f.Get(context.Background())
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTrap) {
		t.Fatalf("err = %v, want a cancelled trap", err)
	}
	// A call whose context is done before it runs never reaches the guest.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	f2, err := a.Call(done, "get")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f2.Get(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("pre-cancelled call: %v", err)
	}
	if got := invoke[int64](t, a, "get"); got != 1 {
		t.Fatalf("get = %d", got)
	}
}

func TestActor_MemoryLimit(t *testing.T) {
	h := newTestHost(t, Config{})
	// counter.wasm starts with 2 pages; allow 4 in all.
	a := spawn(t, h, readWasm(t, cCounterPath), Options{MemoryPages: 4}, 0)
	got := invoke[int64](t, a, "grow", 100)
	info := a.Info()
	if info.MemoryBytes > 4*65536 {
		t.Fatalf("memory %d bytes exceeds the 4-page limit", info.MemoryBytes)
	}
	if got >= 100 || got < 0 {
		t.Fatalf("grow succeeded %d times past the limit", got)
	}
	// The guest carries on.
	if v := invoke[int64](t, a, "incr", 2); v != 2 {
		t.Fatalf("incr after failed growth = %d", v)
	}
	if _, err := h.Spawn(context.Background(), a.Class(), Options{MemoryPages: 1}, 0); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("limit below the module minimum: %v", err)
	}
}

func TestActor_ABIViolations(t *testing.T) {
	tests := []struct {
		fixture, method string
	}{
		{"oob_result", "get"}, {"oob_result", "straddle"}, {"oob_result", "wrap"},
		{"bad_envelope", "get"}, {"bad_envelope", "not_array"}, {"bad_envelope", "bad_kind"},
		{"bad_envelope", "one_elem"}, {"bad_envelope", "short_error"}, {"bad_envelope", "error_not_text"},
		{"bad_envelope", "multi_not_array"}, {"bad_envelope", "trailing"}, {"bad_envelope", "truncated"},
		{"bad_envelope", "indefinite"}, {"bad_envelope", "bad_utf8"}, {"bad_envelope", "reserved_tag"},
		{"bad_envelope", "huge_count"}, {"bad_envelope", "too_deep"},
		{"huge_result", "get"}, {"alloc_zero", "get"}, {"log", "bad_log"}, {"log", "bad_self_id"},
	}
	h := newTestHost(t, Config{})
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.method, func(t *testing.T) {
			a := spawn(t, h, fixture(t, tt.fixture), Options{MaxRestarts: ptr(-1)})
			_, err := a.Invoke(context.Background(), tt.method)
			var te *TrapError
			if !errors.As(err, &te) || te.Reason != TrapABI {
				t.Fatalf("err = %v, want an abi TrapError", err)
			}
		})
	}
	t.Run("controls", func(t *testing.T) {
		for _, c := range []struct{ fixture, method string }{{"bad_envelope", "deep_ok"}, {"oob_result", "ok"}} {
			a := spawn(t, h, fixture(t, c.fixture), Options{})
			if _, err := a.Invoke(context.Background(), c.method); err != nil {
				t.Fatalf("%s.%s: %v", c.fixture, c.method, err)
			}
		}
	})
	t.Run("huge result allowed by config", func(t *testing.T) {
		h := newTestHost(t, Config{MaxResultBytes: 64 << 20})
		a := spawn(t, h, fixture(t, "huge_result"), Options{})
		v, err := a.Invoke(context.Background(), "get")
		if err != nil || len(v) <= 16<<20 {
			t.Fatalf("got %d bytes, %v", len(v), err)
		}
	})
}

func TestHost_Spawn_Constructor(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	load := func(name string) string {
		c, err := h.LoadClass(ctx, fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	_, err := h.Spawn(ctx, load("init_trap"), Options{Name: "t"})
	var te *TrapError
	if !errors.As(err, &te) || te.Method != abi.ExportInit {
		t.Fatalf("trap in constructor: %v", err)
	}
	_, err = h.Spawn(ctx, load("init_error"), Options{Name: "t"})
	var ae *AppError
	if !errors.As(err, &ae) || ae.Code != "bad_init" {
		t.Fatalf("error in constructor: %v", err)
	}
	// Both are kept dead (reason constructor failed), none live.
	for _, info := range h.Actors() {
		if info.State != StateDead || info.Death != DeathInitFailed {
			t.Fatalf("after failed constructors: %+v", info)
		}
	}
	if n := len(h.Actors()); n != 2 {
		t.Fatalf("%d actors listed after 2 failed constructors, want 2 dead", n)
	}
	if _, err := h.Lookup(ctx, DefaultNamespace, "t"); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("name kept by a failed spawn: %v", err)
	}
	if _, err := h.Spawn(ctx, load("minimal"), Options{}, 1); !errors.Is(err, ErrArity) {
		t.Fatalf("args to a class without constructor: %v", err)
	}
	if _, err := h.Spawn(ctx, "sha256:missing", Options{}); !errors.Is(err, ErrClassNotFound) {
		t.Fatalf("unknown class: %v", err)
	}
}

func TestOptions_Validate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"ray resources", Options{NumCPUs: 0.5, NumGPUs: 2, Memory: 1 << 30, Resources: map[string]float64{"fpga": 2}}, true},
		{"fractional gpu below one", Options{NumGPUs: 0.25}, true},
		{"fractional gpu above one", Options{NumGPUs: 1.5}, false},
		{"negative cpus", Options{NumCPUs: -1}, false},
		{"NaN resource", Options{Resources: map[string]float64{"x": nan()}}, false},
		{"reserved resource name", Options{Resources: map[string]float64{"CPU": 1}}, false},
		{"empty resource name", Options{Resources: map[string]float64{"": 1}}, false},
		{"too much memory", Options{MemoryPages: 70000}, false},
		{"restarts below -1", Options{MaxRestarts: ptr(-2)}, false},
		{"negative timeout", Options{CallTimeout: ptr(-time.Second)}, false},
		{"negative memory", Options{Memory: -1}, false},
		{"max_concurrency 1", Options{MaxConcurrency: 1}, true},
		{"max_concurrency 4", Options{MaxConcurrency: 4}, false},
	}
	h := newTestHost(t, Config{Node: NodeResources{GPU: 4, Custom: map[string]float64{"fpga": 4}}})
	c, err := h.LoadClass(context.Background(), fixture(t, "minimal"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Spawn(context.Background(), c.ID, tt.opts)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidOptions)) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if _, err := New(context.Background(), Config{Workers: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("bad config: %v", err)
	}
}

func nan() float64 { var z float64; return z / z }

func TestActor_MultiReturn(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	m := spawn(t, h, fixture(t, "manifest_ok"), Options{})
	futs, err := m.Submit(ctx, "pair", CallOptions{}, 1, 2)
	if err != nil || len(futs) != 2 {
		t.Fatalf("Submit pair: %d futures, %v (manifest says 2)", len(futs), err)
	}
	for i, want := range []int64{1, 2} {
		if got, err := Await[int64](ctx, futs[i]); err != nil || got != want {
			t.Fatalf("future %d = %d, %v", i, got, err)
		}
	}
	if futs[0].ID() == futs[1].ID() {
		t.Fatal("futures of one call share an ID")
	}
	whole, err := m.Call(ctx, "pair", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Await[[]int64](ctx, whole); err != nil || len(got) != 2 {
		t.Fatalf("pair as one value: %v, %v", got, err)
	}

	s := spawn(t, h, fixture(t, "multi_in_single"), Options{})
	tests := []struct {
		n    int
		want []int64
		err  error
	}{
		{1, nil, nil}, {2, []int64{7, 8}, nil}, {3, nil, ErrReturnCount},
	}
	for _, tt := range tests {
		futs, err := s.Submit(ctx, "pair", CallOptions{NumReturns: tt.n})
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range futs {
			v, err := Await[int64](ctx, f)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("n=%d: err = %v, want %v", tt.n, err, tt.err)
				}
				continue
			}
			if tt.want != nil && (err != nil || v != tt.want[i]) {
				t.Fatalf("n=%d future %d = %d, %v", tt.n, i, v, err)
			}
		}
	}
}

func TestActor_FutureArguments(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	a := spawn(t, h, wasm, Options{}, 0)
	b := spawn(t, h, wasm, Options{}, 100)

	fa, err := a.Call(ctx, "incr", 5) // 5
	if err != nil {
		t.Fatal(err)
	}
	fb, err := b.Call(ctx, "add", fa, 1) // 6, computed on b from a's future
	if err != nil {
		t.Fatal(err)
	}
	fc, err := a.Call(ctx, "incr", fb) // 11, back on a
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Await[int64](ctx, fc); err != nil || got != 11 {
		t.Fatalf("chained futures = %d, %v", got, err)
	}
	// A failed dependency fails the dependent call with the same error.
	ff, _ := a.Call(ctx, "fail")
	fd, err := b.Call(ctx, "add", ff, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fd.Get(ctx)
	var ae *AppError
	if !errors.As(err, &ae) {
		t.Fatalf("dependent of a failed future: %v", err)
	}
	// Spawn waits for futures among its arguments.
	s, err := h.Spawn(ctx, a.Class(), Options{}, fc)
	if err != nil {
		t.Fatal(err)
	}
	if got := invoke[int64](t, s, "get"); got != 11 {
		t.Fatalf("constructor from future = %d", got)
	}
}

// TestActor_Ordering: calls from one handle run in submission order even when
// an earlier one waits for a future; another handle is not held back.
func TestActor_Ordering(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, readWasm(t, cCounterPath), Options{}, 0)
	gate := newFuture(&actor{id: "test-gate", inc: newIncarnation()}, 1, 0)

	f1, err := a.Call(ctx, "add", gate, 0) // waits for gate
	if err != nil {
		t.Fatal(err)
	}
	f2, err := a.Call(ctx, "incr", 1) // must run after f1
	if err != nil {
		t.Fatal(err)
	}
	other, err := h.Actor(ctx, a.ID()) // another caller
	if err != nil {
		t.Fatal(err)
	}
	if got := invoke[int64](t, other, "incr", 10); got != 10 {
		t.Fatalf("other caller held back or wrong: %d", got)
	}
	if f2.Ready() {
		t.Fatal("second call ran before the first, which waits on a future")
	}
	gate.set(codec.MustEncode(int64(1)), nil)
	if got, err := Await[int64](ctx, f1); err != nil || got != 1 {
		t.Fatalf("f1 = %d, %v", got, err)
	}
	if got, err := Await[int64](ctx, f2); err != nil || got != 11 {
		t.Fatalf("f2 = %d, %v", got, err)
	}
}

// TestActor_OrderingHammer: many goroutines, each with its own handle, send
// sequences through futures and plain calls; each sequence arrives in order.
func TestActor_OrderingHammer(t *testing.T) {
	h := newTestHost(t, Config{Workers: 4})
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	target := spawn(t, h, wasm, Options{}, 0)
	src := spawn(t, h, wasm, Options{}, 0)
	const callers, per = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hd, err := h.Actor(ctx, target.ID())
			if err != nil {
				errs <- err
				return
			}
			futs := make([]*Future, 0, per)
			for i := 0; i < per; i++ {
				var arg any = 1
				if i%3 == 0 {
					// Route some increments through a future from another actor.
					f, err := src.Call(ctx, "add", 0, 1)
					if err != nil {
						errs <- err
						return
					}
					arg = f
				}
				f, err := hd.Call(ctx, "incr", arg)
				if err != nil {
					errs <- err
					return
				}
				futs = append(futs, f)
			}
			// The counter is shared, but one caller's results must increase.
			last := int64(-1)
			for _, f := range futs {
				v, err := Await[int64](ctx, f)
				if err != nil {
					errs <- err
					return
				}
				if v <= last {
					errs <- errors.New("a caller's calls ran out of order")
					return
				}
				last = v
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := invoke[int64](t, target, "get"); got != callers*per {
		t.Fatalf("counter = %d, want %d", got, callers*per)
	}
}

func TestActor_Kill(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, fixture(t, "loop"), Options{Name: "looper", MaxRestarts: ptr(-1)})
	running, _ := a.Call(ctx, "spin")
	queued, _ := a.Call(ctx, "get")
	eventually(t, "spin to start", func() bool { return a.Info().Running == "spin" })
	if err := a.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*Future{"running": running, "queued": queued} {
		_, err := f.Get(ctx)
		var de *ActorDiedError
		if !errors.As(err, &de) || de.Reason != DeathKilled {
			t.Fatalf("%s call: %v, want ActorDiedError(killed)", name, err)
		}
	}
	if a.Info().State != StateDead {
		t.Fatalf("state %s", a.Info().State)
	}
	if _, err := h.Lookup(ctx, DefaultNamespace, "looper"); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("name not released: %v", err)
	}
	// The name can be reused.
	b := spawn(t, h, fixture(t, "loop"), Options{Name: "looper"})
	got, err := h.Lookup(ctx, DefaultNamespace, "looper")
	if err != nil || got.ID() != b.ID() {
		t.Fatalf("GetActor after reuse: %v", err)
	}
}

func TestHost_Names(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, fixture(t, "minimal"), Options{Name: "one"})
	if _, err := h.Spawn(ctx, a.Class(), Options{Name: "one"}); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("duplicate name: %v", err)
	}
	got, err := h.Lookup(ctx, DefaultNamespace, "one")
	if err != nil || got.ID() != a.ID() || got.Name() != "one" {
		t.Fatalf("GetActor: %v", err)
	}
	if _, err := h.Lookup(ctx, DefaultNamespace, "two"); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("unknown name: %v", err)
	}
}

func TestActor_Exit(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, fixture(t, "log"), Options{})
	if v := invoke[any](t, a, "hello"); v != nil {
		t.Fatalf("hello = %v", v)
	}
	lines, _ := a.Logs(0)
	if !hasLine(lines, "hello from wat") {
		t.Fatalf("log line missing: %+v", lines)
	}
	if got := invoke[string](t, a, "whoami"); got != a.ID() {
		t.Fatalf("whoami = %q, want %q", got, a.ID())
	}
	bye, err := a.Call(ctx, "bye")
	if err != nil {
		t.Fatal(err)
	}
	// The next call fails at once if the actor is already gone, else
	// through its future: either way with its death by exit.
	after, err := a.Call(ctx, "hello")
	if err == nil {
		_, err = after.Get(ctx)
	}
	if v, err := Await[string](ctx, bye); err != nil || v != "bye" {
		t.Fatalf("the exiting call must complete: %q, %v", v, err)
	}
	var de *ActorDiedError
	if !errors.As(err, &de) || de.Reason != DeathExited {
		t.Fatalf("call queued behind exit: %v", err)
	}
}

func TestActor_Backpressure(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, fixture(t, "loop"), Options{MaxPending: 3, MaxRestarts: ptr(1)})
	spin, _ := a.Call(ctx, "spin")
	eventually(t, "spin to start", func() bool { return a.Info().Running == "spin" })
	for i := 0; i < 2; i++ {
		if _, err := a.Call(ctx, "get"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Call(ctx, "get"); !errors.Is(err, ErrBackpressure) {
		t.Fatalf("fourth pending call: %v, want ErrBackpressure", err)
	}
	if err := a.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := spin.Get(ctx); !errors.Is(err, ErrActorDied) {
		t.Fatal(err)
	}
}

// TestHost_MaxQueuedCalls: the host-wide bound on queued calls, across
// actors, and its counter returns to zero once they are handled or failed.
func TestHost_MaxQueuedCalls(t *testing.T) {
	h := newTestHost(t, Config{MaxQueuedCalls: 4, Workers: 2})
	ctx := context.Background()
	x := spawn(t, h, fixture(t, "loop"), Options{})
	y := spawn(t, h, fixture(t, "loop"), Options{})
	spin, _ := x.Call(ctx, "spin")
	spinY, _ := y.Call(ctx, "spin")
	eventually(t, "spins to start", func() bool { return x.Info().Running == "spin" && y.Info().Running == "spin" })
	var futs []*Future
	for _, a := range []*Actor{x, x, y, y} {
		f, err := a.Call(ctx, "get")
		if err != nil {
			t.Fatal(err)
		}
		futs = append(futs, f)
	}
	// spin runs (it is no longer queued) and four are queued: the next is
	// refused, on either actor.
	for _, a := range []*Actor{x, y} {
		if _, err := a.Call(ctx, "get"); !errors.Is(err, ErrBackpressure) {
			t.Fatalf("call past max_queued_calls: %v, want ErrBackpressure", err)
		}
	}
	for _, a := range []*Actor{x, y} {
		if err := a.Kill(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range append(futs, spin, spinY) {
		_, _ = f.Get(ctx)
	}
	eventually(t, "queue to drain", func() bool { return h.queued.Load() == 0 })
	z := spawn(t, h, fixture(t, "loop"), Options{})
	if _, err := z.Invoke(ctx, "get"); err != nil {
		t.Fatalf("call after the queue drained: %v", err)
	}
}

func TestHost_Actors(t *testing.T) {
	h := newTestHost(t, Config{})
	ctx := context.Background()
	a := spawn(t, h, readWasm(t, cCounterPath), Options{Name: "c1", NumCPUs: 1}, 0)
	invoke[int64](t, a, "incr", 1)
	invoke[int64](t, a, "incr", 1)
	list := h.Actors()
	if len(list) != 1 {
		t.Fatalf("%d actors", len(list))
	}
	info := list[0]
	if info.ID != a.ID() || info.Name != "c1" || info.State != StateAlive || info.CallsServed != 2 ||
		info.MemoryBytes == 0 || info.Options.NumCPUs != 1 || info.Class != a.Class() {
		t.Fatalf("info = %+v", info)
	}
	_ = a.Kill(ctx)
	list = h.Actors()
	if len(list) != 1 || list[0].State != StateDead || list[0].Death != DeathKilled || list[0].CallsServed != 2 {
		t.Fatalf("dead actor listing: %+v", list)
	}
	if info, err := h.Info(ctx, a.ID()); err != nil || info.State != StateDead {
		t.Fatalf("Info(dead) = %+v, %v", info, err)
	}
	if _, err := h.Info(ctx, "nope"); !errors.Is(err, ErrActorNotFound) {
		t.Fatalf("Info(unknown): %v", err)
	}
}

func TestHost_Close(t *testing.T) {
	h, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := spawn(t, h, fixture(t, "loop"), Options{})
	f, _ := a.Call(ctx, "spin")
	eventually(t, "spin to start", func() bool { return a.Info().Running == "spin" })
	if err := h.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var de *ActorDiedError
	if _, err := f.Get(ctx); !errors.As(err, &de) || de.Reason != DeathHostClosed {
		t.Fatalf("running call at Close: %v", err)
	}
	if _, err := h.LoadClass(ctx, fixture(t, "minimal")); !errors.Is(err, ErrClosed) {
		t.Fatalf("LoadClass after Close: %v", err)
	}
}

// TestHost_Hammer runs many actors and callers at once (run with -race).
func TestHost_Hammer(t *testing.T) {
	h := newTestHost(t, Config{Workers: 4})
	ctx := context.Background()
	wasm := readWasm(t, cCounterPath)
	const actors, callers, per = 16, 8, 300
	as := make([]*Actor, actors)
	for i := range as {
		as[i] = spawn(t, h, wasm, Options{}, 0)
	}
	var wg sync.WaitGroup
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var futs []*Future
			for i := 0; i < per; i++ {
				f, err := as[(c+i)%actors].Call(ctx, "incr", 1)
				if err != nil {
					t.Error(err)
					return
				}
				futs = append(futs, f)
				if i%50 == 0 {
					_ = h.Actors()
				}
			}
			for _, f := range futs {
				if _, err := f.Get(ctx); err != nil {
					t.Error(err)
				}
			}
		}(c)
	}
	wg.Wait()
	var total int64
	for _, a := range as {
		total += invoke[int64](t, a, "get")
	}
	if total != callers*per {
		t.Fatalf("total %d, want %d", total, callers*per)
	}
}
