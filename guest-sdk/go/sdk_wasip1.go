//go:build wasip1

package wactor

import (
	"unsafe"

	"github.com/wactor/wactor/abi"
)

// The ABI exports every actor class needs (docs/ABI.md section 1). They are
// exported from this package: importing the SDK is enough.

//go:wasmexport wactor_abi_version
func wactorABIVersion() int32 { return abi.Version }

// inBuf is the one reusable input buffer handed out by wactor_alloc. The
// package variable keeps it referenced, so the (non-moving) garbage
// collector keeps it in place while the host writes into it. inPtr and
// inCap cache its address and capacity for the fast path.
var (
	inBuf []byte
	inPtr uint32
	inCap uint32
)

func init() { allocSlow(minInBuf) }

const (
	minInBuf = 4096
	// maxAlloc is the largest request wactor_alloc serves; larger ones
	// return 0 (the host then fails the call).
	maxAlloc = 1 << 30
)

//go:wasmexport wactor_alloc
func wactorAlloc(size uint32) uint32 {
	// Reuse the buffer when it is large enough, unless it was grown past
	// maxKeptOut for an earlier large call and this request is small.
	if size <= inCap && (inCap <= maxKeptOut || size > minInBuf) {
		return inPtr
	}
	return allocSlow(size)
}

func allocSlow(size uint32) uint32 {
	if size > maxAlloc {
		return 0
	}
	n := int(size)
	if n > cap(inBuf) {
		n = max(n, 2*cap(inBuf), minInBuf)
	} else {
		n = minInBuf // release a buffer grown for one large call
	}
	inBuf = make([]byte, n)
	inPtr = uint32(uintptr(unsafe.Pointer(&inBuf[0])))
	inCap = uint32(n)
	return inPtr
}

func pack(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&b[0])))<<32 | uint64(len(b))
}

// Call serves one call of the method: call it from the method's
// //go:wasmexport function, passing its arguments through, and return its
// result. The result bytes live in the SDK's output buffer until the next
// call into the guest.
//
// Call is small enough to be inlined into the export function (each call
// level costs tens of nanoseconds in a Go wasm guest). The arguments are
// where the host wrote them, normally the buffer wactor_alloc returned.
func (h *Handler) Call(ptr, size uint32) uint64 {
	out := h.invoke(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(ptr))), size))
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(out))))<<32 | uint64(len(out))
}

//go:wasmexport wactor_init
func wactorInit(ptr, size uint32) uint64 {
	if initHandler != nil {
		return initHandler.Call(ptr, size)
	}
	return noInit.Call(ptr, size)
}

var manifestBytes []byte

//go:wasmexport wactor_manifest
func wactorManifest() uint64 {
	if manifestBytes == nil {
		b, err := Manifest()
		if err != nil {
			panic("wactor: cannot encode the manifest: " + err.Error())
		}
		manifestBytes = b
	}
	return pack(manifestBytes)
}

// Host imports (docs/ABI.md section 6, module "wactor").

//go:wasmimport wactor log
func hostLog(level int32, ptr unsafe.Pointer, size uint32)

//go:wasmimport wactor self_id
func hostSelfID(ptr unsafe.Pointer, capacity uint32) uint32

//go:wasmimport wactor exit
func hostExit()

// Log appends one line to the actor's log. Levels: LevelDebug, LevelInfo,
// LevelWarn, LevelError.
func Log(level int, msg string) {
	hostLog(int32(level), unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
}

// SelfID returns the actor's ID.
func SelfID() string {
	buf := make([]byte, 64)
	n := hostSelfID(unsafe.Pointer(&buf[0]), uint32(len(buf)))
	if int(n) > len(buf) {
		buf = make([]byte, n)
		n = hostSelfID(unsafe.Pointer(&buf[0]), uint32(len(buf)))
		n = min(n, uint32(len(buf)))
	}
	return string(buf[:n])
}

// Exit ends the actor once the current call returns (Ray's exit_actor): the
// call completes normally, calls queued behind it fail.
func Exit() { hostExit() }

// Actor-to-actor calls (docs/ABI.md section 6). Each returns the length of
// the envelope the host holds until take copies it (see actor.go). A
// //go:wasmimport function is only imported when a guest uses it, so a
// class that makes no actor calls imports none of these.

//go:wasmimport wactor call
func importCall(targetPtr unsafe.Pointer, targetLen uint32, methodPtr unsafe.Pointer, methodLen uint32, argsPtr unsafe.Pointer, argsLen uint32) int32

//go:wasmimport wactor send
func importSend(targetPtr unsafe.Pointer, targetLen uint32, methodPtr unsafe.Pointer, methodLen uint32, argsPtr unsafe.Pointer, argsLen uint32) int64

//go:wasmimport wactor await
func importAwait(future int64) int32

//go:wasmimport wactor spawn
func importSpawn(classPtr unsafe.Pointer, classLen uint32, argsPtr unsafe.Pointer, argsLen uint32, optsPtr unsafe.Pointer, optsLen uint32) int32

//go:wasmimport wactor get_actor
func importGetActor(nsPtr unsafe.Pointer, nsLen uint32, namePtr unsafe.Pointer, nameLen uint32) int32

//go:wasmimport wactor kill
func importKill(targetPtr unsafe.Pointer, targetLen uint32) int32

//go:wasmimport wactor take
func importTake(ptr unsafe.Pointer, capacity uint32) int32

func bytesPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func stringPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func hostCall(target []byte, method string, args []byte) int32 {
	return importCall(bytesPtr(target), uint32(len(target)), stringPtr(method), uint32(len(method)), bytesPtr(args), uint32(len(args)))
}

func hostSend(target []byte, method string, args []byte) int64 {
	return importSend(bytesPtr(target), uint32(len(target)), stringPtr(method), uint32(len(method)), bytesPtr(args), uint32(len(args)))
}

func hostAwait(future int64) int32 { return importAwait(future) }

func hostSpawn(class string, args, opts []byte) int32 {
	return importSpawn(stringPtr(class), uint32(len(class)), bytesPtr(args), uint32(len(args)), bytesPtr(opts), uint32(len(opts)))
}

func hostGetActor(namespace, name string) int32 {
	return importGetActor(stringPtr(namespace), uint32(len(namespace)), stringPtr(name), uint32(len(name)))
}

func hostKill(target []byte) int32 { return importKill(bytesPtr(target), uint32(len(target))) }

func hostTake(buf []byte) int32 { return importTake(bytesPtr(buf), uint32(len(buf))) }

// wactor_reseed is called by the host after it copied this sandbox's state
// from another (a fork, or the class template): see Rand.
//
//go:wasmexport wactor_reseed
func wactorReseed() { reseed() }

//go:wasmimport wasi_snapshot_preview1 random_get
func randomGet(ptr unsafe.Pointer, n uint32) uint32

func randomBytes(b []byte) {
	if len(b) == 0 || randomGet(unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b))) != 0 {
		counterBytes(b)
	}
}
