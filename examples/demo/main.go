// Command demo spawns one actor of each example class and shows them at
// work: state, application errors, multi-return, futures flowing between
// actors, and misbehaving guests being contained. `make run` runs it.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/examples"
	"github.com/wactor/wactor/host"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	h, err := host.New(ctx, host.Config{})
	if err != nil {
		return err
	}
	defer h.Close(ctx)

	classes := map[string]string{}
	for _, name := range examples.Names() {
		wasm, err := examples.Wasm(name)
		if err != nil {
			return err
		}
		start := time.Now()
		c, err := h.LoadClass(ctx, wasm)
		if err != nil {
			return fmt.Errorf("load %s: %w", name, err)
		}
		classes[name] = c.ID
		fmt.Printf("loaded %-10s %7d bytes, %d methods, in %v\n", name, c.Size, len(c.Methods), time.Since(start).Round(time.Millisecond))
	}
	step := func(title string) { fmt.Printf("\n== %s\n", title) }

	step("counter (Go guest): state lives in the sandbox")
	counter, err := h.Spawn(ctx, classes["counter"], host.Options{Name: "counter"}, 10)
	if err != nil {
		return err
	}
	for i := 0; i < 3; i++ {
		show("counter.incr(5)", call[int64](ctx, counter, "incr", 5))
	}
	same, _ := h.Lookup(ctx, host.DefaultNamespace, "counter")
	show(`GetActor("counter").get()`, call[int64](ctx, same, "get"))

	step("c-counter (C guest, same ABI)")
	cc, err := h.Spawn(ctx, classes["c-counter"], host.Options{}, 100)
	if err != nil {
		return err
	}
	show("c-counter.incr(1)", call[int64](ctx, cc, "incr", 1))

	step("kv: a key-value store actor")
	kv, err := h.Spawn(ctx, classes["kv"], host.Options{})
	if err != nil {
		return err
	}
	call[bool](ctx, kv, "put", "lang", "go")
	call[bool](ctx, kv, "put", "engine", "wazero")
	show("kv.keys()", call[[]string](ctx, kv, "keys"))
	show(`kv.get("missing")`, call[any](ctx, kv, "get", "missing"))

	step("bank: application errors leave the actor alive")
	bank, err := h.Spawn(ctx, classes["bank"], host.Options{}, "ada", 100)
	if err != nil {
		return err
	}
	show("bank.withdraw(30)", call[int64](ctx, bank, "withdraw", 30))
	show("bank.withdraw(500)", call[int64](ctx, bank, "withdraw", 500))
	show("bank.balance()", call[int64](ctx, bank, "balance"))

	step("divmod: two return values (num_return_vals=2)")
	dm, err := h.Spawn(ctx, classes["divmod"], host.Options{})
	if err != nil {
		return err
	}
	futs, err := dm.Submit(ctx, "divmod", host.CallOptions{}, 17, 5)
	if err != nil {
		return err
	}
	q, _ := host.Await[int64](ctx, futs[0])
	r, _ := host.Await[int64](ctx, futs[1])
	fmt.Printf("  divmod(17, 5) -> futures %s, %s = %d, %d\n", futs[0].ID(), futs[1].ID(), q, r)
	show("divmod(1, 0)", call[[]int64](ctx, dm, "divmod", 1, 0))

	step("pipeline: futures passed from one actor to another, no round trip")
	squarer, err := h.Spawn(ctx, classes["pipeline"], host.Options{})
	if err != nil {
		return err
	}
	collector, err := h.Spawn(ctx, classes["pipeline"], host.Options{})
	if err != nil {
		return err
	}
	for x := 1; x <= 5; x++ {
		sq, err := squarer.Call(ctx, "square", x)
		if err != nil {
			return err
		}
		if _, err := collector.Call(ctx, "collect", sq); err != nil {
			return err
		}
	}
	show("collector.collected()", call[[]int64](ctx, collector, "collected"))

	step("misbehave: hostile guests are contained")
	bad, err := h.Spawn(ctx, classes["misbehave"], host.Options{CallTimeout: host.Ptr(200 * time.Millisecond), MemoryPages: 1024, MaxRestarts: host.Ptr(-1)})
	if err != nil {
		return err
	}
	show("misbehave.spin() with a 200ms deadline", call[int64](ctx, bad, "spin"))
	bomber, err := h.Spawn(ctx, classes["misbehave"], host.Options{MemoryPages: 1024})
	if err != nil {
		return err
	}
	show("misbehave.bomb(256 MiB) with a 64 MiB limit", call[int64](ctx, bomber, "bomb", 256))
	show("misbehave.crash()", call[int64](ctx, bad, "crash"))
	show("misbehave.ok() after all that", call[string](ctx, bad, "ok"))
	show("counter.get(), untouched", call[int64](ctx, counter, "get"))

	step("pingpong: actors calling actors through the host")
	pa, err := h.Spawn(ctx, classes["pingpong"], host.Options{Name: "ping"})
	if err != nil {
		return err
	}
	pb, err := h.Spawn(ctx, classes["pingpong"], host.Options{Name: "pong"})
	if err != nil {
		return err
	}
	start := time.Now()
	show("ping.ping(pong, 1000) (sync calls pong 1000x)", call[int64](ctx, pa, "ping", pb, 1000))
	fmt.Printf("  %-45s    %v per guest-to-guest round trip\n", "", (time.Since(start) / 1000).Round(time.Microsecond/10))
	show("ping.ping_async(pong, 1000) (futures)", call[int64](ctx, pa, "ping_async", pb, 1000))
	show("ping.ping_self() (would wait for itself)", call[int64](ctx, pa, "ping_self"))

	step("paramserver: Ray's parameter server, 4 workers holding its handle")
	ps, err := h.Spawn(ctx, classes["paramserver"], host.Options{Name: "ps"}, 4)
	if err != nil {
		return err
	}
	var work []*host.Future
	for i := 0; i < 4; i++ {
		w, err := h.Spawn(ctx, classes["paramserver"], host.Options{})
		if err != nil {
			return err
		}
		f, err := w.Call(ctx, "work", ps, 20, 1.0)
		if err != nil {
			return err
		}
		work = append(work, f)
	}
	for _, f := range work {
		if _, err := f.Get(ctx); err != nil {
			return err
		}
	}
	show("ps.version() after 4 workers x 20 steps", call[int64](ctx, ps, "version"))
	show("ps.get() (converging to 1.0)", call[[]float64](ctx, ps, "get"))

	step("supervisor: spawns children, notices a dead one, replaces it")
	sup, err := h.Spawn(ctx, classes["supervisor"], host.Options{Name: "sup"})
	if err != nil {
		return err
	}
	kids, err := host.Await[[]abi.Handle](ctx, mustCall(ctx, sup, "start", classes["misbehave"], 3))
	if err != nil {
		return err
	}
	fmt.Printf("  %-45s -> %d children\n", "sup.start(misbehave, 3)", len(kids))
	if victim, err := h.Actor(ctx, kids[0].ID); err == nil {
		_ = victim.Kill(ctx)
		fmt.Printf("  %-45s\n", "killed child "+kids[0].ID[:8]+" from outside")
	}
	show("sup.check() (children replaced)", call[int64](ctx, sup, "check"))

	step("actors")
	for _, a := range h.Actors() {
		fmt.Printf("  %s %-8s %-6s calls=%-3d restarts=%d mem=%dKiB\n", a.ID[:8], a.Name, a.State, a.CallsServed, a.Restarts, a.MemoryBytes>>10)
	}
	return nil
}

func mustCall(ctx context.Context, a *host.Actor, method string, args ...any) *host.Future {
	f, err := a.Call(ctx, method, args...)
	if err != nil {
		log.Fatal(err)
	}
	return f
}

type result struct {
	v   any
	err error
}

func call[T any](ctx context.Context, a *host.Actor, method string, args ...any) result {
	f, err := a.Call(ctx, method, args...)
	if err != nil {
		return result{err: err}
	}
	v, err := host.Await[T](ctx, f)
	return result{v, err}
}

func show(what string, r result) {
	if r.err != nil {
		var ae *host.AppError
		var te *host.TrapError
		switch {
		case errors.As(r.err, &ae):
			fmt.Printf("  %-45s -> application error %s: %s\n", what, ae.Code, ae.Message)
		case errors.As(r.err, &te):
			out := strings.TrimSpace(te.GuestOutput)
			if i := strings.IndexByte(out, '\n'); i >= 0 {
				out = out[:i]
			}
			fmt.Printf("  %-45s -> contained: %s (%s) %s\n", what, te.Reason, te.Message, out)
		default:
			fmt.Printf("  %-45s -> error: %v\n", what, r.err)
		}
		return
	}
	fmt.Printf("  %-45s -> %v\n", what, r.v)
}

func init() { log.SetOutput(os.Stderr) }
