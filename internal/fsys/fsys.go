// Package fsys is the file-system seam of the stores that keep what a host
// persists (durable actors' journals, snapshots, metadata and classes): an
// interface over the few OS calls they make, the OS by default, and Faulty,
// which injects write, sync and other errors at a chosen operation for tests
// (as bbolt's failpoints do).
//
// It is internal on purpose: the public packages take it only through
// unexported fields or functions documented as module-internal, so the
// public API does not grow a file-system abstraction.
package fsys

import (
	"io"
	"io/fs"
	"os"
)

// File is the part of *os.File the stores use.
type File interface {
	io.Reader
	io.Writer
	io.Seeker
	io.Closer
	// Sync commits the file's content (or a directory's entries) to disk.
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Stat describes the file.
	Stat() (fs.FileInfo, error)
	// Name is the name the file was opened with.
	Name() string
}

// FS is the part of package os the stores use.
type FS interface {
	// OpenFile is os.OpenFile.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// CreateTemp is os.CreateTemp (the file is created 0600).
	CreateTemp(dir, pattern string) (File, error)
	// ReadFile is os.ReadFile.
	ReadFile(name string) ([]byte, error)
	// ReadDir is os.ReadDir.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Stat is os.Stat.
	Stat(name string) (fs.FileInfo, error)
	// Rename is os.Rename.
	Rename(oldpath, newpath string) error
	// Remove is os.Remove.
	Remove(name string) error
	// RemoveAll is os.RemoveAll.
	RemoveAll(name string) error
	// Mkdir is os.Mkdir.
	Mkdir(name string, perm fs.FileMode) error
	// MkdirAll is os.MkdirAll.
	MkdirAll(name string, perm fs.FileMode) error
}

// OS is the operating system's file system.
var OS FS = osFS{}

// Or returns f, or OS when f is nil.
func Or(f FS) FS {
	if f == nil {
		return OS
	}
	return f
}

// Open opens a file (or a directory, to sync it) for reading.
func Open(f FS, name string) (File, error) { return f.OpenFile(name, os.O_RDONLY, 0) }

// SyncDir makes a directory's entries durable.
func SyncDir(f FS, dir string) error {
	d, err := Open(f, dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return f, nil
}

func (osFS) CreateTemp(dir, pattern string) (File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (osFS) ReadFile(name string) ([]byte, error)         { return os.ReadFile(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(name) }
func (osFS) Rename(oldpath, newpath string) error         { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) RemoveAll(name string) error                  { return os.RemoveAll(name) }
func (osFS) Mkdir(name string, perm fs.FileMode) error    { return os.Mkdir(name, perm) }
func (osFS) MkdirAll(name string, perm fs.FileMode) error { return os.MkdirAll(name, perm) }
