//go:build linux && (amd64 || arm64)

package memtrack

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Kernel ABI (include/uapi/linux/userfaultfd.h, fs.h).
const (
	uffdAPI                  = 0xAA
	uffdioAPI                = 0xC018AA3F // _IOWR(0xAA, 0x3F, struct uffdio_api)
	uffdioRegister           = 0xC020AA00 // _IOWR(0xAA, 0x00, struct uffdio_register)
	uffdioUnregister         = 0x8010AA01 // _IOR(0xAA, 0x01, struct uffdio_range)
	uffdioWriteProtect       = 0xC018AA06 // _IOWR(0xAA, 0x06, struct uffdio_writeprotect)
	uffdRegisterModeWP       = 1 << 1
	uffdWriteProtectModeWP   = 1 << 0
	uffdFeatureWPUnpopulated = 1 << 13
	uffdFeatureWPAsync       = 1 << 15
	uffdUserModeOnly         = 1

	pagemapScan        = 0xC0606610 // _IOWR('f', 16, struct pm_scan_arg)
	pmScanWPMatching   = 1 << 0
	pmScanCheckWPAsync = 1 << 1
	pageIsWritten      = 1 << 1
)

type uffdioAPIArg struct{ api, features, ioctls uint64 }

type uffdioRange struct{ start, len uint64 }

type uffdioRegisterArg struct {
	rng    uffdioRange
	mode   uint64
	ioctls uint64
}

type uffdioWriteProtectArg struct {
	rng  uffdioRange
	mode uint64
}

type pmScanArg struct {
	size, flags, start, end, walkEnd, vec, vecLen, maxPages       uint64
	categoryInverted, categoryMask, categoryAnyofMask, returnMask uint64
}

type pageRegion struct{ start, end, categories uint64 }

// tracker is the process's one userfaultfd and pagemap file, shared by all
// regions (a file descriptor per sandbox would run into the fd limit).
var tracker = sync.OnceValues(func() (*trackFiles, error) {
	fd, _, errno := syscall.Syscall(sysUserfaultfd, syscall.O_CLOEXEC|syscall.O_NONBLOCK|uffdUserModeOnly, 0, 0)
	if errno != 0 {
		return nil, fmt.Errorf("userfaultfd: %w", errno)
	}
	arg := uffdioAPIArg{api: uffdAPI, features: uffdFeatureWPAsync | uffdFeatureWPUnpopulated}
	if err := ioctl(int(fd), uffdioAPI, unsafe.Pointer(&arg)); err != nil {
		syscall.Close(int(fd))
		return nil, fmt.Errorf("userfaultfd API with asynchronous write protection: %w", err)
	}
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		syscall.Close(int(fd))
		return nil, err
	}
	return &trackFiles{uffd: int(fd), pagemap: pm}, nil
})

type trackFiles struct {
	uffd    int
	pagemap *os.File
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// Region is a mapping of a fixed maximum size. See the package comment.
type Region struct {
	buf        []byte
	tf         *trackFiles // nil without tracking
	registered bool
	regions    []pageRegion
	osPage     int
	unmapped   bool
}

// New maps size bytes (rounded up to the OS page size), zero-filled and
// reserved without committing memory, and starts tracking writes if the
// system allows.
func New(size int) (*Region, error) { return NewFrom(size, nil) }

// Template is memory content that regions start from and share
// copy-on-write: a region made from it holds the same bytes at once, and
// only the pages it writes become its own. Safe for concurrent use.
type Template struct {
	fd   int
	size int // the file's length: b up to its last non-zero page
}

// NewTemplate holds a copy of b (in a memory file). Only its non-zero
// pages are written, and the file ends after the last one: zero pages
// cost nothing until a region reads them, and those past the end never
// (a region's memory past the template is anonymous, zero-filled).
// Bytes reports what the file holds.
func NewTemplate(b []byte) (*Template, error) {
	fd, err := unix.MemfdCreate("wactor-template", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memtrack: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "wactor-template")
	const chunk = 4096
	end := 0
	for off := 0; off < len(b); off += chunk {
		if !isZero(b[off:min(off+chunk, len(b))]) {
			end = min(off+chunk, len(b))
		}
	}
	if err := f.Truncate(int64(end)); err != nil {
		f.Close()
		return nil, fmt.Errorf("memtrack: sizing a template: %w", err)
	}
	for off := 0; off < end; off += chunk {
		c := b[off:min(off+chunk, end)]
		if isZero(c) {
			continue
		}
		if _, err := f.WriteAt(c, int64(off)); err != nil {
			f.Close()
			return nil, fmt.Errorf("memtrack: writing a template: %w", err)
		}
	}
	// Keep the descriptor; f must not close it when collected.
	nfd, err := unix.Dup(fd)
	f.Close()
	if err != nil {
		return nil, err
	}
	return &Template{fd: nfd, size: end}, nil
}

var zeroChunk [4096]byte

func isZero(b []byte) bool { return string(b) == string(zeroChunk[:len(b)]) }

// Bytes is the memory the template holds: its file's length (pages never
// written are allocated when a region first reads them, up to that).
func (t *Template) Bytes() int { return t.size }

// Len is the template's size in bytes: its content's up to the last
// non-zero page (the rest is zero, as a region's memory past it).
func (t *Template) Len() int { return t.size }

// Close releases the template; regions made from it keep their mappings.
func (t *Template) Close() error { return unix.Close(t.fd) }

// NewFrom is New, with the first bytes of the region mapped copy-on-write
// from t (when not nil), so that they hold t's content.
func NewFrom(size int, t *Template) (*Region, error) {
	osPage := os.Getpagesize()
	size = (size + osPage - 1) &^ (osPage - 1)
	if size == 0 {
		size = osPage
	}
	if t != nil && t.size > size {
		return nil, fmt.Errorf("memtrack: template of %d bytes exceeds the region's %d", t.size, size)
	}
	buf, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("memtrack: mapping %d bytes: %w", size, err)
	}
	if t != nil && t.size > 0 {
		n := (t.size + osPage - 1) &^ (osPage - 1)
		addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
		_, _, errno := syscall.Syscall6(syscall.SYS_MMAP, addr, uintptr(n), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_FIXED, uintptr(t.fd), 0)
		if errno != 0 {
			_ = syscall.Munmap(buf)
			return nil, fmt.Errorf("memtrack: mapping a template: %w", errno)
		}
	}
	r := &Region{buf: buf, osPage: osPage}
	if tf, err := tracker(); err == nil {
		r.tf = tf // registered on first Reset: regions never tracked cost nothing
	}
	return r, nil
}

// register starts write protection on the region, once.
func (r *Region) register() error {
	if r.registered {
		return nil
	}
	reg := uffdioRegisterArg{rng: r.rng(), mode: uffdRegisterModeWP}
	if err := ioctl(r.tf.uffd, uffdioRegister, unsafe.Pointer(&reg)); err != nil {
		r.tf = nil
		return fmt.Errorf("memtrack: registering for write protection: %w", err)
	}
	r.registered = true
	return nil
}

func (r *Region) rng() uffdioRange {
	return uffdioRange{start: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.buf)))), len: uint64(len(r.buf))}
}

// Bytes returns the whole mapping.
func (r *Region) Bytes() []byte { return r.buf }

// Tracking reports whether the kernel tracks writes to the region.
func (r *Region) Tracking() bool { return r.tf != nil }

// Reset forgets which of the first limit bytes were written: Dirty reports
// only writes after it. Writes past limit are not tracked until a Reset
// that covers them.
func (r *Region) Reset(limit int) error {
	if r.tf == nil {
		return ErrNotTracking
	}
	limit = min((limit+r.osPage-1)&^(r.osPage-1), len(r.buf))
	if limit == 0 {
		return nil
	}
	if err := r.register(); err != nil {
		return err
	}
	rng := r.rng()
	rng.len = uint64(limit)
	wp := uffdioWriteProtectArg{rng: rng, mode: uffdWriteProtectModeWP}
	if err := ioctl(r.tf.uffd, uffdioWriteProtect, unsafe.Pointer(&wp)); err != nil {
		return fmt.Errorf("memtrack: write-protecting: %w", err)
	}
	return nil
}

// Dirty calls fn for each page of pageSize bytes (a multiple of the OS page
// size) among the first limit bytes that was written since the last Reset
// or Dirty, in increasing order, and forgets those writes.
func (r *Region) Dirty(limit, pageSize int, fn func(page uint32)) error {
	if r.tf == nil || !r.registered {
		return ErrNotTracking
	}
	limit = min((limit+r.osPage-1)&^(r.osPage-1), len(r.buf))
	if limit == 0 {
		return nil
	}
	if r.regions == nil {
		r.regions = make([]pageRegion, 256)
	}
	base := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.buf))))
	start, end := base, base+uint64(limit)
	last := int64(-1)
	for start < end {
		arg := pmScanArg{
			size: uint64(unsafe.Sizeof(pmScanArg{})), flags: pmScanWPMatching | pmScanCheckWPAsync,
			start: start, end: end,
			vec: uint64(uintptr(unsafe.Pointer(&r.regions[0]))), vecLen: uint64(len(r.regions)),
			categoryMask: pageIsWritten, returnMask: pageIsWritten,
		}
		n, _, errno := syscall.Syscall(syscall.SYS_IOCTL, r.tf.pagemap.Fd(), pagemapScan, uintptr(unsafe.Pointer(&arg)))
		if errno != 0 {
			return fmt.Errorf("memtrack: PAGEMAP_SCAN: %w", errno)
		}
		for _, pr := range r.regions[:n] {
			for p := int64((pr.start - base) / uint64(pageSize)); p <= int64((pr.end-1-base)/uint64(pageSize)); p++ {
				if p > last {
					fn(uint32(p))
					last = p
				}
			}
		}
		if arg.walkEnd <= start {
			break
		}
		start = arg.walkEnd
	}
	return nil
}

// Populate backs the first n bytes with memory in one system call, which
// is several times faster than faulting them in page by page when they are
// about to be written whole (restoring a snapshot). Failure is harmless.
func (r *Region) Populate(n int) {
	n = min((n+r.osPage-1)&^(r.osPage-1), len(r.buf))
	if n > 0 {
		_ = syscall.Madvise(r.buf[:n], madvPopulateWrite)
	}
}

const madvPopulateWrite = 23 // MADV_POPULATE_WRITE, Linux 5.14

// Close unmaps the region. The caller must hold no slice of it.
func (r *Region) Close() error {
	if r.unmapped {
		return nil
	}
	r.unmapped = true
	if r.registered {
		rng := r.rng()
		_ = ioctl(r.tf.uffd, uffdioUnregister, unsafe.Pointer(&rng))
	}
	err := syscall.Munmap(r.buf)
	r.buf = nil
	if err != nil {
		return errors.Join(errors.New("memtrack: unmapping"), err)
	}
	return nil
}
