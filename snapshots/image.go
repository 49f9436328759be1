package snapshots

import (
	"bytes"
	"unsafe"
)

// Image is a linear memory held as PageSize pages. The pages of an Image
// are never written once it holds them, so Images taken one after another
// share the pages that did not change: Update copies only the pages a call
// dirtied, which makes taking a checkpoint cost what the call changed, not
// the size of memory. An Image is immutable and safe for concurrent use; the
// zero Image is an empty memory.
type Image struct {
	size  int
	pages [][]byte // PageSize each, except a shorter last page
	flat  []byte   // all pages, when they lie in one buffer (else nil)
}

// ImageOf returns an Image holding a copy of mem.
func ImageOf(mem []byte) Image {
	return wrap(bytes.Clone(mem))
}

// wrap returns an Image over buf, which the caller must not modify again.
func wrap(buf []byte) Image {
	n := numPages(uint64(len(buf)))
	im := Image{size: len(buf), pages: make([][]byte, n), flat: buf}
	for i := range n {
		im.pages[i] = buf[i*PageSize : min((i+1)*PageSize, len(buf)) : min((i+1)*PageSize, len(buf))]
	}
	return im
}

// Len is the memory's size in bytes.
func (m Image) Len() int { return m.size }

// NumPages is the number of pages, the last one possibly partial.
func (m Image) NumPages() int { return len(m.pages) }

// Page returns page i (shorter at the end of memory, nil past it). The
// caller must not modify it.
func (m Image) Page(i int) []byte {
	if i < 0 || i >= len(m.pages) {
		return nil
	}
	return m.pages[i]
}

// CopyTo copies the memory into dst, which must be at least Len bytes, and
// returns the number of bytes copied.
func (m Image) CopyTo(dst []byte) int {
	n := 0
	for _, p := range m.pages {
		n += copy(dst[n:], p)
	}
	return n
}

// Bytes returns a copy of the memory as one slice.
func (m Image) Bytes() []byte {
	b := make([]byte, m.size)
	m.CopyTo(b)
	return b
}

// Equal reports whether two images hold the same bytes.
func (m Image) Equal(o Image) bool {
	if m.size != o.size {
		return false
	}
	for i := range m.pages {
		if !samePage(m.pages[i], o.pages[i]) && !bytes.Equal(m.pages[i], o.pages[i]) {
			return false
		}
	}
	return true
}

// Update returns an Image of mem, which differs from m at most in the pages
// listed in changed (in any order; indices past mem's end are ignored) and
// in pages at or past the end of m, which memory growth added. It copies
// only those pages and shares the others with m. When nothing tracked which
// pages changed, use Refresh.
func (m Image) Update(mem []byte, changed []uint32) Image {
	n := numPages(uint64(len(mem)))
	out := Image{size: len(mem), pages: make([][]byte, n)}
	copy(out.pages, m.pages[:min(n, len(m.pages))])
	fresh := make([]bool, n)
	for _, p := range changed {
		if int(p) < n {
			fresh[p] = true
		}
	}
	for i := range n {
		// A page of m that is not whole in mem (or past its end) changed too.
		if i >= len(m.pages) || len(m.pages[i]) != pageLen(len(mem), i) {
			fresh[i] = true
		}
	}
	copyPages(out.pages, mem, fresh)
	return out
}

// Refresh returns an Image of mem like Update, finding the changed pages by
// comparing mem with m (which costs a read of both memories).
func (m Image) Refresh(mem []byte) Image {
	n := numPages(uint64(len(mem)))
	out := Image{size: len(mem), pages: make([][]byte, n)}
	fresh := make([]bool, n)
	for i := range n {
		cur := mem[i*PageSize : i*PageSize+pageLen(len(mem), i)]
		if i < len(m.pages) && bytes.Equal(m.pages[i], cur) {
			out.pages[i] = m.pages[i]
		} else {
			fresh[i] = true
		}
	}
	copyPages(out.pages, mem, fresh)
	return out
}

// copyPages fills the pages marked fresh with copies from mem, in one
// allocation.
func copyPages(pages [][]byte, mem []byte, fresh []bool) {
	total := 0
	for i, f := range fresh {
		if f {
			total += pageLen(len(mem), i)
		}
	}
	if total == 0 {
		return
	}
	buf := make([]byte, 0, total)
	for i, f := range fresh {
		if !f {
			continue
		}
		start := len(buf)
		buf = append(buf, mem[i*PageSize:i*PageSize+pageLen(len(mem), i)]...)
		pages[i] = buf[start:len(buf):len(buf)]
	}
}

// pageLen is the length of page i of a memory of size bytes.
func pageLen(size, i int) int { return min(PageSize, size-i*PageSize) }

// samePage reports whether a and b are the same page of memory (shared by
// two images), which makes comparing their bytes unnecessary.
func samePage(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || unsafe.SliceData(a) == unsafe.SliceData(b))
}

// span returns pages first to last (page numbers) as one slice when the
// image lies in one buffer, else nil.
func (m Image) span(first, last int) []byte {
	if m.flat == nil {
		return nil
	}
	return m.flat[first*PageSize : min((last+1)*PageSize, m.size)]
}
