package sandbox

import "errors"

// ErrBadHandle marks a target that is not an actor handle
// (wactor.bad_handle).
var ErrBadHandle = errors.New("not an actor handle")
