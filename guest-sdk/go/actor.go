package wactor

// Actor-to-actor calls (docs/ABI.md section 6, "Actor-to-actor calls"):
// every import returns the length of a result envelope that the host holds
// until the guest takes it with the take import. The imports themselves
// (hostCall, hostSend, ...) are in sdk_wasip1.go; sdk_other.go has
// stand-ins for other platforms.

import (
	"errors"
	"strconv"

	"github.com/wactor/wactor/abi"
)

// Error codes of the errors the host reports for actor-to-actor calls, as
// the Code of an *Error (the abi package's codes). Any other code is an
// application error of the called method, passed through unchanged.
const (
	// CodeActorNotFound: no live actor with that handle, or no actor with
	// that name.
	CodeActorNotFound = abi.CodeActorNotFound
	// CodeMethodNotFound: the target's class has no such method.
	CodeMethodNotFound = abi.CodeMethodNotFound
	// CodeArity: the wrong number of arguments for the method.
	CodeArity = abi.CodeArity
	// CodeActorDied: the target died before or during the call.
	CodeActorDied = abi.CodeActorDied
	// CodeTrap: the target trapped on this call.
	CodeTrap = abi.CodeTrap
	// CodeDeadlock: waiting would close a cycle of actors waiting on each
	// other (for instance an actor calling itself); the message names the
	// chain.
	CodeDeadlock = abi.CodeDeadlock
	// CodeBackpressure: the target's mailbox is full.
	CodeBackpressure = abi.CodeBackpressure
	// CodeQuota: this actor has too many children or outstanding futures.
	CodeQuota = abi.CodeQuota
	// CodeBadHandle: a malformed handle.
	CodeBadHandle = abi.CodeBadHandle
	// CodeBadArgs: malformed method, arguments or options. (The SDK's own
	// argument errors, when a method of this actor is called badly, have
	// the code "bad_args".)
	CodeBadArgs = abi.CodeBadArgs
	// CodeNameTaken: a spawn asked for a name that a live actor of the
	// namespace has.
	CodeNameTaken = abi.CodeNameTaken
	// CodeCancelled: this actor's own call was interrupted (deadline, kill)
	// while it waited.
	CodeCancelled = abi.CodeCancelled
	// CodeForbidden: the request reached outside this actor's namespace
	// (another namespace's actor, or a spawn into another namespace).
	CodeForbidden = abi.CodeForbidden
)

// codeUnavailable is the code of the errors the stand-ins outside a wasip1
// guest report.
const codeUnavailable = "wactor.unavailable"

// IsCode reports whether err is (or wraps) an *Error with the given code.
func IsCode(err error, code string) bool {
	var ae *Error
	return errors.As(err, &ae) && ae.Code == code
}

// Self returns a handle to this actor. Its Class is empty: the host looks
// actors up by ID. A synchronous call to Self fails with CodeDeadlock (the
// actor is busy running the caller).
func Self() Handle { return Handle{ID: SelfID()} }

// The actor-call functions share these buffers: they are called from a
// method, and calls into a sandbox never overlap. They must not be used
// from several goroutines at once.
var (
	reqEnc  encoder // target handle and arguments of the next request
	takeBuf []byte  // where take copies envelopes
)

// encodeRequest encodes the target handle (unless it is nil) and the
// argument array into reqEnc's buffer and returns both encodings.
func encodeRequest(h *Handle, args []any) (target, argb []byte, err error) {
	e := &reqEnc
	e.buf, e.depth = e.buf[:0], 0
	if cap(e.buf) > maxKeptOut {
		e.buf = nil
	}
	if h != nil {
		if h.ID == "" {
			return nil, nil, &Error{Code: CodeBadHandle, Message: "the zero Handle refers to no actor"}
		}
		if err := e.handle(*h); err != nil {
			return nil, nil, &Error{Code: CodeBadHandle, Message: err.Error()}
		}
	}
	n := len(e.buf)
	if err := e.sliceAny(args); err != nil {
		return nil, nil, &Error{Code: CodeBadArgs, Message: "cannot encode the arguments: " + err.Error()}
	}
	return e.buf[:n], e.buf[n:], nil
}

// takeEnvelope takes the pending envelope of length n and decodes it.
func takeEnvelope(n int32) (Raw, error) {
	if n < 0 {
		return nil, errors.New("wactor: the host returned the invalid envelope length " + strconv.Itoa(int(n)))
	}
	size := max(int(n), 256)
	for range 3 {
		if cap(takeBuf) < size || cap(takeBuf) > maxKeptOut && size <= maxKeptOut {
			takeBuf = make([]byte, size)
		}
		buf := takeBuf[:cap(takeBuf)]
		got := hostTake(buf)
		if got < 0 { // the buffer is too small: the host says how large
			size = int(-got)
			continue
		}
		if int(got) > len(buf) {
			break
		}
		return parseEnvelope(buf[:got])
	}
	return nil, errors.New("wactor: the host's take import misbehaved")
}

// parseEnvelope decodes a result envelope (docs/ABI.md section 4): [0, v]
// gives v and [1, [v1, ..., vn]] the whole array, as a copy; [2, code,
// message] gives an *Error. Empty bytes mean null.
func parseEnvelope(b []byte) (Raw, error) {
	if len(b) == 0 {
		return Raw{0xf6}, nil
	}
	var d decoder
	d.reset(b)
	n, err := d.arrayHead("result envelope")
	if err != nil {
		return nil, badEnvelope(err.Error())
	}
	kind, err := d.int64()
	if err != nil {
		return nil, badEnvelope(err.Error())
	}
	var raw Raw
	switch {
	case (kind == 0 || kind == 1) && n == 2:
		if kind == 1 && (d.off >= len(b) || b[d.off]>>5 != 4) {
			return nil, badEnvelope("kind 1 without an array of values")
		}
		if raw, err = d.raw(); err != nil {
			return nil, badEnvelope(err.Error())
		}
	case kind == 2 && n == 3:
		code, err := d.string()
		if err != nil {
			return nil, badEnvelope("error code: " + err.Error())
		}
		msg, err := d.string()
		if err != nil {
			return nil, badEnvelope("error message: " + err.Error())
		}
		if d.off != len(b) {
			return nil, badEnvelope(errTrailing.Error())
		}
		return nil, &Error{Code: code, Message: msg}
	default:
		return nil, badEnvelope("kind " + strconv.FormatInt(kind, 10) + " with " + strconv.Itoa(n) + " elements")
	}
	if d.off != len(b) {
		return nil, badEnvelope(errTrailing.Error())
	}
	return raw, nil
}

func badEnvelope(why string) error {
	return errors.New("wactor: malformed result envelope from the host: " + why)
}

// Call calls method on the actor with args and waits for the result (the
// call import). The result is the method's value, or the array of its
// values for a method with several results. The error is an *Error: one of
// the host's codes (CodeDeadlock, CodeActorDied, ... ) or the application
// error the method returned, with its code and message unchanged.
//
// The calling actor runs nothing else while it waits: a call back into it
// fails with CodeDeadlock.
func (h Handle) Call(method string, args ...any) (Raw, error) {
	target, argb, err := encodeRequest(&h, args)
	if err != nil {
		return nil, err
	}
	return takeEnvelope(hostCall(target, method, argb))
}

// CallAs is Handle.Call with the result decoded into a T.
func CallAs[T any](h Handle, method string, args ...any) (T, error) {
	var v T
	raw, err := h.Call(method, args...)
	if err != nil {
		return v, err
	}
	err = decodeResult(raw, &v)
	return v, err
}

// decodeResult decodes a result into v; a value that does not fit is an
// *Error with code "bad_result".
func decodeResult(raw Raw, v any) error {
	if err := raw.Decode(v); err != nil {
		return &Error{Code: "bad_result", Message: "cannot decode the result: " + err.Error()}
	}
	return nil
}

// A Future is the pending result of a call made with Handle.Send. It belongs
// to the actor that sent the call: it is a number local to its sandbox and
// cannot be passed to another actor.
type Future struct {
	id   int64
	done bool
	val  Raw
	err  error
}

// Send calls method on the actor with args without waiting (the send
// import) and returns the future of the result. It fails at once (with an
// *Error) when the call cannot be queued, for instance with CodeQuota or
// CodeBackpressure.
func (h Handle) Send(method string, args ...any) (*Future, error) {
	target, argb, err := encodeRequest(&h, args)
	if err != nil {
		return nil, err
	}
	f := hostSend(target, method, argb)
	if f > 0 {
		return &Future{id: f}, nil
	}
	if f < -(1<<31 - 1) {
		return nil, errors.New("wactor: the host's send import returned " + strconv.FormatInt(f, 10))
	}
	_, err = takeEnvelope(int32(-f))
	if err == nil {
		err = errors.New("wactor: the host's send import failed without an error")
	}
	return nil, err
}

// Get waits for the result (the await import) and returns it as
// Handle.Call does. The result is kept: later calls of Get return it again.
func (f *Future) Get() (Raw, error) {
	if f == nil {
		return nil, errors.New("wactor: Get on a nil Future")
	}
	if !f.done {
		f.val, f.err = takeEnvelope(hostAwait(f.id))
		f.done = true
	}
	return f.val, f.err
}

// Await is Future.Get with the result decoded into a T.
func Await[T any](f *Future) (T, error) {
	var v T
	raw, err := f.Get()
	if err != nil {
		return v, err
	}
	err = decodeResult(raw, &v)
	return v, err
}

// SpawnOptions are the options of Spawn. Zero fields are left out (the
// host's defaults apply).
type SpawnOptions struct {
	// Name registers the actor under a name in Namespace (empty: the
	// spawning actor's namespace), for GetActor.
	Name, Namespace string
	// Detached makes the actor outlive this one (by default a child is
	// killed with its owner).
	Detached bool
	// GetIfExists returns the live actor of that name instead of failing
	// with CodeNameTaken.
	GetIfExists bool
	// MaxRestarts is how often the actor is restarted after a trap.
	MaxRestarts int
	// MemoryPages limits the actor's memory, in 64 KiB pages.
	MemoryPages uint32
	// CallTimeoutMS is the deadline of each call of the actor.
	CallTimeoutMS int64
}

// encode returns the options as a CBOR map with only the non-zero keys
// (nil when all are zero).
func (o SpawnOptions) encode() ([]byte, error) {
	m := map[string]any{}
	if o.Name != "" {
		m["name"] = o.Name
	}
	if o.Namespace != "" {
		m["namespace"] = o.Namespace
	}
	if o.Detached {
		m["detached"] = true
	}
	if o.GetIfExists {
		m["get_if_exists"] = true
	}
	if o.MaxRestarts != 0 {
		m["max_restarts"] = int64(o.MaxRestarts)
	}
	if o.MemoryPages != 0 {
		m["memory_pages"] = uint64(o.MemoryPages)
	}
	if o.CallTimeoutMS != 0 {
		m["call_timeout_ms"] = o.CallTimeoutMS
	}
	if len(m) == 0 {
		return nil, nil
	}
	return Marshal(m)
}

// Spawn creates an actor of class (a class ID; "" for this actor's own
// class) owned by this actor, runs its constructor with args and returns
// its handle (the spawn import).
func Spawn(class string, opts SpawnOptions, args ...any) (Handle, error) {
	optb, err := opts.encode()
	if err != nil {
		return Handle{}, &Error{Code: CodeBadArgs, Message: "cannot encode the options: " + err.Error()}
	}
	_, argb, err := encodeRequest(nil, args)
	if err != nil {
		return Handle{}, err
	}
	return takeHandle(hostSpawn(class, argb, optb))
}

// GetActor returns the handle of the live actor registered under name in
// namespace ("" for this actor's namespace), or an *Error with
// CodeActorNotFound (the get_actor import).
func GetActor(namespace, name string) (Handle, error) {
	return takeHandle(hostGetActor(namespace, name))
}

func takeHandle(n int32) (Handle, error) {
	raw, err := takeEnvelope(n)
	if err != nil {
		return Handle{}, err
	}
	var h Handle
	if err := raw.Decode(&h); err != nil {
		return Handle{}, badEnvelope("not an actor handle: " + err.Error())
	}
	return h, nil
}

// Kill kills the actor (the kill import).
func Kill(h Handle) error {
	target, _, err := encodeRequest(&h, nil)
	if err != nil {
		return err
	}
	_, err = takeEnvelope(hostKill(target))
	return err
}
