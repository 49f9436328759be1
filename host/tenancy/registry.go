package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/wactor/wactor/host/journal"
)

// Namespaces are walls (docs/SEMANTICS.md, "Namespaces"): an actor reaches
// only actors of its own namespace through the guest imports, and a
// namespace uses only the classes visible to it. A class is visible to a
// namespace that loaded it (LoadClassIn) and, if it was loaded through
// LoadClass (an embedder's trusted classes), to every namespace. Class IDs
// are content addresses, so a namespace that uploads bytes another one
// uploaded gets the same class, and its own claim on it; docs/RATIONALE.md
// ("Why are classes per namespace?") says why.

// classQuota is namespace's bound on the classes it holds and on their
// uploaded bytes (Quota.Classes, Quota.ClassBytes); 0 or less means no
// bound. Host.mu is held.
func (h *Host) classQuota(namespace string) (classes int, bytes int64) {
	q := h.resolveQuotaLocked(namespace)
	return q.Classes, q.ClassBytes
}

// classUse is what one namespace's class claims add up to. Guarded by Host.mu.
type classUse struct {
	count int
	bytes int64
}

// visibleTo reports whether namespace may use c. Host.mu is held.
func (c *class) visibleTo(namespace string) bool {
	if c.global {
		return true
	}
	_, ok := c.owners[namespace]
	return ok
}

// classClaims is what a load records on a class: visible to every
// namespace (global), or claimed by namespaces.
type classClaims struct {
	global     bool
	namespaces []string
	// quota: check the namespaces' class quotas (not when a host brings
	// back what it had).
	quota bool
}

// LoadClassIn loads a module on behalf of namespace (a tenant's upload):
// the class is visible to namespace (and to the namespaces that loaded the
// same bytes, and to every namespace if LoadClass loaded them too). The
// class counts against namespace's class quota (count and uploaded bytes):
// over it, LoadClassIn fails with ErrQuota before compiling. Loading the
// same bytes again is free. Errors as LoadClass.
func (h *Host) LoadClassIn(ctx context.Context, namespace string, wasm []byte) (ClassInfo, error) {
	if err := CheckName("namespace", namespace); err != nil {
		return ClassInfo{}, err
	}
	return h.loadClass(ctx, wasm, classClaims{namespaces: []string{namespace}, quota: true})
}

// ClassIn returns a class visible to namespace; other classes are not
// found, exactly like missing ones (a class ID is the hash of its bytes, so
// anything else would tell whether another namespace uploaded them).
func (h *Host) ClassIn(ctx context.Context, namespace, id string) (ClassInfo, error) {
	if err := ctx.Err(); err != nil {
		return ClassInfo{}, err
	}
	c, err := h.classIn(namespace, id)
	if err != nil {
		return ClassInfo{}, err
	}
	return c.Info, nil
}

// classIn returns the class id if it is visible to namespace.
func (h *Host) classIn(namespace, id string) (*class, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	c, ok := h.classes[id]
	if !ok || !c.visibleTo(namespace) {
		return nil, fmt.Errorf("%w: %s", ErrClassNotFound, id)
	}
	return c, nil
}

// ClassesIn lists the classes visible to namespace by ID: those it loaded
// and those loaded for every namespace.
func (h *Host) ClassesIn(namespace string) []ClassInfo {
	h.mu.Lock()
	out := []ClassInfo{}
	for _, c := range h.classes {
		if c.visibleTo(namespace) {
			out = append(out, c.Info)
		}
	}
	h.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ReleaseClass gives up namespace's claim on a class; the host unloads the
// class once no namespace claims it and LoadClass did not load it. It fails
// with ErrClassInUse while live actors of namespace use the class,
// ErrForbidden for a class that namespace may use but did not load (one
// loaded for every namespace), and ErrClassNotFound for a class not visible
// to namespace.
func (h *Host) ReleaseClass(ctx context.Context, namespace, id string) error {
	h.classMu.Lock()
	defer h.classMu.Unlock()
	h.mu.Lock()
	c, ok := h.classes[id]
	if !ok || !c.visibleTo(namespace) {
		h.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrClassNotFound, id)
	}
	if _, mine := c.owners[namespace]; !mine {
		h.mu.Unlock()
		err := fmt.Errorf("%w: class %s is shared by the host with every namespace; a namespace deletes only classes it uploaded", ErrForbidden, id)
		h.forbidden(ForbiddenEvent{Namespace: namespace, Op: "delete_class", Target: id, Err: err})
		return err
	}
	for _, a := range h.actors {
		if a.class == c && a.opts.Namespace == namespace {
			h.mu.Unlock()
			return fmt.Errorf("%w: actor %s uses class %s", ErrClassInUse, a.id, id)
		}
	}
	h.dropClaimLocked(c, namespace)
	unload := !c.global && len(c.owners) == 0 && !h.inUseLocked(c)
	if unload {
		delete(h.classes, id)
	}
	h.mu.Unlock()
	if unload {
		h.removeClassFiles(id)
		return h.closeClass(ctx, c)
	}
	if err := h.saveOwners(c); err != nil {
		// The claim stays, as on disk.
		h.mu.Lock()
		h.addClaimLocked(c, namespace)
		h.mu.Unlock()
		return err
	}
	return nil
}

// inUseLocked reports whether a live actor uses c. Host.mu is held.
func (h *Host) inUseLocked(c *class) bool {
	for _, a := range h.actors {
		if a.class == c {
			return true
		}
	}
	return false
}

// dropClaimLocked removes namespace's claim on c. Host.mu is held.
func (h *Host) dropClaimLocked(c *class, namespace string) {
	if _, ok := c.owners[namespace]; !ok {
		return
	}
	delete(c.owners, namespace)
	if u := h.classUse[namespace]; u != nil {
		u.count--
		u.bytes -= int64(c.Info.Size)
		if u.count <= 0 {
			delete(h.classUse, namespace)
		}
	}
}

// addClaimLocked records namespace's claim on c. Host.mu is held.
func (h *Host) addClaimLocked(c *class, namespace string) {
	if _, ok := c.owners[namespace]; ok {
		return
	}
	if c.owners == nil {
		c.owners = map[string]struct{}{}
	}
	c.owners[namespace] = struct{}{}
	u := h.classUse[namespace]
	if u == nil {
		u = &classUse{}
		h.classUse[namespace] = u
	}
	u.count++
	u.bytes += int64(c.Info.Size)
}

// checkClassQuotaLocked fails with ErrQuota when namespace cannot claim one more
// class of size bytes. Host.mu is held.
func (h *Host) checkClassQuotaLocked(namespace string, size int) error {
	maxN, maxB := h.classQuota(namespace)
	u := h.classUse[namespace]
	if u == nil {
		u = &classUse{}
	}
	if maxN > 0 && u.count+1 > maxN {
		return fmt.Errorf("%w: namespace %q holds %d classes (quota %d)", ErrQuota, namespace, u.count, maxN)
	}
	if maxB > 0 && u.bytes+int64(size) > maxB {
		return fmt.Errorf("%w: namespace %q holds %d bytes of classes; %d more would exceed its quota of %d", ErrQuota, namespace, u.bytes, size, maxB)
	}
	return nil
}

// precheckClaims fails early (before compiling) for a load the quotas
// would refuse anyway. install checks again, authoritatively.
func (h *Host) precheckClaims(id string, size int, cl classClaims) error {
	if !cl.quota {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.classes[id]
	for _, ns := range cl.namespaces {
		if c != nil {
			if _, ok := c.owners[ns]; ok {
				continue
			}
		}
		if err := h.checkClassQuotaLocked(ns, size); err != nil {
			return err
		}
	}
	return nil
}

// errClassGone: the loaded class a load found was unloaded before the load
// could claim it; the load starts over.
var errClassGone = errors.New("class unloaded meanwhile")

// claimLocked records cl on the loaded class c (and saves the claims with the
// host's data). Host.classMu is held.
func (h *Host) claimLocked(c *class, cl classClaims) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	if h.classes[c.Info.ID] != c {
		h.mu.Unlock()
		return errClassGone
	}
	var added []string
	changed := cl.global && !c.global
	for _, ns := range cl.namespaces {
		if _, ok := c.owners[ns]; ok {
			continue
		}
		if cl.quota {
			if err := h.checkClassQuotaLocked(ns, c.Info.Size); err != nil {
				for _, a := range added {
					h.dropClaimLocked(c, a)
				}
				h.mu.Unlock()
				return err
			}
		}
		h.addClaimLocked(c, ns)
		added = append(added, ns)
		changed = true
	}
	wasGlobal := c.global
	c.global = c.global || cl.global
	h.mu.Unlock()
	if !changed {
		return nil
	}
	if err := h.saveOwners(c); err != nil {
		h.mu.Lock()
		for _, a := range added {
			h.dropClaimLocked(c, a)
		}
		c.global = wasGlobal
		h.mu.Unlock()
		return err
	}
	return nil
}

// unloadIfUnclaimedLocked unloads a class that a failed load left with no claim
// (a quota refused the only one), so refused uploads hold no memory.
// Host.classMu is held.
func (h *Host) unloadIfUnclaimedLocked(ctx context.Context, c *class) {
	h.mu.Lock()
	drop := h.classes[c.Info.ID] == c && !c.global && len(c.owners) == 0 && !h.inUseLocked(c)
	if drop {
		delete(h.classes, c.Info.ID)
	}
	h.mu.Unlock()
	if drop {
		h.removeClassFiles(c.Info.ID)
		_ = h.closeClass(ctx, c)
	}
}

// forbidden reports a refused access to the observer.
func (h *Host) forbidden(e ForbiddenEvent) {
	if o, ok := h.cfg.Observer.(ForbiddenObserver); ok {
		o.Forbidden(e)
	}
}

// forbid is the error of an actor's refused access, reported to the
// observer; target and what name it in the ABI's words.
func (a *actor) forbid(op, target, format string, args ...any) error {
	err := fmt.Errorf("%w: "+format, append([]any{ErrForbidden}, args...)...)
	a.h.forbidden(ForbiddenEvent{Namespace: a.opts.Namespace, ActorID: a.id, Op: op, Target: target, Err: err})
	return err
}

// maxEcho is how many bytes of the guest's a refusal echoes at most.
const maxEcho = 256

// clipBytes is clip of b, converting only the bytes it keeps.
func clipBytes(b []byte) string { return clip(string(b[:min(len(b), maxEcho+1)])) }

// clip bounds what a refusal echoes of the guest's bytes (a namespace can
// be as long as the arguments).
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	return strings.ToValidUTF8(s[:maxEcho], "") + "..."
}

// sameNamespace refuses op on actor t unless it is in a's namespace. The
// namespace is the one the host recorded for t, never what a handle says.
func (a *actor) sameNamespace(op string, t *actor) error {
	if t.opts.Namespace == a.opts.Namespace {
		return nil
	}
	return a.forbid(op, t.id, "%s: actor %s is not in namespace %q; an actor reaches only actors of its own namespace", op, t.id, a.opts.Namespace)
}

// saveOwners writes c's claims with the host's data (journal.Owners: a
// class saved without them comes back visible to every namespace).
// Host.classMu is held.
func (h *Host) saveOwners(c *class) error {
	if h.persist == nil {
		return nil
	}
	h.mu.Lock()
	o := journal.Owners{Global: c.global}
	for ns := range c.owners {
		o.Namespaces = append(o.Namespaces, ns)
	}
	h.mu.Unlock()
	if err := h.persist.SaveOwners(c.Info.ID, o); err != nil {
		return fmt.Errorf("%w: saving the namespaces of class %s: %w", ErrPersist, c.Info.ID, diskError{err})
	}
	return nil
}

// removeClassFiles removes a class and its claims from the host's data.
// Host.classMu is held.
func (h *Host) removeClassFiles(id string) {
	if h.persist == nil {
		return
	}
	if err := h.persist.RemoveClass(id); err != nil {
		h.cfg.Logger.Error("removing saved class", slog.String("class", id), slog.Any("err", err))
	}
}

// recoverClass loads a class saved in the data directory with the claims
// saved beside it. A damaged claims file is logged and the class comes
// back visible to no namespace (until one loads it again): never to more
// namespaces than before.
func (h *Host) recoverClass(ctx context.Context, wasm []byte) error {
	id := ClassID(wasm)
	o, ok, err := h.persist.LoadOwners(id)
	cl := classClaims{global: !ok && err == nil}
	if err != nil {
		h.cfg.Logger.Error("saved class namespaces unreadable: the class is visible to no namespace until loaded again", slog.String("class", id), slog.Any("err", err))
	}
	if ok {
		cl.global, cl.namespaces = o.Global, o.Namespaces
	}
	_, err = h.loadClass(ctx, wasm, cl)
	return err
}
