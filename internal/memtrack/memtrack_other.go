//go:build !(linux && (amd64 || arm64))

package memtrack

// Region is memory on the Go heap where the kernel cannot track writes.
type Region struct{ buf []byte }

// New allocates size bytes.
func New(size int) (*Region, error) { return &Region{buf: make([]byte, size)}, nil }

// Template is memory content that regions start from (copied here).
type Template struct{ b []byte }

// NewTemplate holds a copy of b.
func NewTemplate(b []byte) (*Template, error) { return &Template{b: append([]byte(nil), b...)}, nil }

// Len is the template's size in bytes.
func (t *Template) Len() int { return len(t.b) }

// Bytes is the memory the template holds.
func (t *Template) Bytes() int { return len(t.b) }

// Close releases the template.
func (t *Template) Close() error { return nil }

// NewFrom is New with the template's content copied in.
func NewFrom(size int, t *Template) (*Region, error) {
	r := &Region{buf: make([]byte, size)}
	if t != nil {
		copy(r.buf, t.b)
	}
	return r, nil
}

// Bytes returns the whole region.
func (r *Region) Bytes() []byte { return r.buf }

// Tracking reports false: writes are not tracked on this system.
func (r *Region) Tracking() bool { return false }

// Reset fails with ErrNotTracking.
func (r *Region) Reset(limit int) error { return ErrNotTracking }

// Dirty fails with ErrNotTracking.
func (r *Region) Dirty(limit, pageSize int, fn func(page uint32)) error { return ErrNotTracking }

// Populate does nothing.
func (r *Region) Populate(n int) {}

// Close releases the region.
func (r *Region) Close() error { r.buf = nil; return nil }
