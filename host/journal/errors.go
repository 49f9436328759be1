package journal

import (
	"errors"
	"io/fs"
	"os"
)

// DiskError is a file-system failure described without its file's path
// (error messages never show server paths); it unwraps to the original
// error, so errors.Is(err, syscall.ENOSPC) still holds.
type DiskError struct{ Err error }

// Error describes the failure: the operation and the system error, no path.
func (e DiskError) Error() string {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(e.Err, &pe):
		return pe.Op + ": " + pe.Err.Error()
	case errors.As(e.Err, &le):
		return le.Op + ": " + le.Err.Error()
	}
	return e.Err.Error()
}

// Unwrap returns the original error.
func (e DiskError) Unwrap() error { return e.Err }

// ErrBroken: the journal refuses appends since a failed write could not be
// undone (File.Broken); a checkpoint, which empties it, mends it.
var ErrBroken = errors.New("the journal refuses appends since a failed write could not be undone")

// ErrUnfinished: the actor's spawn never became durable (the spawning
// marker and no snapshot), so it was never acknowledged: its files are to
// be removed (RemoveActor), not judged damaged.
var ErrUnfinished = errors.New("the spawn did not finish before the host stopped")
