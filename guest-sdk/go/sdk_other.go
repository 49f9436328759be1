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
func SelfID() string {
	if localHost != nil {
		return localHost.selfID()
	}
	return ""
}

// Exit does nothing outside a guest (in a guest the actor ends once the
// current call returns).
func Exit() {}

// Actor-to-actor calls outside a guest: the imports are answered by
// localHost, which the package's tests set to a fake host; without one,
// every call fails with an *Error of code "wactor.unavailable".

// actorHost has the actor-call imports of docs/ABI.md section 6.
type actorHost interface {
	selfID() string
	call(target []byte, method string, args []byte) int32
	send(target []byte, method string, args []byte) int64
	await(future int64) int32
	spawn(class string, args, opts []byte) int32
	getActor(namespace, name string) int32
	kill(target []byte) int32
	take(buf []byte) int32
}

var localHost actorHost

// unavailable is the pending envelope of every call without localHost.
var (
	unavailable, _ = Marshal([]any{int64(2), codeUnavailable, "actor-to-actor calls are only available in a GOOS=wasip1 guest"})
	unavailableOut bool // whether the envelope is pending
)

func noHost() int32 {
	unavailableOut = true
	return int32(len(unavailable))
}

func hostCall(target []byte, method string, args []byte) int32 {
	if localHost != nil {
		return localHost.call(target, method, args)
	}
	return noHost()
}

func hostSend(target []byte, method string, args []byte) int64 {
	if localHost != nil {
		return localHost.send(target, method, args)
	}
	return -int64(noHost())
}

func hostAwait(future int64) int32 {
	if localHost != nil {
		return localHost.await(future)
	}
	return noHost()
}

func hostSpawn(class string, args, opts []byte) int32 {
	if localHost != nil {
		return localHost.spawn(class, args, opts)
	}
	return noHost()
}

func hostGetActor(namespace, name string) int32 {
	if localHost != nil {
		return localHost.getActor(namespace, name)
	}
	return noHost()
}

func hostKill(target []byte) int32 {
	if localHost != nil {
		return localHost.kill(target)
	}
	return noHost()
}

func hostTake(buf []byte) int32 {
	if localHost != nil {
		return localHost.take(buf)
	}
	if !unavailableOut {
		return 0
	}
	if len(buf) < len(unavailable) {
		return -int32(len(unavailable))
	}
	unavailableOut = false
	return int32(copy(buf, unavailable))
}

// randomBytes has no host random source outside a sandbox: a counter.
func randomBytes(b []byte) { counterBytes(b) }
