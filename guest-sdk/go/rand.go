package wactor

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
)

// The actor's random generator. A host copies a sandbox's whole memory when
// it forks an actor or spawns one from its class's template, so any
// generator state in memory (math/rand's top-level functions, which use
// the Go runtime's) would repeat in every copy. The host calls the
// wactor_reseed export after such a copy; Rand is reseeded then.
var (
	randMu   sync.Mutex
	randSrc  *rand.ChaCha8
	randGen  *rand.Rand
	onReseed []func()
)

// Rand returns the actor's random generator: seeded from the host's random
// source, and reseeded whenever the host copies the actor's state into a
// new actor (a fork, or a spawn from the class template), so that copies
// do not repeat each other's numbers. Prefer it, or crypto/rand, to
// math/rand's top-level functions, whose state copies share. It is not safe
// for concurrent use (nor is the actor's code).
func Rand() *rand.Rand {
	randMu.Lock()
	defer randMu.Unlock()
	if randGen == nil {
		randSrc = rand.NewChaCha8(freshSeed())
		randGen = rand.New(randSrc)
	}
	return randGen
}

// OnReseed registers fn to run after the host copied the actor's state into
// a new actor, before that actor's first call: the place to reseed
// generators of the guest's own.
func OnReseed(fn func()) {
	randMu.Lock()
	onReseed = append(onReseed, fn)
	randMu.Unlock()
}

// reseed runs when the host calls wactor_reseed.
func reseed() {
	randMu.Lock()
	if randSrc != nil {
		randSrc.Seed(freshSeed())
	}
	fns := append([]func(){}, onReseed...)
	randMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

func freshSeed() [32]byte {
	var seed [32]byte
	randomBytes(seed[:])
	return seed
}

// fallbackSeed mixes a counter into the seed where no random source exists
// (tests on the host).
var fallbackSeed uint64

func counterBytes(b []byte) {
	for i := 0; i+8 <= len(b); i += 8 {
		fallbackSeed += 0x9e3779b97f4a7c15
		binary.LittleEndian.PutUint64(b[i:], fallbackSeed)
	}
}
