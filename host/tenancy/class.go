package tenancy

import (
	"crypto/sha256"
	"encoding/hex"
	"sync/atomic"

	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/host/sandbox"
)

// Class is a loaded class: the compiled class its sandboxes are made of,
// with the Registry's accounting of it (its place in the class memory
// budget, the namespaces that claim it).
type Class struct {
	*sandbox.Class
	// budgeted is the module's size as counted in the class budget (0 once
	// given back).
	budgeted atomic.Int64

	// global: loaded by Registry.Load, visible to every namespace; owners:
	// the namespaces that loaded it (Registry.LoadIn). Guarded by
	// Registry.mu.
	global bool
	owners map[string]struct{}
}

// ClassID computes the content address of module bytes, a class's ID.
func ClassID(wasm []byte) string {
	sum := sha256.Sum256(wasm)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// StandIn is the class of a damaged actor whose class is not loaded: it
// names the class ID and cannot run. It is in no Registry.
func StandIn(id string) *Class {
	return &Class{Class: &sandbox.Class{Info: api.ClassInfo{ID: id}}}
}

// visibleTo reports whether namespace may use c. Registry.mu is held.
func (c *Class) visibleTo(namespace string) bool {
	if c.global {
		return true
	}
	_, ok := c.owners[namespace]
	return ok
}
