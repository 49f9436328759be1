// Package waitgraph records which party each blocked party waits for (for
// the host, which actor a guest call waits for), to refuse a wait that
// would close a cycle instead of letting it hang until a deadline.
package waitgraph

import "sync"

// maxChain bounds the walk of a chain of waits: past it, a wait is
// accepted unchecked rather than walking on while holding the lock.
const maxChain = 10000

// Graph maps each waiting T to the T it waits for. The zero T means
// nobody (a wait for nobody ends every chain). The zero Graph is empty.
// Safe for concurrent use.
type Graph[T comparable] struct {
	mu sync.Mutex
	on map[T]T
}

// Add records that a waits for b, unless that closes a cycle: it then
// records nothing and returns the cycle, from a through b and on back to a.
func (g *Graph[T]) Add(a, b T) (cycle []T) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var zero T
	chain := []T{a}
	for x := b; x != zero; x = g.on[x] {
		chain = append(chain, x)
		if x == a {
			return chain
		}
		if len(chain) > maxChain {
			break
		}
	}
	if g.on == nil {
		g.on = map[T]T{}
	}
	g.on[a] = b
	return nil
}

// Remove removes a's wait.
func (g *Graph[T]) Remove(a T) {
	g.mu.Lock()
	delete(g.on, a)
	g.mu.Unlock()
}

// RemoveIf removes a's wait if it is for b.
func (g *Graph[T]) RemoveIf(a, b T) {
	g.mu.Lock()
	if g.on[a] == b {
		delete(g.on, a)
	}
	g.mu.Unlock()
}

// WaitsFor returns what a waits for (the zero T if nothing).
func (g *Graph[T]) WaitsFor(a T) T {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.on[a]
}
