package wactor

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"github.com/wactor/wactor/abi"
)

// A Handler is a registered method (or the constructor): it decodes the CBOR
// argument array, calls the typed Go function and encodes the result
// envelope (docs/ABI.md sections 3 and 4).
//
// Create handlers with the MethodN and InitN functions in package-level
// variable declarations, so that they are registered when the package is
// initialized, and serve each method from a //go:wasmexport function that
// calls Handler.Call.
type Handler struct {
	name    string
	doc     string
	params  []string // manifest parameter type names
	returns int      // default number of return values
	minArgs int      // fewest arguments accepted (== len(params) unless MinArgs)
	run     func(d *decoder, n int, e *encoder)
}

// Name returns the method's export name ("wactor_init" for the constructor).
func (h *Handler) Name() string { return h.name }

// Doc sets the method's documentation in the manifest and returns h.
func (h *Handler) Doc(s string) *Handler {
	h.doc = s
	return h
}

// MinArgs makes the last len(params)-n parameters optional and returns h: a
// call may pass from n to all of the parameters, and the missing ones are
// the zero values of their types. In the manifest such a method lists only
// its n required parameters and is marked variadic (the manifest has no way
// to say "at most"); the SDK rejects extra arguments with "bad_args".
func (h *Handler) MinArgs(n int) *Handler {
	if n < 0 || n > len(h.params) {
		panic("wactor: " + h.name + ": MinArgs(" + strconv.Itoa(n) + ") out of range [0, " + strconv.Itoa(len(h.params)) + "]")
	}
	h.minArgs = n
	return h
}

// Invoke runs the method on a CBOR-encoded argument array and returns a copy
// of the encoded result envelope, exactly as a call through the ABI would.
// It exists for tests and tools; guests call Handler.Call. Like calls into a
// guest, Invoke calls must not overlap (the SDK's buffers are shared).
func (h *Handler) Invoke(args []byte) []byte {
	return append([]byte(nil), h.invoke(args)...)
}

// The decoder and encoder shared by every call: calls into a sandbox never
// overlap (docs/ABI.md section 3), so one of each is enough and the hot
// path allocates nothing for them.
var (
	callDec decoder
	callEnc encoder
	outBuf  []byte // the reusable output buffer; valid until the next call
)

// maxKeptOut is the largest output buffer kept between calls.
const maxKeptOut = 1 << 20

// invoke decodes args, runs the method and returns the envelope in the
// shared output buffer. Function calls are expensive in a Go wasm guest
// (around 15-20 ns per call level under wazero), so the common case makes as
// few as possible: an argument list of up to 23 elements with the right
// count goes straight to the typed closure.
func (h *Handler) invoke(args []byte) []byte {
	if cap(outBuf) > maxKeptOut || outBuf == nil {
		outBuf = make([]byte, 0, 256) // the previous result is no longer needed
	}
	d, e := &callDec, &callEnc
	e.buf, e.depth = outBuf[:0], 0
	d.b, d.off, d.depth = args, 1, 1
	if n := 0; len(args) > 0 {
		if n = int(args[0]) - 0x80; n >= h.minArgs && n <= len(h.params) && n < len(args) {
			h.run(d, n, e)
		} else {
			h.invokeSlow(d, e)
		}
	} else {
		h.invokeSlow(d, e)
	}
	outBuf = e.buf
	e.buf = nil
	return outBuf
}

// invokeSlow handles every argument list the fast path in invoke does not.
func (h *Handler) invokeSlow(d *decoder, e *encoder) {
	d.off, d.depth = 0, 0
	n, err := d.arrayHead("argument list")
	switch {
	case err != nil:
		e.appError("bad_args", h.name+": "+err.Error())
	case n < h.minArgs || n > len(h.params):
		e.appError("bad_args", h.arityMessage(n))
	default:
		h.run(d, n, e)
	}
}

func (h *Handler) arityMessage(n int) string {
	want := strconv.Itoa(len(h.params))
	if h.minArgs < len(h.params) {
		want = strconv.Itoa(h.minArgs) + " to " + want
	}
	s := "s"
	if want == "1" {
		s = ""
	}
	return h.name + ": expected " + want + " argument" + s + ", got " + strconv.Itoa(n)
}

// appError replaces the buffer's content with [2, code, message].
func (e *encoder) appError(code, message string) {
	e.buf = append(e.buf[:0], 0x83, 0x02)
	e.depth = 0
	_ = e.string(strings.ToValidUTF8(code, "\uFFFD"))
	_ = e.string(strings.ToValidUTF8(message, "\uFFFD"))
}

// Error is an application error: the caller receives it as an AppError with
// the same code and message, and the actor stays alive.
type Error struct {
	Code    string
	Message string
}

// NewError returns an application error with the given code and message.
func NewError(code, message string) *Error { return &Error{Code: code, Message: message} }

// Errorf returns an application error whose message is formatted with
// fmt.Sprintf.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorCode returns the code and message for an error returned by a method:
// an *Error (also wrapped) gives its fields, an error with a
// `Code() string` method gives that code, any other error the code "error".
func errorCode(err error) (code, message string) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code, ae.Message
	}
	var c interface{ Code() string }
	if errors.As(err, &c) {
		return c.Code(), err.Error()
	}
	return "error", err.Error()
}

// ---------------------------------------------------------------------------
// Argument and result helpers shared by the generic wrappers.

// Out-of-line error paths of the generic wrappers.

func (h *Handler) badArg(e *encoder, i int, err error) {
	e.appError("bad_args", h.name+": argument "+strconv.Itoa(i+1)+": "+err.Error())
}

func (h *Handler) trailing(e *encoder) {
	e.appError("bad_args", h.name+": trailing data after the argument list")
}

func (h *Handler) badResult(e *encoder, err error) {
	e.appError("bad_result", h.name+": cannot encode the result: "+err.Error())
}

func fnError(e *encoder, err error) { e.appError(errorCode(err)) }

// result2 encodes [1, [r1, r2]], or the application error.
func result2[R1, R2 any](h *Handler, e *encoder, f1 encodeFunc[R1], f2 encodeFunc[R2], r1 R1, r2 R2, err error) {
	if err != nil {
		fnError(e, err)
		return
	}
	e.buf = append(e.buf, 0x82, 0x01, 0x82)
	e.depth = 2
	err = f1(e, r1)
	if err == nil {
		err = f2(e, r2)
	}
	if err != nil {
		h.badResult(e, err)
	}
}

// ---------------------------------------------------------------------------
// Registration and the manifest.

var (
	methods     []*Handler
	methodNames = map[string]bool{}
	initHandler *Handler
	className   string
	classDoc    string
)

// SetClass sets the class name and documentation shown in the manifest.
// Call it from an init function or a package-level variable declaration.
func SetClass(name, doc string) {
	className, classDoc = name, doc
}

func newHandler(name string, params []string, returns int) *Handler {
	return &Handler{name: name, params: params, returns: returns, minArgs: len(params)}
}

func register(h *Handler) *Handler {
	switch {
	case h.name == "":
		panic("wactor: empty method name")
	case abi.IsReservedExport(h.name):
		panic("wactor: method name " + h.name + " is reserved (names starting with _ or wactor_)")
	case methodNames[h.name]:
		panic("wactor: method " + h.name + " registered twice")
	}
	methodNames[h.name] = true
	methods = append(methods, h)
	return h
}

func registerInit(h *Handler) *Handler {
	if initHandler != nil {
		panic("wactor: constructor registered twice")
	}
	initHandler = h
	return h
}

// paramType names a Go type the way the manifest does.
func paramType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == handleType || t == rawType {
		return "any" // the manifest has no type name for handles
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "int"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "uint"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Bool:
		return "bool"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "bytes"
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "map"
	}
	return "any"
}

func typeName[T any]() string { return paramType(reflect.TypeFor[T]()) }

// isInt64 reports whether T is int64 (the type of the wrappers' fast paths).
func isInt64[T any]() bool { return reflect.TypeFor[T]() == reflect.TypeFor[int64]() }

// manifestValue builds the manifest (docs/ABI.md section 5).
func manifestValue() map[string]any {
	ms := make([]any, 0, len(methods))
	for _, h := range methods {
		m := h.signature()
		m["name"] = h.name
		m["returns"] = int64(h.returns)
		ms = append(ms, m)
	}
	man := map[string]any{"abi": int64(abi.Version), "methods": ms}
	if className != "" {
		man["name"] = className
	}
	if classDoc != "" {
		man["doc"] = classDoc
	}
	if initHandler != nil {
		man["init"] = initHandler.signature()
	}
	return man
}

func (h *Handler) signature() map[string]any {
	params := make([]any, h.minArgs)
	for i := range params {
		params[i] = h.params[i]
	}
	m := map[string]any{"params": params}
	if h.minArgs < len(h.params) {
		m["variadic"] = true
	}
	if h.doc != "" {
		m["doc"] = h.doc
	}
	return m
}

// Manifest returns the CBOR manifest the SDK serves through the
// wactor_manifest export: the registered methods, in registration order,
// with their parameter types, default number of results and documentation.
func Manifest() ([]byte, error) { return Marshal(manifestValue()) }

// noInit serves wactor_init when no constructor is registered: it accepts
// an empty argument list only.
var noInit = newInit0(func() error { return nil })

// ---------------------------------------------------------------------------
// Methods
//
// Each wrapper's closure is the whole typed part of a call: it decodes the
// arguments, calls fn and encodes the envelope. The steps are written out in
// each one rather than shared through helpers because a function call costs
// 20 to 50 ns in a Go wasm guest under wazero and generic helpers that call
// function values are not inlined. int64 arguments and results (flags fa,
// fb, fc, fr) have inlined fast paths that skip the typed decoder and
// encoder calls. Error paths are out-of-line methods.

// Method0 registers a method without arguments.
func Method0[R any](name string, fn func() (R, error)) *Handler {
	er, fr := encoderFor[R](), isInt64[R]()
	h := newHandler(name, []string{}, 1)
	h.run = func(d *decoder, n int, e *encoder) {
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		r, err := fn()
		if err != nil {
			fnError(e, err)
			return
		}
		if fr {
			e.buf = appendInt64(append(e.buf, 0x82, 0x00), *(*int64)(unsafe.Pointer(&r)))
			return
		}
		e.buf = append(e.buf, 0x82, 0x00)
		e.depth = 1
		if err = er(e, r); err != nil {
			h.badResult(e, err)
		}
	}
	return register(h)
}

// Method1 registers a method with one argument.
func Method1[A, R any](name string, fn func(A) (R, error)) *Handler {
	da, er := decoderFor[A](), encoderFor[R]()
	fa, fr := isInt64[A](), isInt64[R]()
	h := newHandler(name, []string{typeName[A]()}, 1)
	h.run = func(d *decoder, n int, e *encoder) {
		var a A
		var err error
		if n > 0 && !(fa && d.smallInt((*int64)(unsafe.Pointer(&a)))) {
			if a, err = da(d); err != nil {
				h.badArg(e, 0, err)
				return
			}
		}
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		r, err := fn(a)
		if err != nil {
			fnError(e, err)
			return
		}
		if fr {
			e.buf = appendInt64(append(e.buf, 0x82, 0x00), *(*int64)(unsafe.Pointer(&r)))
			return
		}
		e.buf = append(e.buf, 0x82, 0x00)
		e.depth = 1
		if err = er(e, r); err != nil {
			h.badResult(e, err)
		}
	}
	return register(h)
}

// Method2 registers a method with two arguments.
func Method2[A, B, R any](name string, fn func(A, B) (R, error)) *Handler {
	da, db, er := decoderFor[A](), decoderFor[B](), encoderFor[R]()
	fa, fb, fr := isInt64[A](), isInt64[B](), isInt64[R]()
	h := newHandler(name, []string{typeName[A](), typeName[B]()}, 1)
	h.run = func(d *decoder, n int, e *encoder) {
		var a A
		var b B
		var err error
		if n > 0 && !(fa && d.smallInt((*int64)(unsafe.Pointer(&a)))) {
			if a, err = da(d); err != nil {
				h.badArg(e, 0, err)
				return
			}
		}
		if n > 1 && !(fb && d.smallInt((*int64)(unsafe.Pointer(&b)))) {
			if b, err = db(d); err != nil {
				h.badArg(e, 1, err)
				return
			}
		}
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		r, err := fn(a, b)
		if err != nil {
			fnError(e, err)
			return
		}
		if fr {
			e.buf = appendInt64(append(e.buf, 0x82, 0x00), *(*int64)(unsafe.Pointer(&r)))
			return
		}
		e.buf = append(e.buf, 0x82, 0x00)
		e.depth = 1
		if err = er(e, r); err != nil {
			h.badResult(e, err)
		}
	}
	return register(h)
}

// Method3 registers a method with three arguments.
func Method3[A, B, C, R any](name string, fn func(A, B, C) (R, error)) *Handler {
	da, db, dc, er := decoderFor[A](), decoderFor[B](), decoderFor[C](), encoderFor[R]()
	fa, fb, fc, fr := isInt64[A](), isInt64[B](), isInt64[C](), isInt64[R]()
	h := newHandler(name, []string{typeName[A](), typeName[B](), typeName[C]()}, 1)
	h.run = func(d *decoder, n int, e *encoder) {
		var a A
		var b B
		var c C
		var err error
		if n > 0 && !(fa && d.smallInt((*int64)(unsafe.Pointer(&a)))) {
			if a, err = da(d); err != nil {
				h.badArg(e, 0, err)
				return
			}
		}
		if n > 1 && !(fb && d.smallInt((*int64)(unsafe.Pointer(&b)))) {
			if b, err = db(d); err != nil {
				h.badArg(e, 1, err)
				return
			}
		}
		if n > 2 && !(fc && d.smallInt((*int64)(unsafe.Pointer(&c)))) {
			if c, err = dc(d); err != nil {
				h.badArg(e, 2, err)
				return
			}
		}
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		r, err := fn(a, b, c)
		if err != nil {
			fnError(e, err)
			return
		}
		if fr {
			e.buf = appendInt64(append(e.buf, 0x82, 0x00), *(*int64)(unsafe.Pointer(&r)))
			return
		}
		e.buf = append(e.buf, 0x82, 0x00)
		e.depth = 1
		if err = er(e, r); err != nil {
			h.badResult(e, err)
		}
	}
	return register(h)
}

// Method0x2 registers a method without arguments that returns two values
// (envelope [1, [r1, r2]]; the manifest says returns: 2).
func Method0x2[R1, R2 any](name string, fn func() (R1, R2, error)) *Handler {
	e1, e2 := encoderFor[R1](), encoderFor[R2]()
	h := newHandler(name, []string{}, 2)
	h.run = func(d *decoder, n int, e *encoder) {
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		r1, r2, err := fn()
		result2(h, e, e1, e2, r1, r2, err)
	}
	return register(h)
}

// Method1x2 registers a method with one argument that returns two values.
func Method1x2[A, R1, R2 any](name string, fn func(A) (R1, R2, error)) *Handler {
	da, e1, e2 := decoderFor[A](), encoderFor[R1](), encoderFor[R2]()
	fa := isInt64[A]()
	h := newHandler(name, []string{typeName[A]()}, 2)
	h.run = func(d *decoder, n int, e *encoder) {
		var a A
		var err error
		if n > 0 && !(fa && d.smallInt((*int64)(unsafe.Pointer(&a)))) {
			if a, err = da(d); err != nil {
				h.badArg(e, 0, err)
				return
			}
		}
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		r1, r2, err := fn(a)
		result2(h, e, e1, e2, r1, r2, err)
	}
	return register(h)
}

// Method2x2 registers a method with two arguments that returns two values.
func Method2x2[A, B, R1, R2 any](name string, fn func(A, B) (R1, R2, error)) *Handler {
	da, db, e1, e2 := decoderFor[A](), decoderFor[B](), encoderFor[R1](), encoderFor[R2]()
	fa, fb := isInt64[A](), isInt64[B]()
	h := newHandler(name, []string{typeName[A](), typeName[B]()}, 2)
	h.run = func(d *decoder, n int, e *encoder) {
		var a A
		var b B
		var err error
		if n > 0 && !(fa && d.smallInt((*int64)(unsafe.Pointer(&a)))) {
			if a, err = da(d); err != nil {
				h.badArg(e, 0, err)
				return
			}
		}
		if n > 1 && !(fb && d.smallInt((*int64)(unsafe.Pointer(&b)))) {
			if b, err = db(d); err != nil {
				h.badArg(e, 1, err)
				return
			}
		}
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		r1, r2, err := fn(a, b)
		result2(h, e, e1, e2, r1, r2, err)
	}
	return register(h)
}

// ---------------------------------------------------------------------------
// Constructors

const initName = abi.ExportInit

// initResult encodes [0, null], or the application error.
func initResult(e *encoder, err error) {
	if err != nil {
		fnError(e, err)
		return
	}
	e.buf = append(e.buf, 0x82, 0x00, 0xf6)
}

func newInit0(fn func() error) *Handler {
	h := newHandler(initName, []string{}, 1)
	h.run = func(d *decoder, n int, e *encoder) {
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		initResult(e, fn())
	}
	return h
}

// Init0 registers the constructor, run once per sandbox through the SDK's
// wactor_init export, for a class whose constructor takes no arguments.
// Without any InitN, wactor_init accepts an empty argument list only.
func Init0(fn func() error) *Handler { return registerInit(newInit0(fn)) }

// Init1 registers a constructor with one argument. Chain .MinArgs(0) to make
// the argument optional (its zero value when absent).
func Init1[A any](fn func(A) error) *Handler {
	da, fa := decoderFor[A](), isInt64[A]()
	h := newHandler(initName, []string{typeName[A]()}, 1)
	h.run = func(d *decoder, n int, e *encoder) {
		var a A
		var err error
		if n > 0 && !(fa && d.smallInt((*int64)(unsafe.Pointer(&a)))) {
			if a, err = da(d); err != nil {
				h.badArg(e, 0, err)
				return
			}
		}
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		initResult(e, fn(a))
	}
	return registerInit(h)
}

// Init2 registers a constructor with two arguments.
func Init2[A, B any](fn func(A, B) error) *Handler {
	da, db := decoderFor[A](), decoderFor[B]()
	fa, fb := isInt64[A](), isInt64[B]()
	h := newHandler(initName, []string{typeName[A](), typeName[B]()}, 1)
	h.run = func(d *decoder, n int, e *encoder) {
		var a A
		var b B
		var err error
		if n > 0 && !(fa && d.smallInt((*int64)(unsafe.Pointer(&a)))) {
			if a, err = da(d); err != nil {
				h.badArg(e, 0, err)
				return
			}
		}
		if n > 1 && !(fb && d.smallInt((*int64)(unsafe.Pointer(&b)))) {
			if b, err = db(d); err != nil {
				h.badArg(e, 1, err)
				return
			}
		}
		if d.off != len(d.b) {
			h.trailing(e)
			return
		}
		initResult(e, fn(a, b))
	}
	return registerInit(h)
}

// Log levels for Log and Logf.
const (
	LevelDebug = abi.LogDebug
	LevelInfo  = abi.LogInfo
	LevelWarn  = abi.LogWarn
	LevelError = abi.LogError
)

// Logf formats its arguments with fmt.Sprintf and calls Log.
func Logf(level int, format string, args ...any) { Log(level, fmt.Sprintf(format, args...)) }
