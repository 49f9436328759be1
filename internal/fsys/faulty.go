package fsys

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
)

// Op is a kind of file-system operation Faulty can fail.
type Op string

// The operations Faulty counts and can fail.
const (
	OpOpen     Op = "open"     // OpenFile for writing, CreateTemp
	OpWrite    Op = "write"    // File.Write
	OpSync     Op = "sync"     // File.Sync (files and directories)
	OpTruncate Op = "truncate" // File.Truncate
	OpRename   Op = "rename"   // Rename
	OpRemove   Op = "remove"   // Remove, RemoveAll
	OpMkdir    Op = "mkdir"    // Mkdir, MkdirAll
)

// Kind is the failure Faulty injects.
type Kind string

// Failure kinds.
const (
	// NoSpace fails with ENOSPC (the disk is full).
	NoSpace Kind = "ENOSPC"
	// IOError fails with EIO (the device failed).
	IOError Kind = "EIO"
	// Short writes the first half of the bytes, then fails with ENOSPC (a
	// write the disk filled up during). On other operations it is NoSpace.
	Short Kind = "short write"
)

// Fault is one injected failure: the operations Op on a path containing
// Path ("" matches every path) are counted, the first After of them
// succeed, and the next Times fail with Kind (Times 0: every one after,
// until Faulty.Clear).
type Fault struct {
	Op    Op
	Path  string
	After int
	Times int
	Kind  Kind

	seen, hit int
}

// Event is one operation Faulty saw.
type Event struct {
	Op   Op     // what was done
	Path string // the path it was done to
	// Failed says the operation was failed by a Fault.
	Failed bool
}

// Faulty is an FS over another (OS when nil) that fails chosen operations.
// It is safe for concurrent use.
type Faulty struct {
	base FS

	mu     sync.Mutex
	faults []*Fault
	events []Event
	record bool
}

// NewFaulty returns a Faulty over base (OS when nil) that fails nothing yet.
func NewFaulty(base FS) *Faulty { return &Faulty{base: Or(base)} }

// Set replaces the faults.
func (f *Faulty) Set(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = f.faults[:0]
	for _, x := range faults {
		x.seen, x.hit = 0, 0
		f.faults = append(f.faults, &x)
	}
}

// Clear removes every fault: the file system works again.
func (f *Faulty) Clear() { f.Set() }

// Injected is how many operations the faults failed since Set.
func (f *Faulty) Injected() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.faults {
		n += x.hit
	}
	return n
}

// Record starts (or with false stops) recording the operations seen, and
// forgets those recorded before.
func (f *Faulty) Record(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record, f.events = on, nil
}

// Events returns the operations recorded since Record(true).
func (f *Faulty) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Event(nil), f.events...)
}

// check counts op on path and returns the failure to inject, if any.
func (f *Faulty) check(op Op, path string) (Kind, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var kind Kind
	fail := false
	for _, x := range f.faults {
		if x.Op != op || !strings.Contains(path, x.Path) {
			continue
		}
		x.seen++
		if !fail && x.seen > x.After && (x.Times == 0 || x.hit < x.Times) {
			x.hit++
			kind, fail = x.Kind, true
		}
	}
	if f.record {
		f.events = append(f.events, Event{Op: op, Path: path, Failed: fail})
	}
	return kind, fail
}

// errno is the error an injected failure of kind returns.
func errno(kind Kind) error {
	if kind == IOError {
		return syscall.EIO
	}
	return syscall.ENOSPC
}

func pathErr(op Op, path string, kind Kind) error {
	return &fs.PathError{Op: string(op), Path: path, Err: fmt.Errorf("injected: %w", errno(kind))}
}

// IsInjected reports whether err is (or wraps) a failure Faulty injected.
func IsInjected(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Err.Error(), "injected: ")
}

func writing(flag int) bool {
	return flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0
}

// OpenFile opens name; opening for writing is an OpOpen.
func (f *Faulty) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if writing(flag) {
		if kind, fail := f.check(OpOpen, name); fail {
			return nil, pathErr(OpOpen, name, kind)
		}
	}
	file, err := f.base.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f}, nil
}

// CreateTemp creates a temporary file (an OpOpen on dir/pattern).
func (f *Faulty) CreateTemp(dir, pattern string) (File, error) {
	if kind, fail := f.check(OpOpen, dir+string(os.PathSeparator)+pattern); fail {
		return nil, pathErr(OpOpen, dir, kind)
	}
	file, err := f.base.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f}, nil
}

// ReadFile reads name; reads are never failed.
func (f *Faulty) ReadFile(name string) ([]byte, error) { return f.base.ReadFile(name) }

// ReadDir reads a directory; reads are never failed.
func (f *Faulty) ReadDir(name string) ([]fs.DirEntry, error) { return f.base.ReadDir(name) }

// Stat describes name; never failed.
func (f *Faulty) Stat(name string) (fs.FileInfo, error) { return f.base.Stat(name) }

// Rename renames (an OpRename on the new path).
func (f *Faulty) Rename(oldpath, newpath string) error {
	if kind, fail := f.check(OpRename, newpath); fail {
		return &os.LinkError{Op: string(OpRename), Old: oldpath, New: newpath, Err: errno(kind)}
	}
	return f.base.Rename(oldpath, newpath)
}

// Remove removes name (an OpRemove).
func (f *Faulty) Remove(name string) error {
	if kind, fail := f.check(OpRemove, name); fail {
		return pathErr(OpRemove, name, kind)
	}
	return f.base.Remove(name)
}

// RemoveAll removes name and what it holds (an OpRemove).
func (f *Faulty) RemoveAll(name string) error {
	if kind, fail := f.check(OpRemove, name); fail {
		return pathErr(OpRemove, name, kind)
	}
	return f.base.RemoveAll(name)
}

// Mkdir makes a directory (an OpMkdir).
func (f *Faulty) Mkdir(name string, perm fs.FileMode) error {
	if kind, fail := f.check(OpMkdir, name); fail {
		return pathErr(OpMkdir, name, kind)
	}
	return f.base.Mkdir(name, perm)
}

// MkdirAll makes a directory and its parents (an OpMkdir).
func (f *Faulty) MkdirAll(name string, perm fs.FileMode) error {
	if kind, fail := f.check(OpMkdir, name); fail {
		return pathErr(OpMkdir, name, kind)
	}
	return f.base.MkdirAll(name, perm)
}

type faultyFile struct {
	File
	fs *Faulty
}

func (f *faultyFile) Write(p []byte) (int, error) {
	kind, fail := f.fs.check(OpWrite, f.Name())
	if !fail {
		return f.File.Write(p)
	}
	n := 0
	if kind == Short && len(p) > 1 {
		n, _ = f.File.Write(p[:len(p)/2])
	}
	return n, pathErr(OpWrite, f.Name(), kind)
}

func (f *faultyFile) Sync() error {
	if kind, fail := f.fs.check(OpSync, f.Name()); fail {
		return pathErr(OpSync, f.Name(), kind)
	}
	return f.File.Sync()
}

func (f *faultyFile) Truncate(size int64) error {
	if kind, fail := f.fs.check(OpTruncate, f.Name()); fail {
		return pathErr(OpTruncate, f.Name(), kind)
	}
	return f.File.Truncate(size)
}
