//go:build !wasip1

package wactor

// Guest-side call cost, measured on examples/counter/counter.wasm under
// wazero (see harness_test.go):
//
//	go test ./guest-sdk/go -run '^$' -bench . -benchmem
//
// BenchmarkBareCall is the floor: an exported call that does nothing
// (wactor_abi_version). BenchmarkIncr is a whole method call as the host
// makes it: wactor_alloc, write the arguments [1], call incr, read the
// envelope. The difference is the SDK's per-call cost plus one more export
// call (wactor_alloc).

import (
	"context"
	"testing"
)

func BenchmarkBareCall(b *testing.B) {
	g := newGuest(b, "counter", guestKey{compiler: true})
	f := g.fn("wactor_abi_version")
	stack := make([]uint64, 1)
	ctx := context.Background()
	for b.Loop() {
		if err := f.CallWithStack(ctx, stack); err != nil {
			b.Fatal(err)
		}
	}
	if stack[0] != 1 {
		b.Fatalf("wactor_abi_version = %d", stack[0])
	}
}

func BenchmarkIncr(b *testing.B) {
	g := newGuest(b, "counter", guestKey{compiler: true})
	ctx := context.Background()
	alloc, incr, mem := g.alloc, g.fn("incr"), g.mod.Memory()
	stack := make([]uint64, 2)
	args := []byte{0x81, 0x01} // [1]
	for b.Loop() {
		stack[0] = uint64(len(args))
		if err := alloc.CallWithStack(ctx, stack); err != nil {
			b.Fatal(err)
		}
		ptr := uint32(stack[0])
		if !mem.Write(ptr, args) {
			b.Fatal("write out of bounds")
		}
		stack[0], stack[1] = uint64(ptr), uint64(len(args))
		if err := incr.CallWithStack(ctx, stack); err != nil {
			b.Fatal(err)
		}
		env, ok := mem.Read(uint32(stack[0]>>32), uint32(stack[0]))
		if !ok || len(env) < 3 || env[0] != 0x82 || env[1] != 0x00 {
			b.Fatalf("bad envelope % x", env)
		}
	}
	// The counter really counted every call.
	if v := g.must(b, "get"); v.(int64) < int64(b.N) {
		b.Fatalf("get = %v after %d calls", v, b.N)
	}
}

// BenchmarkIncrCallOnly is BenchmarkIncr without wactor_alloc and the
// memory write: the arguments stay in the input buffer (the SDK does not
// modify it), so only the incr export and the envelope read are measured.
func BenchmarkIncrCallOnly(b *testing.B) {
	g := newGuest(b, "counter", guestKey{compiler: true})
	ctx := context.Background()
	incr, mem := g.fn("incr"), g.mod.Memory()
	stack := []uint64{2, 0}
	if err := g.alloc.CallWithStack(ctx, stack); err != nil {
		b.Fatal(err)
	}
	ptr := stack[0]
	mem.Write(uint32(ptr), []byte{0x81, 0x01})
	for b.Loop() {
		stack[0], stack[1] = ptr, 2
		if err := incr.CallWithStack(ctx, stack); err != nil {
			b.Fatal(err)
		}
		if env, ok := mem.Read(uint32(stack[0]>>32), uint32(stack[0])); !ok || env[0] != 0x82 {
			b.Fatal("bad envelope")
		}
	}
}

// BenchmarkIncrNative runs the same method through the SDK natively (no
// WebAssembly): the SDK's own share of the cost.
func BenchmarkIncrNative(b *testing.B) {
	args := []byte{0x81, 0x01}
	b.ReportAllocs()
	for b.Loop() {
		if env := tAllocIncr.invoke(args); env[0] != 0x82 {
			b.Fatal("bad envelope")
		}
	}
}
