package snapshots

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// heapMemory returns size bytes that look like a Go guest's linear memory:
// mostly zero pages, pages of pointer-sized words (pointers, small
// integers, zeros), some text and a few pages of random bytes.
func heapMemory(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	m := make([]byte, size)
	words := []string{"actor", "counter", "wactor", "snapshot", "memory", "page", "call", "value", " ", "\n", "{\"id\":", "}"}
	for off := 0; off < size; off += PageSize {
		p := m[off:min(off+PageSize, size)]
		switch x := r.IntN(100); {
		case x < 60: // never touched
		case x < 84: // heap objects: {pointer, len, cap, small int} structs
			ptr := 0x00c000000000 + uint64(r.IntN(1<<20))*64
			for i := 0; i+32 <= len(p); i += 32 {
				if r.IntN(8) == 0 {
					continue // a free slot
				}
				if r.IntN(4) == 0 {
					ptr += uint64(r.IntN(64)) * 16
				}
				n := uint64(r.IntN(16))
				le.PutUint64(p[i:], ptr)
				le.PutUint64(p[i+8:], n)
				le.PutUint64(p[i+16:], n+uint64(r.IntN(2))*8)
				le.PutUint64(p[i+24:], uint64(r.IntN(3)))
				ptr += 32
			}
		case x < 98: // strings: JSON-like records
			for i, n := 0, r.IntN(1000); i < len(p); n++ {
				i += copy(p[i:], fmt.Sprintf(`{"id":%d,"name":"%s-%d","calls":%d}`+"\n", n, words[r.IntN(len(words))], r.IntN(100), r.IntN(10)))
			}
		default: // compressed or random data
			for i := 0; i+8 <= len(p); i += 8 {
				le.PutUint64(p[i:], r.Uint64())
			}
		}
	}
	return m
}

// dirtied returns a copy of mem in which each listed page has a few
// changed words, like a call's stack and heap writes.
func dirtied(mem []byte, pages []int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	out := append([]byte(nil), mem...)
	for _, p := range pages {
		pg := out[p*PageSize : min((p+1)*PageSize, len(out))]
		for range 32 {
			i := r.IntN(len(pg))
			pg[i] ^= byte(1 + r.IntN(255))
		}
	}
	return out
}

// spread returns n distinct page indices spread over total pages.
func spread(n, total int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 3))
	return r.Perm(total)[:min(n, total)]
}

// goGlobals are globals like a Go wasip1 guest's eight.
func goGlobals(seed uint64) map[uint32]uint64 {
	g := map[uint32]uint64{}
	for i := range uint32(8) {
		g[i] = seed*1000 + uint64(i)
	}
	return g
}

var testEpoch = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)

// newState makes a State of an actor after calls calls.
func newState(actorID string, mem []byte, calls uint64) *State {
	taken := testEpoch.Add(time.Duration(calls) * time.Second)
	return &State{
		ID:      NewID(actorID, taken),
		ClassID: "class-1",
		ActorID: actorID,
		Memory:  ImageOf(mem),
		Globals: goGlobals(calls),
		Taken:   taken,
		Calls:   calls,
	}
}

// sparseMemory returns size bytes of mostly zero memory with a few words
// set in each page: cheap to encode, for tests of stores.
func sparseMemory(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 4))
	m := make([]byte, size)
	for off := 0; off+8 <= size; off += 4096 {
		le.PutUint64(m[off+r.IntN(4088):], r.Uint64())
	}
	return m
}

// usedPages returns n distinct pages of mem that are not all zero (or as
// many as there are): a call writes to pages in use, its stack and heap.
func usedPages(mem []byte, n int, seed uint64) []int {
	var used []int
	for off := 0; off < len(mem); off += PageSize {
		for _, b := range mem[off:min(off+PageSize, len(mem))] {
			if b != 0 {
				used = append(used, off/PageSize)
				break
			}
		}
	}
	r := rand.New(rand.NewPCG(seed, 5))
	r.Shuffle(len(used), func(i, j int) { used[i], used[j] = used[j], used[i] })
	return used[:min(n, len(used))]
}
