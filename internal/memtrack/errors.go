package memtrack

import "errors"

// ErrNotTracking is returned by Reset and Dirty on a region whose writes
// the system does not track.
var ErrNotTracking = errors.New("memtrack: writes are not tracked on this system")
