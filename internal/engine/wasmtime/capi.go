//go:build wasmtime

package wasmtime

/*
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Declarations from wasmtime's C API (wasm.h, wasmtime/*.h), implemented by
// the libwasmtime that wasmtime-go links. Only what wasmtime-go does not
// wrap, or wraps at a cost this package avoids, is used.
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef uint8_t wasmtime_update_deadline_kind_t;
typedef struct wasm_byte_vec_t {
	size_t size;
	char *data;
} wasm_byte_vec_t;
typedef struct wasmtime_func {
	uint64_t store_id;
	void *__private;
} wasmtime_func_t;
typedef union wasmtime_val_raw {
	int32_t i32;
	int64_t i64;
	float f32;
	double f64;
	uint8_t v128[16];
	uint32_t anyref;
	uint32_t externref;
	void *funcref;
} wasmtime_val_raw_t;

extern void wasmtime_store_epoch_deadline_callback(wasmtime_store_t *store,
    wasmtime_error_t *(*func)(wasmtime_context_t *, void *, uint64_t *, wasmtime_update_deadline_kind_t *),
    void *data, void (*finalizer)(void *));
extern wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *store);
extern wasmtime_error_t *wasmtime_error_new(const char *);
extern void wasmtime_error_message(const wasmtime_error_t *, wasm_byte_vec_t *);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern void wasm_trap_message(const wasm_trap_t *, wasm_byte_vec_t *);
extern bool wasmtime_trap_code(const wasm_trap_t *, uint8_t *);
extern void wasm_trap_delete(wasm_trap_t *);
extern void wasm_byte_vec_delete(wasm_byte_vec_t *);
extern wasmtime_error_t *wasmtime_func_call_unchecked(wasmtime_context_t *,
    const wasmtime_func_t *, wasmtime_val_raw_t *, size_t, wasm_trap_t **);

_Static_assert(sizeof(wasmtime_val_raw_t) == 16, "wasmtime_val_raw_t is 16 bytes");

// wactor_flag is a store's interrupt state, read by its epoch callback:
// bit 0 interrupt, bit 1 yield; handle is the cgo.Handle of its instance for
// wactorYield (0: none).
typedef struct {
	uint32_t bits;
	uintptr_t handle;
} wactor_flag;

// wactorYield is the Go side of a yield (yield.go).
extern void wactorYield(uintptr_t handle);

// wactor_epoch_cb runs when a store reaches its epoch deadline: it traps if
// the store's interrupt bit is set; with the yield bit set, it clears it and
// calls the instance's OnYield (through wactorYield), which may block, then
// traps if an interrupt came meanwhile; else it continues until the next
// epoch (WASMTIME_UPDATE_DEADLINE_CONTINUE).
static wasmtime_error_t *wactor_epoch_cb(wasmtime_context_t *cx, void *data, uint64_t *delta, wasmtime_update_deadline_kind_t *kind) {
	(void)cx;
	wactor_flag *f = (wactor_flag *)data;
	uint32_t bits = __atomic_load_n(&f->bits, __ATOMIC_SEQ_CST);
	if ((bits & 1) != 0) {
		return wasmtime_error_new("wactor: call interrupted");
	}
	if ((bits & 2) != 0) {
		__atomic_fetch_and(&f->bits, ~(uint32_t)2, __ATOMIC_SEQ_CST);
		if (f->handle != 0) {
			wactorYield(f->handle);
		}
		if ((__atomic_load_n(&f->bits, __ATOMIC_SEQ_CST) & 1) != 0) {
			return wasmtime_error_new("wactor: call interrupted");
		}
	}
	*delta = 1;
	*kind = 0;
	return NULL;
}

static void wactor_set_epoch_cb(void *store, wactor_flag *flag) {
	wasmtime_store_epoch_deadline_callback((wasmtime_store_t *)store, wactor_epoch_cb, flag, NULL);
}

static void *wactor_store_context(void *store) {
	return wasmtime_store_context((wasmtime_store_t *)store);
}

static wactor_flag *wactor_new_flag(void) {
	return (wactor_flag *)calloc(1, sizeof(wactor_flag));
}

// wactor_call_result describes a failed call: kind 1 is a trap (with code
// when has_code), kind 2 another error; msg is malloc'ed.
typedef struct {
	int kind;
	bool has_code;
	uint8_t code;
	char *msg;
	size_t len;
} wactor_call_result;

#define WACTOR_MAX_STACK 64

// wactor_call calls f with stack[0..n) as raw values (each the low 8 bytes
// of a wasmtime_val_raw_t) and stores the results back in stack. n is at
// most WACTOR_MAX_STACK. It returns 0 on success.
static int wactor_call(void *cx, const wasmtime_func_t *f, uint64_t *stack, size_t n, wactor_call_result *res) {
	wasmtime_val_raw_t vals[WACTOR_MAX_STACK];
	memset(vals, 0, n * sizeof(vals[0]));
	for (size_t i = 0; i < n; i++) vals[i].i64 = (int64_t)stack[i];
	wasm_trap_t *trap = NULL;
	wasmtime_error_t *err = wasmtime_func_call_unchecked((wasmtime_context_t *)cx, f, vals, n, &trap);
	if (err == NULL && trap == NULL) {
		for (size_t i = 0; i < n; i++) stack[i] = (uint64_t)vals[i].i64;
		return 0;
	}
	wasm_byte_vec_t msg = {0, NULL};
	if (trap != NULL) {
		res->kind = 1;
		res->has_code = wasmtime_trap_code(trap, &res->code);
		wasm_trap_message(trap, &msg);
		wasm_trap_delete(trap);
	} else {
		res->kind = 2;
		res->has_code = false;
		wasmtime_error_message(err, &msg);
		wasmtime_error_delete(err);
	}
	res->len = msg.size;
	res->msg = (char *)malloc(msg.size + 1);
	if (res->msg != NULL) {
		if (msg.size > 0) memcpy(res->msg, msg.data, msg.size);
	} else {
		res->len = 0;
	}
	wasm_byte_vec_delete(&msg);
	return 1;
}
*/
import "C"

import (
	"errors"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v37"
)

// maxStack is the most values a call takes or returns (WACTOR_MAX_STACK).
const maxStack = C.WACTOR_MAX_STACK

// errLayout means wasmtime-go's types no longer have the layout this package
// reads: the package must be updated for this wasmtime-go version.
var errLayout = errors.New("engine/wasmtime: unexpected wasmtime-go layout (Store or Func)")

// storePtr returns the wasmtime_store_t of a wasmtime-go Store: its first,
// unexported field. The result is checked against the store's context,
// which wasmtime-go does expose.
func storePtr(s *wasmtime.Store) (unsafe.Pointer, error) {
	p := *(*unsafe.Pointer)(unsafe.Pointer(s))
	if p == nil || C.wactor_store_context(p) != contextPtr(s) {
		return nil, errLayout
	}
	return p, nil
}

// contextPtr returns a store's wasmtime_context_t, stable for its life.
func contextPtr(s *wasmtime.Store) unsafe.Pointer { return unsafe.Pointer(s.Context()) }

// funcPtr returns the wasmtime_func_t inside a wasmtime-go Func (its only
// field; the size is checked in init).
func funcPtr(f *wasmtime.Func) *C.wasmtime_func_t { return (*C.wasmtime_func_t)(unsafe.Pointer(f)) }

func init() {
	if unsafe.Sizeof(wasmtime.Func{}) != unsafe.Sizeof(C.wasmtime_func_t{}) {
		panic(errLayout)
	}
}

// rawCall calls f through wasmtime_func_call_unchecked, which takes the
// values as raw bits, as Instance.Call has them: one cgo crossing instead of
// the dozen of wasmtime-go's Func.Call. The caller has checked the function's
// type and the stack's length (at most maxStack). On failure it returns the
// trap code (if any) and the engine's message.
func rawCall(cx unsafe.Pointer, f *wasmtime.Func, stack []uint64) (failed bool, code *wasmtime.TrapCode, msg string) {
	var res C.wactor_call_result
	var sp *C.uint64_t
	if len(stack) > 0 {
		sp = (*C.uint64_t)(unsafe.Pointer(&stack[0]))
	}
	if C.wactor_call(cx, funcPtr(f), sp, C.size_t(len(stack)), &res) == 0 {
		return false, nil, ""
	}
	if res.msg != nil {
		msg = strings.TrimRight(C.GoStringN(res.msg, C.int(res.len)), "\x00")
		C.free(unsafe.Pointer(res.msg))
	}
	if res.kind == 1 && bool(res.has_code) {
		c := wasmtime.TrapCode(res.code)
		code = &c
	}
	return true, code, msg
}

// interruptFlag is a store's interrupt and yield bits in C memory, read by
// the epoch callback.
type interruptFlag struct{ p *C.wactor_flag }

func newInterruptFlag() interruptFlag { return interruptFlag{C.wactor_new_flag()} }

func (f interruptFlag) u32() *uint32 { return (*uint32)(unsafe.Pointer(&f.p.bits)) }

func (f interruptFlag) set()        { atomic.OrUint32(f.u32(), 1) }
func (f interruptFlag) setYield()   { atomic.OrUint32(f.u32(), 2) }
func (f interruptFlag) clear()      { atomic.StoreUint32(f.u32(), 0) }
func (f interruptFlag) isSet() bool { return atomic.LoadUint32(f.u32())&1 != 0 }
func (f interruptFlag) free()       { C.free(unsafe.Pointer(f.p)) }

// setHandle records the cgo.Handle the callback passes to wactorYield. Call
// it before the store runs any code.
func (f interruptFlag) setHandle(h uintptr) { f.p.handle = C.uintptr_t(h) }

// installEpochCallback makes the store trap at its epoch deadline only when
// flag is set.
func installEpochCallback(s *wasmtime.Store, flag interruptFlag) error {
	p, err := storePtr(s)
	if err != nil {
		return err
	}
	C.wactor_set_epoch_cb(p, flag.p)
	return nil
}
