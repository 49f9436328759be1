package tenancy

import "sync"

// budget accounts the memory a host keeps for its classes: module bytes
// and templates, against Config.ClassMemoryBudget.
type budget struct {
	mu        sync.Mutex // a leaf
	limit     int64
	modules   int64 // NodeUsage.ClassBytes
	templates int64 // NodeUsage.TemplateBytes
}

// reserve adds n bytes if they fit.
func (b *budget) reserve(n int64, template bool) bool {
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

func (b *budget) release(module, template int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.modules -= module
	b.templates -= template
}

// usage returns what the modules and the templates hold, loads in progress
// included.
func (b *budget) usage() (modules, templates int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.modules, b.templates
}
