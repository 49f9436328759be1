package scheduler

import "errors"

// Sentinel errors of package scheduler.
var (
	// ErrFull: the mailbox holds its capacity of items; the caller should slow down.
	ErrFull = errors.New("scheduler: mailbox full")
	// ErrClosed: the mailbox or pool is closed.
	ErrClosed = errors.New("scheduler: closed")
)
