//go:build !wasip1

package wactor

import (
	"fmt"
	"os"
)

// Outside a wasip1 guest (unit tests of a class's methods on the build
// machine) the host imports are replaced by local stand-ins.

// Call is only meaningful inside a wasip1 guest; elsewhere it panics. Use
// Handler.Invoke to run a method in a test.
func (h *Handler) Call(ptr, size uint32) uint64 {
	panic("wactor: Handler.Call is only available in a GOOS=wasip1 guest; use Invoke")
}

// Log writes the line to standard error (in a guest it goes to the actor's log).
func Log(level int, msg string) {
	fmt.Fprintf(os.Stderr, "wactor log %d: %s\n", level, msg)
}

// SelfID returns "" outside a guest.
func SelfID() string { return "" }

// Exit does nothing outside a guest (in a guest the actor ends once the
// current call returns).
func Exit() {}
