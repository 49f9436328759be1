//go:build !(linux && (amd64 || arm64))

package memtrack

// Region is memory on the Go heap where the kernel cannot track writes.
type Region struct{ buf []byte }

// New allocates size bytes.
func New(size int) (*Region, error) { return &Region{buf: make([]byte, size)}, nil }

// Bytes returns the whole region.
func (r *Region) Bytes() []byte { return r.buf }

// Tracking reports false: writes are not tracked on this system.
func (r *Region) Tracking() bool { return false }

// Reset fails with ErrNotTracking.
func (r *Region) Reset() error { return ErrNotTracking }

// Dirty fails with ErrNotTracking.
func (r *Region) Dirty(limit, pageSize int, fn func(page uint32)) error { return ErrNotTracking }

// Close releases the region.
func (r *Region) Close() error { r.buf = nil; return nil }
