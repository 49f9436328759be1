package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/wactor/wactor/host"
)

// Example loads the C counter class, spawns an actor, calls it and passes a
// future from one call into another.
func Example() {
	ctx := context.Background()
	h, err := host.New(ctx, host.Config{})
	if err != nil {
		panic(err)
	}
	defer h.Close(ctx)

	wasm, err := os.ReadFile("../examples/c-counter/counter.wasm")
	if err != nil {
		panic(err)
	}
	class, err := h.LoadClass(ctx, wasm)
	if err != nil {
		panic(err)
	}
	counter, err := h.Spawn(ctx, class.ID, host.Options{Name: "counter"}, 10)
	if err != nil {
		panic(err)
	}

	f, _ := counter.Call(ctx, "incr", 5)
	sum, _ := counter.Call(ctx, "add", f, 100) // runs once f is ready
	n, _ := host.Await[int64](ctx, sum)
	fmt.Println(n)

	_, err = counter.Invoke(ctx, "fail")
	var appErr *host.AppError
	fmt.Println(errors.As(err, &appErr), appErr.Code)
	// Output:
	// 115
	// true c_error
}

// ExampleHost_GetActor finds a named actor from another part of a program.
func ExampleHost_Lookup() {
	ctx := context.Background()
	h, _ := host.New(ctx, host.Config{})
	defer h.Close(ctx)
	wasm, _ := os.ReadFile("../examples/c-counter/counter.wasm")
	class, _ := h.LoadClass(ctx, wasm)
	_, _ = h.Spawn(ctx, class.ID, host.Options{Name: "hits"}, 0)

	hits, err := h.Lookup(ctx, host.DefaultNamespace, "hits")
	if err != nil {
		panic(err)
	}
	v, _ := hits.Invoke(ctx, "incr", 1)
	fmt.Println(v)
	// Output: 1
}

// ExampleActor_Submit asks for two results of one call (Ray's
// num_return_vals).
func ExampleActor_Submit() {
	ctx := context.Background()
	h, _ := host.New(ctx, host.Config{})
	defer h.Close(ctx)
	wasm, _ := os.ReadFile("testdata/multi_in_single.wasm")
	class, _ := h.LoadClass(ctx, wasm)
	a, _ := h.Spawn(ctx, class.ID, host.Options{})

	futs, _ := a.Submit(ctx, "pair", host.CallOptions{NumReturns: 2})
	x, _ := host.Await[int](ctx, futs[0])
	y, _ := host.Await[int](ctx, futs[1])
	fmt.Println(x, y)
	// Output: 7 8
}
