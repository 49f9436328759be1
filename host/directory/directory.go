// Package directory is the host's directory of live actors: which actor has
// which ID, which name in which namespace, and which actors an owner (a
// session, a parent actor) owns, so that they die with it.
//
// Today it is local and in memory, one per host. In a cluster it becomes a
// view of a shared store (a NATS KV bucket: actor ID to node, and names per
// namespace, with atomic create), so its contract is kept small: Register
// is the only way to take a name, and with get-if-exists it is a
// get-or-create that gives the name to exactly one of concurrent spawns;
// Forget gives it back. Everything else the host decides (quotas, death of
// children, events) stays in the host, behind the Hooks.
//
// The directory knows nothing of actors beyond Entry: it is generic over the
// host's record type.
package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/wactor/wactor/api"
)

// Key is what the directory files an entry under: its ID (NewID), unique
// in the directory, its name in its namespace (Name "" for an unnamed
// actor), and its class ID, which get-if-exists compares.
type Key struct {
	ID, Namespace, Name, Class string
}

// NewID returns a fresh entry ID: 128 random bits in hex, unique without
// coordination (also across the nodes of a cluster).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Entry is what the directory needs of the host's actor record A (a
// pointer type, compared by identity).
type Entry[A comparable] interface {
	comparable
	// Key is read once, by Register; the directory keeps it.
	Key() Key
	// Children is the owner of the entries this one spawns, closed when it
	// is forgotten (nil: it owns none). Read once, by Register.
	Children() *Owner[A]
	// Ready is closed once its constructor has finished, or failed (after
	// it was forgotten).
	Ready() <-chan struct{}
	// Started reports whether its constructor finished successfully:
	// Actor and Lookup do not return entries still starting.
	Started() bool
	// Damaged is non-nil while the entry is damaged: Actor and Lookup
	// return it instead of the entry.
	Damaged() error
}

// Owner is what entries can belong to: a session or a parent actor (entries
// registered without an owner belong to the host and live until killed).
// Its zero value is an open owner without a limit; the directory guards the
// rest.
type Owner[A comparable] struct {
	// Limit is the most entries it may own at once (0: no limit); set it
	// before the owner is used.
	Limit  int
	owned  map[A]struct{}
	closed bool
}

// Hooks are the host's policy, called with the directory's lock held so
// that they are atomic with the registration they decide. They must not
// call back into the directory.
type Hooks[A any] struct {
	// Admit, if set, is asked once the name is free: an error (a namespace
	// quota) refuses the registration.
	Admit func(a A) error
	// Release, if set, undoes Admit when a registered entry is forgotten.
	Release func(a A)
}

// record is what the directory keeps of a registered entry.
type record[A comparable] struct {
	key             Key
	owner, children *Owner[A]
}

// name is a name in its namespace.
type name struct{ namespace, name string }

// Directory holds the registered entries. Create it with New; it is safe
// for concurrent use (its mutex is a leaf apart from the Hooks it calls).
type Directory[A Entry[A]] struct {
	hooks   Hooks[A]
	mu      sync.Mutex
	closed  bool
	entries map[A]record[A]
	byID    map[string]A
	names   map[name]A
}

// New returns an empty directory with the host's hooks.
func New[A Entry[A]](hooks Hooks[A]) *Directory[A] {
	return &Directory[A]{hooks: hooks, entries: map[A]record[A]{}, byID: map[string]A{}, names: map[name]A{}}
}

// Register adds a, reserves its name and makes it owned by owner (nil: the
// host); existing is then the zero A. It fails with api.ErrNameTaken if the
// name is taken, api.ErrClosed after Close, api.ErrActorDied when the owner
// is gone, api.ErrQuota when the owner has its Limit of entries, and with
// what Hooks.Admit returns.
//
// With getIfExists it is a get-or-create: if the name is taken, it waits
// (or for ctx) until the entry that has it is started and returns it as
// existing, without registering a; concurrent calls register exactly one
// entry. The existing entry's Damaged error, or api.ErrNameTaken if it is
// of another class, fails it; if the existing entry fails to start (and so
// gives the name up), Register tries again.
func (d *Directory[A]) Register(ctx context.Context, a A, owner *Owner[A], getIfExists bool) (existing A, err error) {
	var none A
	k := a.Key()
	for {
		existing, err := d.register(a, k, owner, getIfExists)
		if err != nil || existing == none {
			return existing, err
		}
		select {
		case <-existing.Ready():
		case <-ctx.Done():
			return none, ctx.Err()
		}
		if !existing.Started() {
			continue // it failed and released the name: try to be the one
		}
		if err := existing.Damaged(); err != nil {
			return none, err // it keeps its name until an operator decides
		}
		if c := existing.Key().Class; c != k.Class {
			return none, fmt.Errorf("%w: %q exists with class %s", api.ErrNameTaken, k.Name, c)
		}
		return existing, nil
	}
}

// register is one attempt of Register: with getIfExists and the name
// taken, it returns the entry that has it.
func (d *Directory[A]) register(a A, k Key, owner *Owner[A], getIfExists bool) (existing A, err error) {
	var none A
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return none, api.ErrClosed
	}
	if owner != nil {
		if owner.closed {
			return none, fmt.Errorf("%w: owner is gone", api.ErrActorDied)
		}
		if owner.Limit > 0 && len(owner.owned) >= owner.Limit {
			return none, fmt.Errorf("%w: owner has %d live children (max_children)", api.ErrQuota, len(owner.owned))
		}
	}
	n := name{k.Namespace, k.Name}
	if k.Name != "" {
		if other, taken := d.names[n]; taken {
			if getIfExists {
				return other, nil
			}
			return none, fmt.Errorf("%w: %q in namespace %q", api.ErrNameTaken, k.Name, k.Namespace)
		}
	}
	if d.hooks.Admit != nil {
		if err := d.hooks.Admit(a); err != nil {
			return none, err
		}
	}
	if k.Name != "" {
		d.names[n] = a
	}
	d.byID[k.ID] = a
	if owner != nil {
		if owner.owned == nil {
			owner.owned = map[A]struct{}{}
		}
		owner.owned[a] = struct{}{}
	}
	d.entries[a] = record[A]{key: k, owner: owner, children: a.Children()}
	return none, nil
}

// Forget removes a (dead, or never started), releases its name, detaches
// it from its owner and closes its Children owner. It returns the entries a
// owned, which the host kills. Forgetting an entry twice, or one never
// registered, only returns its children.
func (d *Directory[A]) Forget(a A) (children []A) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.entries[a]
	if !ok {
		return d.closeOwner(a.Children())
	}
	delete(d.entries, a)
	delete(d.byID, r.key.ID)
	if r.key.Name != "" {
		delete(d.names, name{r.key.Namespace, r.key.Name})
	}
	if r.owner != nil {
		delete(r.owner.owned, a)
	}
	if d.hooks.Release != nil {
		d.hooks.Release(a)
	}
	return d.closeOwner(r.children)
}

// CloseOwner closes o: later registrations with it fail, and it returns the
// entries o owned, which the host kills. ok is false if o was closed
// already.
func (d *Directory[A]) CloseOwner(o *Owner[A]) (owned []A, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if o.closed {
		return nil, false
	}
	return d.closeOwner(o), true
}

func (d *Directory[A]) closeOwner(o *Owner[A]) []A {
	if o == nil {
		return nil
	}
	o.closed = true
	owned := make([]A, 0, len(o.owned))
	for a := range o.owned {
		owned = append(owned, a)
	}
	return owned
}

// Find returns the registered entry with that ID, started or not, damaged
// or not; api.ErrActorNotFound if there is none.
func (d *Directory[A]) Find(id string) (A, error) {
	d.mu.Lock()
	a, ok := d.byID[id]
	d.mu.Unlock()
	if !ok {
		return a, fmt.Errorf("%w: %s", api.ErrActorNotFound, id)
	}
	return a, nil
}

// Actor returns the started entry with that ID: api.ErrActorNotFound if
// there is none, its Damaged error if it is damaged, ctx's error if it is
// done (a directory in a cluster asks over the network).
func (d *Directory[A]) Actor(ctx context.Context, id string) (A, error) {
	if err := ctx.Err(); err != nil {
		var none A
		return none, err
	}
	d.mu.Lock()
	a, ok := d.byID[id]
	d.mu.Unlock()
	if !ok || !a.Started() {
		var none A
		return none, fmt.Errorf("%w: %s", api.ErrActorNotFound, id)
	}
	return usable(a)
}

// Lookup returns the started entry with that name in namespace:
// api.ErrInvalidName for a name or namespace that breaks the name grammar
// (api.CheckName: no entry can have it), api.ErrActorNotFound if there is
// none, its Damaged error if it is damaged, ctx's error if it is done.
func (d *Directory[A]) Lookup(ctx context.Context, namespace, actorName string) (A, error) {
	var none A
	if err := ctx.Err(); err != nil {
		return none, err
	}
	if err := api.CheckName("namespace", namespace); err != nil {
		return none, err
	}
	if err := api.CheckName("actor name", actorName); err != nil {
		return none, err
	}
	d.mu.Lock()
	a, ok := d.names[name{namespace, actorName}]
	d.mu.Unlock()
	if !ok || !a.Started() {
		return none, fmt.Errorf("%w: no actor named %q in namespace %q", api.ErrActorNotFound, actorName, namespace)
	}
	return usable(a)
}

func usable[A Entry[A]](a A) (A, error) {
	if err := a.Damaged(); err != nil {
		var none A
		return none, err
	}
	return a, nil
}

// List returns the registered entries, in no particular order.
func (d *Directory[A]) List() []A {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.list()
}

func (d *Directory[A]) list() []A {
	list := make([]A, 0, len(d.byID))
	for _, a := range d.byID {
		list = append(list, a)
	}
	return list
}

// Close refuses further registrations and returns the registered entries,
// which the host kills (they forget themselves). ok is false if it was
// closed already.
func (d *Directory[A]) Close() (entries []A, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, false
	}
	d.closed = true
	return d.list(), true
}
