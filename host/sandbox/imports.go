package sandbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/wactor/wactor/abi"
	"github.com/wactor/wactor/abi/codec"
	"github.com/wactor/wactor/api"
	"github.com/wactor/wactor/internal/engine"
	"github.com/wactor/wactor/internal/logring"
)

// Host functions. They find their sandbox as the instance's data
// (engine.Caller.Data) and read and write the caller's memory
// (engine.Caller.Memory), which is current even if the guest grew its
// memory during the call; a bad pointer records an ABI error and panics,
// which the engine turns into a trap.

var errBadPointer = errors.New("bad pointer passed to a host function")

func sandboxFrom(c engine.Caller) *Sandbox {
	sb, _ := c.Data().(*Sandbox)
	return sb
}

func (sb *Sandbox) abiPanic(format string, args ...any) {
	sb.abiErr = fmt.Errorf(format+": %w", append(args, errBadPointer)...)
	panic(sb.abiErr)
}

func hostLog(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	level, ptr, n := int32(stack[0]), uint32(stack[1]), uint32(stack[2])
	b, ok := callerMemory(c).Read(ptr, n)
	if !ok {
		sb.abiPanic("wactor.log(%d, %d, %d)", level, ptr, n)
	}
	if sb.rec.replaying() {
		return
	}
	// Cut before converting: the text is at most api.MaxLogLine bytes however
	// long the guest's buffer (invalid bytes may grow by a third, cut again).
	truncated := len(b) > api.MaxLogLine
	if truncated {
		b = trimPartialRune(b[:api.MaxLogLine])
	}
	text := logring.ValidText(b)
	sb.logs.AddLine(int(level), text, truncated)
	if level >= abi.LogError {
		sb.stderr.errorLine(text)
	}
}

func hostSelfID(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		stack[0] = 0
		return
	}
	ptr, capacity := uint32(stack[0]), uint32(stack[1])
	id := sb.actorID
	n := uint32(len(id))
	if capacity < n {
		n = capacity
	}
	if !callerMemory(c).Write(ptr, []byte(id[:n])) {
		sb.abiPanic("wactor.self_id(%d, %d)", ptr, capacity)
	}
	stack[0] = uint64(len(id))
}

func hostExit(_ context.Context, c engine.Caller, _ []uint64) {
	if sb := sandboxFrom(c); sb != nil {
		sb.exitRequested = true
	}
}

// callerMemory returns the calling instance's memory (a class always has
// one; an empty one otherwise, so every access fails its bounds check).
func callerMemory(c engine.Caller) engine.Memory {
	if m := c.Memory(); m != nil {
		return m
	}
	return noMemory{}
}

type noMemory struct{}

func (noMemory) Size() uint64                       { return 0 }
func (noMemory) Read(uint32, uint32) ([]byte, bool) { return nil, false }
func (noMemory) Write(uint32, []byte) bool          { return false }
func (noMemory) Grow(uint32) (uint32, bool)         { return 0, false }

func errorEnvelope(code, msg string) []byte {
	b, _ := abi.EncodeEnvelope(abi.Envelope{Kind: abi.KindError, Code: code, Message: msg})
	return b
}

// Bounds of what an import copies out of guest memory, checked before the
// copy: a guest may pass any length its memory holds (up to 4 GiB).
const (
	maxGuestRefBytes  = abi.MaxRefBytes          // an encoded actor handle or a class ID: tens of bytes
	maxSpawnOptsBytes = abi.MaxSpawnOptionsBytes // the spawn options map: a name and a few numbers
)

// readBytes copies n bytes at ptr from the caller's memory. A range outside
// the memory is an ABI violation (the call traps). More than limit bytes
// are not copied: readBytes returns nil and, if *err is nil, sets it to
// ErrTooLarge, which the import answers as an error with no other effect.
func (sb *Sandbox) readBytes(c engine.Caller, ptr, n uint32, limit int, what string, err *error) []byte {
	b := sb.viewBytes(c, ptr, n, what)
	if len(b) > limit {
		if *err == nil {
			*err = fmt.Errorf("%w: %s of %d bytes exceeds the limit of %d", api.ErrTooLarge, what, n, limit)
		}
		return nil
	}
	return append([]byte(nil), b...)
}

// viewBytes returns n bytes at ptr of the caller's memory without copying
// them: valid until the import returns to the guest, which cannot change
// them meanwhile (it is paused in the import).
func (sb *Sandbox) viewBytes(c engine.Caller, ptr, n uint32, what string) []byte {
	b, ok := callerMemory(c).Read(ptr, n)
	if !ok {
		sb.abiPanic("%s [%d, +%d) out of bounds", what, ptr, n)
	}
	return b
}

// failInput answers an import whose inputs were refused (err from
// readBytes, always api.ErrTooLarge): the error envelope, recorded like any
// outcome so a replay answers the same.
func (sb *Sandbox) failInput(err error) []byte {
	env := errorEnvelope(abi.CodeBadArgs, err.Error())
	sb.rec.recordExternal(env)
	return env
}

// answer records env and leaves it for wactor.take; it returns its length
// for the import's result.
func (sb *Sandbox) answer(env []byte) uint64 {
	sb.rec.recordExternal(env)
	return sb.setPending(env)
}

func (sb *Sandbox) setPending(env []byte) uint64 {
	sb.pending = env
	return uint64(uint32(len(env)))
}

func hostCall(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	var err error
	target := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), maxGuestRefBytes, "call target", &err)
	method := sb.viewBytes(c, uint32(stack[2]), uint32(stack[3]), "call method")
	args := sb.readBytes(c, uint32(stack[4]), uint32(stack[5]), sb.maxArgBytes, "call arguments", &err)
	if sb.imports == nil {
		stack[0] = sb.setPending(errorEnvelope(abi.CodeError, "actor calls are not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok { // replaying: the call was made before
		stack[0] = sb.setPending(env)
		return
	}
	if err != nil {
		stack[0] = sb.setPending(sb.failInput(err))
		return
	}
	stack[0] = sb.answer(sb.imports.Call(target, method, args))
}

func hostSend(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	var inErr error
	target := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), maxGuestRefBytes, "send target", &inErr)
	method := sb.viewBytes(c, uint32(stack[2]), uint32(stack[3]), "send method")
	args := sb.readBytes(c, uint32(stack[4]), uint32(stack[5]), sb.maxArgBytes, "send arguments", &inErr)
	fail := func(env []byte) { stack[0] = uint64(-int64(len(env))); sb.pending = env }
	if sb.imports == nil {
		fail(errorEnvelope(abi.CodeError, "actor calls are not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok { // replaying: the call was sent before
		var id int64
		if e, err := abi.DecodeEnvelope(env, 0); err == nil && e.Kind == abi.KindValue && codec.Decode(e.Values[0], &id) == nil {
			stack[0] = uint64(id)
			return
		}
		fail(env)
		return
	}
	if inErr != nil {
		fail(sb.failInput(inErr))
		return
	}
	id, failure := sb.imports.Send(target, method, args)
	if failure != nil {
		sb.rec.recordExternal(failure)
		fail(failure)
		return
	}
	if sb.rec.mode == Record {
		v, err := codec.Encode(id)
		if err != nil {
			panic(err) // an int64 always encodes
		}
		env, _ := abi.EncodeEnvelope(abi.Envelope{Kind: abi.KindValue, Values: []abi.Value{v}})
		sb.rec.recordExternal(env)
	}
	stack[0] = uint64(id)
}

func hostAwait(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	if env, ok := sb.rec.external(); ok {
		stack[0] = sb.setPending(env)
		return
	}
	id := int64(stack[0])
	if sb.imports == nil {
		stack[0] = sb.answer(errorEnvelope(abi.CodeBadArgs, fmt.Sprintf("no future %d (each future can be awaited once)", id)))
		return
	}
	stack[0] = sb.answer(sb.imports.Await(id))
}

func hostSpawn(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	var err error
	classID := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), maxGuestRefBytes, "spawn class", &err)
	args := sb.readBytes(c, uint32(stack[2]), uint32(stack[3]), sb.maxArgBytes, "spawn arguments", &err)
	rawOpts := sb.readBytes(c, uint32(stack[4]), uint32(stack[5]), maxSpawnOptsBytes, "spawn options", &err)
	if sb.imports == nil {
		stack[0] = sb.setPending(errorEnvelope(abi.CodeError, "spawn is not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok {
		stack[0] = sb.setPending(env)
		return
	}
	if err != nil {
		stack[0] = sb.setPending(sb.failInput(err))
		return
	}
	stack[0] = sb.answer(sb.imports.Spawn(classID, args, rawOpts))
}

func hostGetActor(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	var err error
	ns := sb.viewBytes(c, uint32(stack[0]), uint32(stack[1]), "get_actor namespace") // compared, never copied whole
	name := sb.readBytes(c, uint32(stack[2]), uint32(stack[3]), api.MaxNameBytes, "get_actor name", &err)
	if sb.imports == nil {
		stack[0] = sb.setPending(errorEnvelope(abi.CodeError, "get_actor is not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok {
		stack[0] = sb.setPending(env)
		return
	}
	if err != nil {
		stack[0] = sb.setPending(sb.failInput(err))
		return
	}
	stack[0] = sb.answer(sb.imports.GetActor(ns, name))
}

func hostKill(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	var err error
	target := sb.readBytes(c, uint32(stack[0]), uint32(stack[1]), maxGuestRefBytes, "kill target", &err)
	if sb.imports == nil {
		stack[0] = sb.setPending(errorEnvelope(abi.CodeError, "kill is not available while a class loads"))
		return
	}
	if env, ok := sb.rec.external(); ok {
		stack[0] = sb.setPending(env)
		return
	}
	if err != nil {
		stack[0] = sb.setPending(sb.failInput(err))
		return
	}
	stack[0] = sb.answer(sb.imports.Kill(target))
}

func hostTake(_ context.Context, c engine.Caller, stack []uint64) {
	sb := sandboxFrom(c)
	if sb == nil {
		return
	}
	ptr, capacity := uint32(stack[0]), uint32(stack[1])
	env := sb.pending
	if uint32(len(env)) > capacity {
		stack[0] = uint64(uint32(-int32(len(env))))
		return
	}
	if !callerMemory(c).Write(ptr, env) {
		sb.abiPanic("wactor.take(%d, %d)", ptr, capacity)
	}
	sb.pending = nil
	stack[0] = uint64(len(env))
}
