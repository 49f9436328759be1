package fsys

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFaulty: a fault skips After matching operations, fails Times of them
// with its kind (a short write writes half), then lets them through; paths
// that do not match are not counted.
func TestFaulty(t *testing.T) {
	dir := t.TempDir()
	f := NewFaulty(nil)
	file, err := f.OpenFile(filepath.Join(dir, "j"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	other, err := f.OpenFile(filepath.Join(dir, "other"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f.Set(Fault{Op: OpWrite, Path: "/j", After: 1, Times: 2, Kind: Short})
	f.Record(true)
	tests := []struct {
		file    File
		wantN   int
		wantErr error
	}{
		{file, 4, nil},
		{other, 4, nil}, // not counted
		{file, 2, syscall.ENOSPC},
		{file, 2, syscall.ENOSPC},
		{file, 4, nil},
	}
	for i, tt := range tests {
		n, err := tt.file.Write([]byte("abcd"))
		if n != tt.wantN || !errors.Is(err, tt.wantErr) || (err != nil) != IsInjected(err) {
			t.Fatalf("write %d: %d, %v; want %d, %v", i, n, err, tt.wantN, tt.wantErr)
		}
	}
	if f.Injected() != 2 || len(f.Events()) != 5 {
		t.Fatalf("injected %d, events %d", f.Injected(), len(f.Events()))
	}
	b, _ := os.ReadFile(filepath.Join(dir, "j"))
	if string(b) != "abcdabababcd" {
		t.Fatalf("file holds %q", b)
	}
	f.Set(Fault{Op: OpSync, Kind: IOError}, Fault{Op: OpRename, Kind: NoSpace})
	if err := file.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("sync: %v", err)
	}
	if err := SyncDir(f, dir); !errors.Is(err, syscall.EIO) {
		t.Fatalf("directory sync: %v", err)
	}
	if err := f.Rename(filepath.Join(dir, "j"), filepath.Join(dir, "k")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("rename: %v", err)
	}
	f.Clear()
	if err := file.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Rename(filepath.Join(dir, "j"), filepath.Join(dir, "k")); err != nil {
		t.Fatal(err)
	}
}
