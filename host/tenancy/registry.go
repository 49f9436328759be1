package tenancy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/journal"
	"github.com/wactor/wactor/host/sandbox"
)

// Namespaces are walls (docs/SEMANTICS.md, "Namespaces"): an actor reaches
// only actors of its own namespace through the guest imports, and a
// namespace uses only the classes visible to it. A class is visible to a
// namespace that loaded it (LoadIn) and, if it was loaded through Load (an
// embedder's trusted classes), to every namespace. Class IDs are content
// addresses, so a namespace that uploads bytes another one uploaded gets
// the same class, and its own claim on it; docs/RATIONALE.md ("Why are
// classes per namespace?") says why.

// RegistryConfig is what a Registry needs of its host.
type RegistryConfig struct {
	// Engine compiles the classes.
	Engine *sandbox.Engine
	// Store keeps the classes and their claims; nil keeps nothing.
	Store *journal.Store
	// Namespaces gives the class quotas (Quota.Classes, Quota.ClassBytes).
	Namespaces *Namespaces
	// MaxClassBytes bounds a module's size (Config.MaxClassBytes).
	MaxClassBytes int
	// MemoryBudget bounds the modules' and templates' bytes together
	// (Config.ClassMemoryBudget).
	MemoryBudget int64
	// MemoryPages is the memory limit of the sandbox that runs a class's
	// load-time code (Config.Defaults.MemoryPages).
	MemoryPages uint32
	// Templates: keep each class's state after its load-time code as a
	// template that spawns start from (not Config.ColdSpawn).
	Templates bool
	// Stop is closed when the host closes: loads in progress stop.
	Stop <-chan struct{}
	// Logger logs loads and damaged claims files.
	Logger *slog.Logger
	// InUse returns the ID of a live actor that uses c, of namespace (of
	// any namespace if namespace is ""), or "" if none does: classes in
	// use are not unloaded. The Registry calls it without holding
	// Registry.mu.
	InUse func(c *Class, namespace string) (actorID string)
	// Forbidden reports a refused access (op "delete_class") to the host's
	// observer; nil reports nothing.
	Forbidden func(ForbiddenEvent)
}

// Registry is a host's loaded classes: it compiles each module once, even
// when loads of the same bytes race, records which namespaces claim each
// class against their class quotas, and keeps classes and claims in the
// host's data (RegistryConfig.Store). Safe for concurrent use.
type Registry struct {
	cfg    RegistryConfig
	budget budget

	// claimMu serializes changes to which namespaces hold a class, and to
	// the class files; it is taken before mu.
	claimMu sync.Mutex
	// mu guards what follows; a leaf.
	mu      sync.Mutex
	closed  bool
	classes map[string]*Class
	loading map[string]chan struct{}
	use     map[string]*classUse // each namespace's class claims
}

// classUse is what one namespace's class claims add up to. Guarded by
// Registry.mu.
type classUse struct {
	count int
	bytes int64
}

// claims is what a load records on a class: visible to every namespace
// (global), or claimed by namespaces.
type claims struct {
	global     bool
	namespaces []string
	// quota: check the namespaces' class quotas (not when a host brings
	// back what it had).
	quota bool
}

// NewRegistry returns an empty Registry.
func NewRegistry(cfg RegistryConfig) *Registry {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Registry{cfg: cfg, classes: map[string]*Class{}, loading: map[string]chan struct{}{}, use: map[string]*classUse{}}
	r.budget.limit = cfg.MemoryBudget
	return r
}

// Load validates and compiles a module and returns its class (Host.LoadClass).
// The class ID is the module's content address, so loading the same bytes
// again returns the loaded class at no cost. Bad modules fail with a
// *api.ModuleError (ErrInvalidModule) that says why; oversized ones with
// ErrTooLarge. A class loaded by Load is trusted: visible to every
// namespace and outside their quotas.
func (r *Registry) Load(ctx context.Context, wasm []byte) (api.ClassInfo, error) {
	return r.load(ctx, wasm, claims{global: true})
}

// LoadIn loads a module on behalf of namespace (a tenant's upload,
// Host.LoadClassIn): the class is visible to namespace (and to the
// namespaces that loaded the same bytes, and to every namespace if Load
// loaded them too). The class counts against namespace's class quota
// (count and uploaded bytes): over it, LoadIn fails with ErrQuota before
// compiling. Loading the same bytes again is free. Errors as Load.
func (r *Registry) LoadIn(ctx context.Context, namespace string, wasm []byte) (api.ClassInfo, error) {
	if err := api.CheckName("namespace", namespace); err != nil {
		return api.ClassInfo{}, err
	}
	return r.load(ctx, wasm, claims{namespaces: []string{namespace}, quota: true})
}

// Recover loads the classes saved in the host's data (RegistryConfig.Store)
// with the claims saved beside them, at startup. A class whose content does
// not match its ID, or that does not load, is logged and left in place
// (its actors come back damaged). A damaged claims file is logged and its
// class comes back visible to no namespace (until one loads it again):
// never to more namespaces than before. It fails only if the saved classes
// cannot be listed.
func (r *Registry) Recover(ctx context.Context) error {
	files, err := r.cfg.Store.Classes()
	if err != nil {
		return fmt.Errorf("host: reading saved classes: %w", err)
	}
	log := r.cfg.Logger
	for _, cf := range files {
		if ClassID(cf.Wasm) != cf.ID {
			log.Error("saved class is corrupt (its content does not match its ID); left in place, its actors are damaged",
				slog.String("class", cf.ID))
			continue
		}
		if err := r.recoverClass(ctx, cf.Wasm); err != nil {
			log.Error("saved class does not load; left in place, its actors are damaged", slog.String("class", cf.ID), slog.Any("err", err))
		}
	}
	return nil
}

// recoverClass loads a saved class with its saved claims.
func (r *Registry) recoverClass(ctx context.Context, wasm []byte) error {
	id := ClassID(wasm)
	o, ok, err := r.cfg.Store.LoadOwners(id)
	cl := claims{global: !ok && err == nil}
	if err != nil {
		r.cfg.Logger.Error("saved class namespaces unreadable: the class is visible to no namespace until loaded again", slog.String("class", id), slog.Any("err", err))
	}
	if ok {
		cl.global, cl.namespaces = o.Global, o.Namespaces
	}
	_, err = r.load(ctx, wasm, cl)
	return err
}

// load loads wasm (once per ID) and records cl on the class.
func (r *Registry) load(ctx context.Context, wasm []byte, cl claims) (api.ClassInfo, error) {
	if len(wasm) > r.cfg.MaxClassBytes {
		return api.ClassInfo{}, fmt.Errorf("%w: module of %d bytes exceeds the limit of %d", api.ErrTooLarge, len(wasm), r.cfg.MaxClassBytes)
	}
	id := ClassID(wasm)
	if err := r.precheckClaims(id, len(wasm), cl); err != nil {
		return api.ClassInfo{}, err
	}
	var ch chan struct{}
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return api.ClassInfo{}, api.ErrClosed
		}
		if c, ok := r.classes[id]; ok {
			r.mu.Unlock()
			r.claimMu.Lock()
			err := r.claimLocked(c, cl)
			r.claimMu.Unlock()
			if errors.Is(err, errClassGone) {
				continue
			}
			if err != nil {
				return api.ClassInfo{}, err
			}
			return c.Info, nil
		}
		wait, busy := r.loading[id]
		if !busy {
			ch = make(chan struct{})
			r.loading[id] = ch
			r.mu.Unlock()
			break
		}
		r.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return api.ClassInfo{}, ctx.Err()
		}
	}

	c, err := r.build(ctx, id, wasm)
	// The class file, the class and its claims change together (claimMu),
	// so a concurrent Release never removes the file of a class that is
	// loaded again.
	r.claimMu.Lock()
	defer r.claimMu.Unlock()
	if err == nil && r.cfg.Store != nil {
		if perr := r.cfg.Store.SaveClass(id, wasm); perr != nil {
			_ = c.Close(ctx)
			err = fmt.Errorf("%w: saving class: %w", api.ErrPersist, journal.DiskError{Err: perr})
		}
	}
	r.mu.Lock()
	delete(r.loading, id)
	if err == nil {
		r.classes[id] = c
	}
	r.mu.Unlock()
	if err != nil && c != nil {
		r.release(c)
	}
	close(ch)
	if err == nil {
		if err = r.claimLocked(c, cl); err != nil {
			r.unloadIfUnclaimedLocked(ctx, c)
		}
	}
	if err != nil {
		return api.ClassInfo{}, err
	}
	r.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "class loaded", slog.String("class", id), slog.Int("methods", len(c.Info.Methods)))
	return c.Info, nil
}

// build compiles a module and runs its load-time code (probe), within the
// class budget and the load deadline. On error nothing stays reserved.
func (r *Registry) build(ctx context.Context, id string, wasm []byte) (*Class, error) {
	// Close stops a load's guest code too, so shutdown never waits for it.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-r.cfg.Stop:
			cancel(api.ErrClosed)
		case <-ctx.Done():
		}
	}()
	size := int64(len(wasm))
	if !r.budget.reserve(size, false) {
		m, t := r.budget.usage()
		return nil, fmt.Errorf("%w: a module of %d bytes does not fit in the class memory budget (%d of %d bytes used by classes and templates)", api.ErrTooLarge, size, m+t, r.budget.limit)
	}
	sc, err := sandbox.Compile(ctx, r.cfg.Engine, id, wasm)
	if err != nil {
		r.budget.release(size, 0)
		return nil, err
	}
	c := &Class{Class: sc}
	c.budgeted.Store(size)
	if err = ctx.Err(); err == nil {
		reserve := func(n int64) bool { return r.budget.reserve(n, true) }
		err = c.Probe(ctx, r.cfg.Engine, r.cfg.MemoryPages, r.cfg.Templates, reserve)
	} else {
		err = fmt.Errorf("loading the class stopped after compiling it: %w", context.Cause(ctx))
	}
	if err != nil {
		_ = c.Close(ctx)
		r.release(c)
		return nil, err
	}
	c.Finish()
	return c, nil
}

// release gives back what a class held in the budget (its template is
// freed); the module itself is closed by the caller.
func (r *Registry) release(c *Class) {
	t := c.ReleaseTemplate()
	r.budget.release(c.budgeted.Swap(0), t)
}

// closeClass frees a class that is no longer loaded: its template, its
// place in the budget and its compiled code.
func (r *Registry) closeClass(ctx context.Context, c *Class) error {
	r.release(c)
	return c.Close(ctx)
}

// Get returns a loaded class: ErrClassNotFound if there is none of that
// ID, ErrClosed once the Registry is closed.
func (r *Registry) Get(id string) (*Class, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, api.ErrClosed
	}
	c, ok := r.classes[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", api.ErrClassNotFound, id)
	}
	return c, nil
}

// GetIn returns a class visible to namespace; other classes are not found
// (ErrClassNotFound), exactly like missing ones: a class ID is the hash of
// its bytes, so anything else would tell whether another namespace
// uploaded them.
func (r *Registry) GetIn(namespace, id string) (*Class, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, api.ErrClosed
	}
	c, ok := r.classes[id]
	if !ok || !c.visibleTo(namespace) {
		return nil, fmt.Errorf("%w: %s", api.ErrClassNotFound, id)
	}
	return c, nil
}

// List lists the loaded classes by ID.
func (r *Registry) List() []api.ClassInfo {
	return r.list(func(*Class) bool { return true })
}

// ListIn lists the classes visible to namespace by ID: those it loaded and
// those loaded for every namespace.
func (r *Registry) ListIn(namespace string) []api.ClassInfo {
	return r.list(func(c *Class) bool { return c.visibleTo(namespace) })
}

func (r *Registry) list(keep func(*Class) bool) []api.ClassInfo {
	r.mu.Lock()
	out := []api.ClassInfo{}
	for _, c := range r.classes {
		if keep(c) {
			out = append(out, c.Info)
		}
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Len returns how many classes are loaded.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.classes)
}

// Usage returns the classes namespace claims and their module bytes (its
// class quota's use).
func (r *Registry) Usage(namespace string) (classes int, bytes int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u := r.use[namespace]; u != nil {
		return u.count, u.bytes
	}
	return 0, 0
}

// Budget returns what the class memory budget holds for modules and for
// templates (loads in progress included), and its limit.
func (r *Registry) Budget() (modules, templates, limit int64) {
	m, t := r.budget.usage()
	return m, t, r.budget.limit
}

// Unload removes a class that no live actor uses (ErrClassInUse
// otherwise), whoever loaded it: every namespace's claim goes with it.
// Loading the same bytes again gives the same ID.
func (r *Registry) Unload(ctx context.Context, id string) error {
	r.claimMu.Lock()
	defer r.claimMu.Unlock()
	r.mu.Lock()
	c, ok := r.classes[id]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", api.ErrClassNotFound, id)
	}
	if a := r.cfg.InUse(c, ""); a != "" {
		return fmt.Errorf("%w: actor %s uses class %s", api.ErrClassInUse, a, id)
	}
	r.mu.Lock()
	for ns := range c.owners {
		r.dropClaimLocked(c, ns)
	}
	delete(r.classes, id)
	r.mu.Unlock()
	r.removeFiles(id)
	return r.closeClass(ctx, c)
}

// Release gives up namespace's claim on a class (Host.ReleaseClass); the
// class is unloaded once no namespace claims it and Load did not load it.
// It fails with ErrClassInUse while live actors of namespace use the
// class, ErrForbidden for a class that namespace may use but did not load
// (one loaded for every namespace), and ErrClassNotFound for a class not
// visible to namespace.
func (r *Registry) Release(ctx context.Context, namespace, id string) error {
	r.claimMu.Lock()
	defer r.claimMu.Unlock()
	r.mu.Lock()
	c, ok := r.classes[id]
	if !ok || !c.visibleTo(namespace) {
		r.mu.Unlock()
		return fmt.Errorf("%w: %s", api.ErrClassNotFound, id)
	}
	if _, mine := c.owners[namespace]; !mine {
		r.mu.Unlock()
		err := fmt.Errorf("%w: class %s is shared by the host with every namespace; a namespace deletes only classes it uploaded", api.ErrForbidden, id)
		if r.cfg.Forbidden != nil {
			r.cfg.Forbidden(ForbiddenEvent{Namespace: namespace, Op: "delete_class", Target: id, Err: err})
		}
		return err
	}
	r.mu.Unlock()
	// Claims and the classes map change only under claimMu: what was read
	// above still holds.
	if a := r.cfg.InUse(c, namespace); a != "" {
		return fmt.Errorf("%w: actor %s uses class %s", api.ErrClassInUse, a, id)
	}
	r.mu.Lock()
	r.dropClaimLocked(c, namespace)
	unload := !c.global && len(c.owners) == 0
	r.mu.Unlock()
	if unload && r.unloadUnused(ctx, c) {
		return r.closeClass(ctx, c)
	}
	if err := r.saveOwners(c); err != nil {
		// The claim stays, as on disk.
		r.mu.Lock()
		r.addClaimLocked(c, namespace)
		r.mu.Unlock()
		return err
	}
	return nil
}

// unloadUnused removes c, which no namespace claims, from the loaded
// classes and the host's data unless a live actor uses it; the caller
// closes it. Registry.claimMu is held.
func (r *Registry) unloadUnused(ctx context.Context, c *Class) bool {
	if r.cfg.InUse(c, "") != "" {
		return false
	}
	r.mu.Lock()
	delete(r.classes, c.Info.ID)
	r.mu.Unlock()
	r.removeFiles(c.Info.ID)
	return true
}

// dropClaimLocked removes namespace's claim on c. Registry.mu is held.
func (r *Registry) dropClaimLocked(c *Class, namespace string) {
	if _, ok := c.owners[namespace]; !ok {
		return
	}
	delete(c.owners, namespace)
	if u := r.use[namespace]; u != nil {
		u.count--
		u.bytes -= int64(c.Info.Size)
		if u.count <= 0 {
			delete(r.use, namespace)
		}
	}
}

// addClaimLocked records namespace's claim on c. Registry.mu is held.
func (r *Registry) addClaimLocked(c *Class, namespace string) {
	if _, ok := c.owners[namespace]; ok {
		return
	}
	if c.owners == nil {
		c.owners = map[string]struct{}{}
	}
	c.owners[namespace] = struct{}{}
	u := r.use[namespace]
	if u == nil {
		u = &classUse{}
		r.use[namespace] = u
	}
	u.count++
	u.bytes += int64(c.Info.Size)
}

// checkQuotaLocked fails with ErrQuota when namespace cannot claim one
// more class of size bytes (Quota.Classes, Quota.ClassBytes; 0 or less
// means no bound). Registry.mu is held.
func (r *Registry) checkQuotaLocked(namespace string, size int) error {
	q := r.cfg.Namespaces.Quota(namespace)
	maxN, maxB := q.Classes, q.ClassBytes
	u := r.use[namespace]
	if u == nil {
		u = &classUse{}
	}
	if maxN > 0 && u.count+1 > maxN {
		return fmt.Errorf("%w: namespace %q holds %d classes (quota %d)", api.ErrQuota, namespace, u.count, maxN)
	}
	if maxB > 0 && u.bytes+int64(size) > maxB {
		return fmt.Errorf("%w: namespace %q holds %d bytes of classes; %d more would exceed its quota of %d", api.ErrQuota, namespace, u.bytes, size, maxB)
	}
	return nil
}

// precheckClaims fails early (before compiling) for a load the quotas
// would refuse anyway. claimLocked checks again, authoritatively.
func (r *Registry) precheckClaims(id string, size int, cl claims) error {
	if !cl.quota {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.classes[id]
	for _, ns := range cl.namespaces {
		if c != nil {
			if _, ok := c.owners[ns]; ok {
				continue
			}
		}
		if err := r.checkQuotaLocked(ns, size); err != nil {
			return err
		}
	}
	return nil
}

// errClassGone: the loaded class a load found was unloaded before the load
// could claim it; the load starts over.
var errClassGone = errors.New("class unloaded meanwhile")

// claimLocked records cl on the loaded class c (and saves the claims with
// the host's data). Registry.claimMu is held.
func (r *Registry) claimLocked(c *Class, cl claims) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return api.ErrClosed
	}
	if r.classes[c.Info.ID] != c {
		r.mu.Unlock()
		return errClassGone
	}
	var added []string
	changed := cl.global && !c.global
	for _, ns := range cl.namespaces {
		if _, ok := c.owners[ns]; ok {
			continue
		}
		if cl.quota {
			if err := r.checkQuotaLocked(ns, c.Info.Size); err != nil {
				for _, a := range added {
					r.dropClaimLocked(c, a)
				}
				r.mu.Unlock()
				return err
			}
		}
		r.addClaimLocked(c, ns)
		added = append(added, ns)
		changed = true
	}
	wasGlobal := c.global
	c.global = c.global || cl.global
	r.mu.Unlock()
	if !changed {
		return nil
	}
	if err := r.saveOwners(c); err != nil {
		r.mu.Lock()
		for _, a := range added {
			r.dropClaimLocked(c, a)
		}
		c.global = wasGlobal
		r.mu.Unlock()
		return err
	}
	return nil
}

// unloadIfUnclaimedLocked unloads a class that a failed load left with no
// claim (a quota refused the only one), so refused uploads hold no memory.
// Registry.claimMu is held.
func (r *Registry) unloadIfUnclaimedLocked(ctx context.Context, c *Class) {
	r.mu.Lock()
	drop := r.classes[c.Info.ID] == c && !c.global && len(c.owners) == 0
	r.mu.Unlock()
	if drop && r.unloadUnused(ctx, c) {
		_ = r.closeClass(ctx, c)
	}
}

// saveOwners writes c's claims with the host's data (journal.Owners: a
// class saved without them comes back visible to every namespace).
// Registry.claimMu is held.
func (r *Registry) saveOwners(c *Class) error {
	if r.cfg.Store == nil {
		return nil
	}
	r.mu.Lock()
	o := journal.Owners{Global: c.global}
	for ns := range c.owners {
		o.Namespaces = append(o.Namespaces, ns)
	}
	r.mu.Unlock()
	if err := r.cfg.Store.SaveOwners(c.Info.ID, o); err != nil {
		return fmt.Errorf("%w: saving the namespaces of class %s: %w", api.ErrPersist, c.Info.ID, journal.DiskError{Err: err})
	}
	return nil
}

// removeFiles removes a class and its claims from the host's data.
// Registry.claimMu is held.
func (r *Registry) removeFiles(id string) {
	if r.cfg.Store == nil {
		return
	}
	if err := r.cfg.Store.RemoveClass(id); err != nil {
		r.cfg.Logger.Error("removing saved class", slog.String("class", id), slog.Any("err", err))
	}
}

// Close refuses further loads and lookups (ErrClosed); loads in progress
// stop when RegistryConfig.Stop is closed. free gives back the memory of
// the loaded classes' templates: call it once no sandbox is made from them.
func (r *Registry) Close() (free func()) {
	r.mu.Lock()
	r.closed = true
	classes := make([]*Class, 0, len(r.classes))
	for _, c := range r.classes {
		classes = append(classes, c)
	}
	r.mu.Unlock()
	return func() {
		for _, c := range classes {
			r.release(c) // templates' memory files
		}
	}
}
