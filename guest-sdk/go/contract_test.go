//go:build !wasip1

package wactor

import (
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
)

// TestSpawnOptions_MatchABI: the options map the SDK encodes for the spawn
// import decodes into abi's schema (the one the host reads) field for field.
func TestSpawnOptions_MatchABI(t *testing.T) {
	o := SpawnOptions{Name: "n", Namespace: "ns", Detached: true, GetIfExists: true, MaxRestarts: 3, MemoryPages: 7, CallTimeoutMS: 9}
	b, err := o.encode()
	if err != nil {
		t.Fatal(err)
	}
	var got abi.SpawnOptions
	if err := codec.Decode(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != o.Name || got.Namespace != o.Namespace || got.Detached != o.Detached || got.GetIfExists != o.GetIfExists ||
		got.MaxRestarts == nil || *got.MaxRestarts != o.MaxRestarts || got.MemoryPages != o.MemoryPages ||
		got.CallTimeoutMS == nil || *got.CallTimeoutMS != o.CallTimeoutMS {
		t.Fatalf("the host reads %+v from %+v", got, o)
	}
	if b, err := (SpawnOptions{}).encode(); err != nil || b != nil {
		t.Fatalf("zero options encode as %x, %v", b, err)
	}
}
