package host

import (
	"context"
	"fmt"
	"sync"

	"github.com/wactor/wactor/host/sandbox"
)

// classBudget accounts the memory a host keeps for its classes: module
// bytes and templates, against Config.ClassMemoryBudget.
type classBudget struct {
	mu        sync.Mutex
	limit     int64
	modules   int64 // NodeUsage.ClassBytes
	templates int64 // NodeUsage.TemplateBytes
}

// reserve adds n bytes if they fit.
func (b *classBudget) reserve(n int64, template bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n < 0 || b.modules+b.templates+n > b.limit {
		return false
	}
	if template {
		b.templates += n
	} else {
		b.modules += n
	}
	return true
}

func (b *classBudget) release(module, template int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.modules -= module
	b.templates -= template
}

// usage returns what the modules and the templates hold, loads in progress
// included.
func (b *classBudget) usage() (modules, templates int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.modules, b.templates
}

// buildClass compiles a module and runs its load-time code (probe), within
// the class budget and the load deadline. On error nothing stays reserved.
func (h *Host) buildClass(ctx context.Context, id string, wasm []byte) (*class, error) {
	// Close stops a load's guest code too, so shutdown never waits for it.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-h.stop:
			cancel(ErrClosed)
		case <-ctx.Done():
		}
	}()
	size := int64(len(wasm))
	if !h.budget.reserve(size, false) {
		m, t := h.budget.usage()
		return nil, fmt.Errorf("%w: a module of %d bytes does not fit in the class memory budget (%d of %d bytes used by classes and templates)", ErrTooLarge, size, m+t, h.budget.limit)
	}
	sc, err := sandbox.Compile(ctx, h.eng, id, wasm)
	if err != nil {
		h.budget.release(size, 0)
		return nil, err
	}
	c := &class{Class: sc}
	c.budgeted.Store(size)
	if err = ctx.Err(); err == nil {
		reserve := func(n int64) bool { return h.budget.reserve(n, true) }
		err = c.Probe(ctx, h.eng, h.cfg.Defaults.MemoryPages, !h.cfg.ColdSpawn, reserve)
	} else {
		err = fmt.Errorf("loading the class stopped after compiling it: %w", context.Cause(ctx))
	}
	if err != nil {
		_ = c.Close(ctx)
		h.releaseClass(c)
		return nil, err
	}
	c.Finish()
	return c, nil
}

// releaseClass gives back what a class held in the budget (its template is
// freed); the module itself is closed by the caller.
func (h *Host) releaseClass(c *class) {
	t := c.ReleaseTemplate()
	h.budget.release(c.budgeted.Swap(0), t)
}

// closeClass frees a class that is no longer loaded: its template, its
// place in the budget and its compiled code.
func (h *Host) closeClass(ctx context.Context, c *class) error {
	h.releaseClass(c)
	return c.Close(ctx)
}
