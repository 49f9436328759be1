package host

import (
	"context"
	"fmt"

	"github.com/wactor/wactor/host/tenancy"
)

// What each namespace holds and may hold lives in host/tenancy (quotas and
// accounting: Host.namespaces; classes and their claims: Host.classes);
// these are the host's public methods over it, and the refusals of
// cross-namespace access.

// LoadClass validates and compiles a module and returns its class. The class
// ID is the module's content address, so loading the same bytes again returns
// the loaded class at no cost. Bad modules fail with a *ModuleError
// (ErrInvalidModule) that says why; oversized ones with ErrTooLarge.
// A class loaded by LoadClass is trusted: visible to every namespace and
// outside their quotas (LoadClassIn loads a tenant's class).
func (h *Host) LoadClass(ctx context.Context, wasm []byte) (ClassInfo, error) {
	return h.classes.Load(ctx, wasm)
}

// LoadClassIn loads a module on behalf of namespace (a tenant's upload):
// the class is visible to namespace (and to the namespaces that loaded the
// same bytes, and to every namespace if LoadClass loaded them too). The
// class counts against namespace's class quota (count and uploaded bytes):
// over it, LoadClassIn fails with ErrQuota before compiling. Loading the
// same bytes again is free. Errors as LoadClass.
func (h *Host) LoadClassIn(ctx context.Context, namespace string, wasm []byte) (ClassInfo, error) {
	return h.classes.LoadIn(ctx, namespace, wasm)
}

// ClassID computes the content address of module bytes, as LoadClass does.
func ClassID(wasm []byte) string { return tenancy.ClassID(wasm) }

// Class returns a loaded class.
func (h *Host) Class(ctx context.Context, id string) (ClassInfo, error) {
	if err := ctx.Err(); err != nil {
		return ClassInfo{}, err
	}
	c, err := h.classes.Get(id)
	if err != nil {
		return ClassInfo{}, err
	}
	return c.Info, nil
}

// ClassIn returns a class visible to namespace; other classes are not
// found, exactly like missing ones (a class ID is the hash of its bytes, so
// anything else would tell whether another namespace uploaded them).
func (h *Host) ClassIn(ctx context.Context, namespace, id string) (ClassInfo, error) {
	if err := ctx.Err(); err != nil {
		return ClassInfo{}, err
	}
	c, err := h.classes.GetIn(namespace, id)
	if err != nil {
		return ClassInfo{}, err
	}
	return c.Info, nil
}

// Classes lists the loaded classes by ID.
func (h *Host) Classes() []ClassInfo { return h.classes.List() }

// ClassesIn lists the classes visible to namespace by ID: those it loaded
// and those loaded for every namespace.
func (h *Host) ClassesIn(namespace string) []ClassInfo { return h.classes.ListIn(namespace) }

// UnloadClass removes a class that no live actor uses (ErrClassInUse
// otherwise), whoever loaded it: every namespace's claim goes with it.
// Loading the same bytes again gives the same ID.
func (h *Host) UnloadClass(ctx context.Context, id string) error {
	return h.classes.Unload(ctx, id)
}

// ReleaseClass gives up namespace's claim on a class; the host unloads the
// class once no namespace claims it and LoadClass did not load it. It fails
// with ErrClassInUse while live actors of namespace use the class,
// ErrForbidden for a class that namespace may use but did not load (one
// loaded for every namespace), and ErrClassNotFound for a class not visible
// to namespace.
func (h *Host) ReleaseClass(ctx context.Context, namespace, id string) error {
	return h.classes.Release(ctx, namespace, id)
}

// classUser returns the ID of a live actor of class c, of namespace (any
// namespace if ""), or "" (tenancy.RegistryConfig.InUse).
func (h *Host) classUser(c *tenancy.Class, namespace string) string {
	list := h.dir.List()
	h.mu.Lock() // a.class (Repair changes it)
	defer h.mu.Unlock()
	for _, a := range list {
		if a.class == c && (namespace == "" || a.opts.Namespace == namespace) {
			return a.id
		}
	}
	return ""
}

// SetQuota sets namespace ns's quota, overriding Config.Quotas; zero fields
// take Config.Quota's. It applies from now on: what the namespace holds
// already is kept, and further spawns, grows and calls are refused while it
// is over. (The HTTP server uses it for per-token quotas.)
func (h *Host) SetQuota(ns string, q Quota) error { return h.namespaces.SetQuota(ns, q) }

// NamespaceUsage reports what namespace ns holds now, and its quota.
func (h *Host) NamespaceUsage(ns string) NamespaceUsage {
	u := h.namespaces.Usage(ns)
	u.Classes, u.ClassBytes = h.classes.Usage(ns)
	return u
}

// Namespaces lists the namespaces the host has accounted, sorted.
func (h *Host) Namespaces() []string { return h.namespaces.Names() }

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

// sameNamespace refuses op on actor t unless it is in a's namespace. The
// namespace is the one the host recorded for t, never what a handle says.
func (a *actor) sameNamespace(op string, t *actor) error {
	if t.opts.Namespace == a.opts.Namespace {
		return nil
	}
	return a.forbid(op, t.id, "%s: actor %s is not in namespace %q; an actor reaches only actors of its own namespace", op, t.id, a.opts.Namespace)
}
