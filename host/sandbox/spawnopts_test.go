package sandbox

import (
	"errors"
	"reflect"
	"testing"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
)

// FuzzDecodeSpawnOptions: the spawn import's options map comes from a
// guest's memory. Whatever the bytes, decoding returns (no panic); it fails
// only with ErrInvalidArgument, and what it accepts encodes and decodes
// again to the same options.
func FuzzDecodeSpawnOptions(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte(codec.MustEncode(map[string]any{"name": "kid", "max_restarts": 0, "call_timeout_ms": 250, "detached": true})))
	f.Add([]byte(codec.MustEncode(map[string]any{"namespace": "ns", "memory_pages": 64, "get_if_exists": true})))
	f.Add([]byte(codec.MustEncode(map[string]any{"max_restarts": "x"})))
	f.Add([]byte{0xa1, 0x61, 'n', 0xf6})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var o abi.SpawnOptions
		err := decodeSpawnOptions(raw, &o)
		if err != nil {
			if !errors.Is(err, api.ErrInvalidArgument) {
				t.Fatalf("error %v does not wrap ErrInvalidArgument", err)
			}
			return
		}
		var again abi.SpawnOptions
		if err := decodeSpawnOptions(codec.MustEncode(o), &again); err != nil {
			t.Fatalf("re-encoded options %+v: %v", o, err)
		}
		if !reflect.DeepEqual(o, again) {
			t.Fatalf("round trip: %+v became %+v", o, again)
		}
	})
}
