package examples_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/examples"
	"github.com/wactor/wactor/host"
)

// env is one host with every example class loaded, shared by the tests of
// this package (compiling a Go guest takes a second or more).
type env struct {
	h       *host.Host
	classes map[string]string
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	h, err := host.New(ctx, host.Config{Engine: testEngine()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(ctx) })
	e := &env{h: h, classes: map[string]string{}}
	for _, name := range examples.Names() {
		wasm, err := examples.Wasm(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := h.LoadClass(ctx, wasm)
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		e.classes[name] = c.ID
	}
	return e
}

func (e *env) spawn(t *testing.T, class string, opts host.Options, args ...any) *host.Actor {
	t.Helper()
	a, err := e.h.Spawn(context.Background(), e.classes[class], opts, args...)
	if err != nil {
		t.Fatalf("spawn %s: %v", class, err)
	}
	return a
}

func call[T any](t *testing.T, a *host.Actor, method string, args ...any) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f, err := a.Call(ctx, method, args...)
	if err != nil {
		var zero T
		return zero, err
	}
	return host.Await[T](ctx, f)
}

func must[T any](t *testing.T, a *host.Actor, method string, args ...any) T {
	t.Helper()
	v, err := call[T](t, a, method, args...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return v
}

func appCode(err error) string {
	var ae *host.AppError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestExamples(t *testing.T) {
	e := setup(t)

	t.Run("counter", func(t *testing.T) {
		c := e.spawn(t, "counter", host.Options{}, 10)
		for i, want := range []int64{11, 13, 16} {
			if got := must[int64](t, c, "incr", i+1); got != want {
				t.Fatalf("incr(%d) = %d, want %d", i+1, got, want)
			}
		}
		if got := must[int64](t, c, "reset"); got != 16 {
			t.Fatalf("reset returned %d", got)
		}
		if got := must[int64](t, c, "get"); got != 0 {
			t.Fatalf("get after reset = %d", got)
		}
		zero := e.spawn(t, "counter", host.Options{})
		if got := must[int64](t, zero, "get"); got != 0 {
			t.Fatalf("counter without start = %d", got)
		}
		if _, err := call[int64](t, c, "incr", "not a number"); appCode(err) != "bad_args" {
			t.Fatalf("incr(text): %v", err)
		}
	})

	t.Run("c-counter", func(t *testing.T) {
		c := e.spawn(t, "c-counter", host.Options{}, 5)
		if got := must[int64](t, c, "incr", -7); got != -2 {
			t.Fatalf("incr(-7) = %d", got)
		}
		if got := must[[]any](t, c, "echo", []any{"x", 1.5, nil}); len(got) != 3 {
			t.Fatalf("echo = %v", got)
		}
	})

	t.Run("kv", func(t *testing.T) {
		kv := e.spawn(t, "kv", host.Options{})
		if !must[bool](t, kv, "put", "a", map[string]any{"n": 1}) {
			t.Fatal("first put not new")
		}
		if must[bool](t, kv, "put", "a", 2) {
			t.Fatal("second put reported new")
		}
		must[bool](t, kv, "put", "b", []byte{1, 2})
		if got := must[int64](t, kv, "get", "a"); got != 2 {
			t.Fatalf("get a = %d", got)
		}
		if got := must[[]string](t, kv, "keys"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
			t.Fatalf("keys = %v", got)
		}
		if _, err := call[any](t, kv, "get", "zzz"); appCode(err) != "not_found" {
			t.Fatalf("get missing: %v", err)
		}
		if !must[bool](t, kv, "delete", "a") || must[int64](t, kv, "len") != 1 {
			t.Fatal("delete")
		}
	})

	t.Run("bank", func(t *testing.T) {
		b := e.spawn(t, "bank", host.Options{}, "ada", 100)
		if got := must[string](t, b, "owner"); got != "ada" {
			t.Fatalf("owner = %q", got)
		}
		if got := must[int64](t, b, "deposit", 50); got != 150 {
			t.Fatalf("deposit = %d", got)
		}
		if _, err := call[int64](t, b, "withdraw", 1000); appCode(err) != "insufficient_funds" {
			t.Fatalf("overdraw: %v", err)
		}
		if _, err := call[int64](t, b, "withdraw", -1); appCode(err) != "invalid_amount" {
			t.Fatalf("negative: %v", err)
		}
		if got := must[int64](t, b, "balance"); got != 150 {
			t.Fatalf("balance after failed withdrawals = %d", got)
		}
		if _, err := e.h.Spawn(context.Background(), e.classes["bank"], host.Options{}, "ada"); !errors.Is(err, host.ErrArity) {
			t.Fatalf("bank with one constructor argument: %v", err)
		}
	})

	t.Run("divmod", func(t *testing.T) {
		d := e.spawn(t, "divmod", host.Options{})
		ctx := context.Background()
		futs, err := d.Submit(ctx, "divmod", host.CallOptions{}, 17, 5)
		if err != nil || len(futs) != 2 {
			t.Fatalf("Submit: %d futures, %v", len(futs), err)
		}
		q, _ := host.Await[int64](ctx, futs[0])
		r, _ := host.Await[int64](ctx, futs[1])
		if q != 3 || r != 2 {
			t.Fatalf("divmod(17,5) = %d, %d", q, r)
		}
		futs, _ = d.Submit(ctx, "divmod", host.CallOptions{}, 1, 0)
		for _, f := range futs {
			if _, err := f.Get(ctx); appCode(err) != "division_by_zero" {
				t.Fatalf("division by zero: %v", err)
			}
		}
		if got := must[int64](t, d, "sum", []int64{1, 2, 3, 4}); got != 10 {
			t.Fatalf("sum = %d", got)
		}
	})

	t.Run("pipeline", func(t *testing.T) {
		ctx := context.Background()
		sq := e.spawn(t, "pipeline", host.Options{})
		col := e.spawn(t, "pipeline", host.Options{})
		var last *host.Future
		for x := 1; x <= 10; x++ {
			f, err := sq.Call(ctx, "square", x)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := sq.Call(ctx, "add", f, 1)
			if err != nil {
				t.Fatal(err)
			}
			if last, err = col.Call(ctx, "collect", sum); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := host.Await[int64](ctx, last); err != nil || n != 10 {
			t.Fatalf("collect count = %d, %v", n, err)
		}
		got := must[[]int64](t, col, "collected")
		for i, v := range got {
			if want := int64((i+1)*(i+1) + 1); v != want {
				t.Fatalf("collected[%d] = %d, want %d", i, v, want)
			}
		}
	})

	t.Run("misbehave", func(t *testing.T) {
		ctx := context.Background()
		bystander := e.spawn(t, "counter", host.Options{})
		bad := e.spawn(t, "misbehave", host.Options{CallTimeout: host.Ptr(200 * time.Millisecond), MaxRestarts: host.Ptr(-1)})
		var te *host.TrapError
		if _, err := call[int64](t, bad, "spin"); !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("spin: %v", err)
		}
		if _, err := call[int64](t, bad, "crash"); !errors.As(err, &te) || te.Reason != host.TrapGuest {
			t.Fatalf("crash: %v", err)
		}
		if got := must[string](t, bad, "ok"); got != "ok" {
			t.Fatalf("ok after traps = %q", got)
		}
		if got := must[string](t, bad, "whoami"); got != bad.ID() {
			t.Fatalf("whoami = %q", got)
		}
		must[bool](t, bad, "log", "hello from go")
		lines, _ := bad.Logs(0)
		found := 0
		for _, l := range lines {
			if l.Text == "hello from go" {
				found++
			}
		}
		if found != 2 { // once through wactor.log, once through stderr
			t.Fatalf("log lines: %+v", lines)
		}

		bomber := e.spawn(t, "misbehave", host.Options{MemoryPages: 1024})
		if _, err := call[int64](t, bomber, "bomb", 256); !errors.As(err, &te) || te.Reason != host.TrapMemory {
			t.Fatalf("bomb: %v", err)
		}
		if info := bomber.Info(); info.State != host.StateDead {
			t.Fatalf("bomber state %s, want dead (no restarts)", info.State)
		}

		leaver := e.spawn(t, "misbehave", host.Options{})
		bye, err := leaver.Call(ctx, "exit")
		if err != nil {
			t.Fatal(err)
		}
		// The actor may already be gone when the next call is made (the
		// call then fails at once) or not yet (its future fails): either way
		// with the actor's death by exit.
		after, err := leaver.Call(ctx, "ok")
		if err == nil {
			_, err = after.Get(ctx)
		}
		if v, err := host.Await[string](ctx, bye); err != nil || v != "bye" {
			t.Fatalf("exit: %q, %v", v, err)
		}
		var de *host.ActorDiedError
		if !errors.As(err, &de) || de.Reason != host.DeathExited {
			t.Fatalf("after exit: %v", err)
		}

		if _, err := e.h.Spawn(ctx, e.classes["misbehave"], host.Options{}, "trap"); !errors.As(err, &te) {
			t.Fatalf("trap in constructor: %v", err)
		}
		// None of it touched the bystander.
		if got := must[int64](t, bystander, "incr", 1); got != 1 {
			t.Fatalf("bystander = %d", got)
		}
	})
}

// TestActorToActor covers guests calling guests: sync and async calls,
// handles as arguments and results, deadlock detection, spawning and
// supervising children, and a parameter server shared by workers.
func TestActorToActor(t *testing.T) {
	e := setup(t)
	ctx := context.Background()

	t.Run("pingpong", func(t *testing.T) {
		a := e.spawn(t, "pingpong", host.Options{})
		b := e.spawn(t, "pingpong", host.Options{})
		// sum of (i+1) for i in 0..9 = 55
		if got := must[int64](t, a, "ping", b, 10); got != 55 {
			t.Fatalf("ping = %d", got)
		}
		if got := must[int64](t, a, "ping_async", b, 100); got != 5050 {
			t.Fatalf("ping_async = %d", got)
		}
		if b.Info().CallsServed != 110 {
			t.Fatalf("peer served %d calls, want 110", b.Info().CallsServed)
		}
	})

	t.Run("self call is a deadlock", func(t *testing.T) {
		a := e.spawn(t, "pingpong", host.Options{})
		start := time.Now()
		_, err := call[int64](t, a, "ping_self")
		if appCode(err) != "wactor.deadlock" {
			t.Fatalf("ping_self: %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("deadlock reported after %v", d)
		}
		// The actor is still usable.
		if got := must[int64](t, a, "pong", 1); got != 2 {
			t.Fatalf("pong after deadlock = %d", got)
		}
	})

	t.Run("three-actor cycle is a deadlock", func(t *testing.T) {
		a := e.spawn(t, "pingpong", host.Options{Name: "X"})
		b := e.spawn(t, "pingpong", host.Options{Name: "Y"})
		c := e.spawn(t, "pingpong", host.Options{Name: "Z"})
		if got := must[int64](t, a, "relay", []*host.Actor{b, c}); got != 2 {
			t.Fatalf("relay without a cycle = %d hops", got)
		}
		start := time.Now()
		_, err := call[int64](t, a, "relay", []*host.Actor{b, c, a})
		var ae *host.AppError
		if !errors.As(err, &ae) || ae.Code != "wactor.deadlock" {
			t.Fatalf("relay around a cycle: %v", err)
		}
		for _, name := range []string{"X(", "Y(", "Z("} {
			if !strings.Contains(ae.Message, name) {
				t.Fatalf("deadlock message %q does not name %s", ae.Message, name)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("deadlock reported after %v", d)
		}
		// All three are still alive and idle.
		for _, x := range []*host.Actor{a, b, c} {
			if got := must[int64](t, x, "pong", 0); got != 1 {
				t.Fatalf("%s after the deadlock: %d", x.Name(), got)
			}
		}
	})

	t.Run("two-actor cycle is a deadlock", func(t *testing.T) {
		// a.ping(b) makes b run pong... which does not call back; instead
		// make b ping a while a pings b: b's call to a waits behind a's
		// call, which waits for b.
		a := e.spawn(t, "pingpong", host.Options{Name: "A"})
		b := e.spawn(t, "pingpong", host.Options{Name: "B"})
		fa, err := a.Call(ctx, "ping", b, 1000)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := b.Call(ctx, "ping", a, 1000)
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, errA := fa.Get(wctx)
		_, errB := fb.Get(wctx)
		// No hang; whichever closed the cycle got wactor.deadlock (if the
		// two pings never overlapped, both simply succeed).
		for name, err := range map[string]error{"A": errA, "B": errB} {
			if err != nil && appCode(err) != "wactor.deadlock" {
				t.Fatalf("%s: %v", name, err)
			}
		}
		// The racing pings above may never overlap; a relay closes the
		// two-actor cycle every time: A -> B -> A.
		_, err = call[int64](t, a, "relay", []*host.Actor{b, a})
		if appCode(err) != "wactor.deadlock" {
			t.Fatalf("relay A -> B -> A: %v", err)
		}
	})

	t.Run("deadline while waiting for another actor", func(t *testing.T) {
		// B is busy for a long time (a million sync calls to C); A, with a
		// 300 ms deadline, waits behind it for B.pong. A's deadline must end
		// the wait itself, not only once B gets to A's call.
		a := e.spawn(t, "pingpong", host.Options{CallTimeout: host.Ptr(300 * time.Millisecond), MaxRestarts: host.Ptr(-1)})
		b := e.spawn(t, "pingpong", host.Options{CallTimeout: host.Ptr(5 * time.Minute)}) // the host's maximum (Config.MaxCallTimeout)
		c := e.spawn(t, "pingpong", host.Options{})
		busy, err := b.Call(ctx, "ping", c, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = call[int64](t, a, "ping", b, 1)
		var te *host.TrapError
		if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("A's call: %v, want a deadline trap", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("A's deadline ended its wait only after %v", d)
		}
		if busy.Ready() {
			t.Fatal("B finished first: the wait was not what the deadline ended")
		}
		// Killing B ends B's own wait on C the same way.
		if err := b.Kill(ctx); err != nil {
			t.Fatal(err)
		}
		var de *host.ActorDiedError
		if _, err := busy.Get(ctx); !errors.As(err, &de) {
			t.Fatalf("B's call after kill: %v", err)
		}
	})

	t.Run("supervisor", func(t *testing.T) {
		sup := e.spawn(t, "supervisor", host.Options{})
		kids := must[[]abi.Handle](t, sup, "start", e.classes["misbehave"], 3)
		if len(kids) != 3 {
			t.Fatalf("start returned %d children", len(kids))
		}
		if got := must[int64](t, sup, "check"); got != 0 {
			t.Fatalf("check with healthy children replaced %d", got)
		}
		// Kill one child from outside; the supervisor notices and replaces it.
		victim, err := e.h.Actor(ctx, kids[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := victim.Kill(ctx); err != nil {
			t.Fatal(err)
		}
		if got := must[int64](t, sup, "check"); got != 1 {
			t.Fatalf("check after a kill replaced %d, want 1", got)
		}
		now := must[[]abi.Handle](t, sup, "children")
		if len(now) != 3 || now[1] == kids[1] {
			t.Fatalf("children after replacement: %v", now)
		}
		// Children are owned by the supervisor: killing it kills them.
		if err := sup.Kill(ctx); err != nil {
			t.Fatal(err)
		}
		for _, k := range now {
			if _, err := e.h.Actor(ctx, k.ID); !errors.Is(err, host.ErrActorNotFound) {
				t.Fatalf("child %s outlived its owner: %v", k.ID, err)
			}
		}
	})

	t.Run("spawn quota", func(t *testing.T) {
		sup := e.spawn(t, "supervisor", host.Options{MaxChildren: host.Ptr(2)})
		_, err := call[[]abi.Handle](t, sup, "start", e.classes["counter"], 3)
		if appCode(err) != "wactor.quota" {
			t.Fatalf("third child past max_children 2: %v", err)
		}
		if kids := must[[]abi.Handle](t, sup, "children"); len(kids) != 2 {
			t.Fatalf("%d children kept", len(kids))
		}
	})

	t.Run("paramserver", func(t *testing.T) {
		server := e.spawn(t, "paramserver", host.Options{}, 4)
		const workers, steps = 4, 25
		futs := make([]*host.Future, workers)
		for i := range futs {
			w := e.spawn(t, "paramserver", host.Options{})
			f, err := w.Call(ctx, "work", server, steps, 1.0)
			if err != nil {
				t.Fatal(err)
			}
			futs[i] = f
		}
		for _, f := range futs {
			if n, err := host.Await[int64](ctx, f); err != nil || n != steps {
				t.Fatalf("worker: %d, %v", n, err)
			}
		}
		if v := must[int64](t, server, "version"); v != workers*steps {
			t.Fatalf("version = %d, want %d", v, workers*steps)
		}
		for _, p := range must[[]float64](t, server, "get") {
			if p < 0.99 || p > 1.01 {
				t.Fatalf("params did not converge to 1.0: %v", p)
			}
		}
	})
}
