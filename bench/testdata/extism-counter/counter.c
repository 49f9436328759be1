/*
 * counter.c: the counter of examples/c-counter as an Extism plugin, for the
 * Extism baseline of wactor-bench.
 *
 * It does the same work per call as the wactor C guest's incr: the input is
 * the same CBOR argument array ([1] = 0x81 0x01), parsed with the same
 * bounds-checked reader (copied from examples/c-counter/counter.c), and the
 * output is the same result envelope ([0, count]). Only the transport
 * differs: the input is read and the output written through Extism's kernel
 * ABI (imports from "extism:host/env", the same functions as Extism's C PDK,
 * extism-pdk.h) instead of wactor_alloc and a returned pointer.
 *
 * Rebuild (from bench/): make -C .. bench-extism-plugin, which runs
 *   clang --target=wasm32-unknown-unknown -O2 -nostdlib -Wl,--no-entry -s \
 *       -o testdata/extism-counter/counter.wasm testdata/extism-counter/counter.c
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define NOINLINE __attribute__((noinline))

/* Extism kernel ABI: offsets are 64-bit addresses in the kernel's memory. */
IMPORT("input_length") extern uint64_t extism_input_length(void);
IMPORT("input_load_u8") extern uint8_t extism_input_load_u8(uint64_t off);
IMPORT("input_load_u64") extern uint64_t extism_input_load_u64(uint64_t off);
IMPORT("alloc") extern uint64_t extism_alloc(uint64_t n);
IMPORT("store_u8") extern void extism_store_u8(uint64_t off, uint8_t v);
IMPORT("store_u64") extern void extism_store_u64(uint64_t off, uint64_t v);
IMPORT("output_set") extern void extism_output_set(uint64_t off, uint64_t n);
IMPORT("error_set") extern void extism_error_set(uint64_t off);

/* ------------------------------------------------------------------------ */
/* Input: copied into one static buffer, 8 bytes at a time (as the C PDK's   */
/* extism_load_input does).                                                  */

static uint8_t in[16384];

static int load_input(size_t *len) {
  uint64_t n = extism_input_length();
  if (n > sizeof in) return 0;
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = extism_input_load_u64(i);
    for (int k = 0; k < 8; k++) in[i + k] = (uint8_t)(v >> (8 * k));
  }
  for (; i < n; i++) in[i] = extism_input_load_u8(i);
  *len = (size_t)n;
  return 1;
}

/* copies n bytes of p into a new kernel block and returns its offset */
static uint64_t store(const uint8_t *p, size_t n) {
  uint64_t off = extism_alloc(n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)p[i + k] << (8 * k);
    extism_store_u64(off + i, v);
  }
  for (; i < n; i++) extism_store_u8(off + i, p[i]);
  return off;
}

/* ------------------------------------------------------------------------ */
/* CBOR reader: the same as examples/c-counter/counter.c.                    */

typedef struct {
  const uint8_t *p, *end;
  const char *err;
} reader;

static int rd_fail(reader *r, const char *msg) {
  if (!r->err) r->err = msg;
  return 0;
}

static size_t rd_left(const reader *r) { return (size_t)(r->end - r->p); }

NOINLINE static int rd_head(reader *r, int *major, uint64_t *arg) {
  if (r->err) return 0;
  if (r->p >= r->end) return rd_fail(r, "truncated CBOR");
  uint8_t ib = *r->p++;
  uint8_t ai = ib & 31;
  *major = ib >> 5;
  if (ai < 24) {
    *arg = ai;
    return 1;
  }
  if (ai == 31) return rd_fail(r, "indefinite-length CBOR");
  if (ai > 27) return rd_fail(r, "malformed CBOR");
  size_t n = (size_t)1 << (ai - 24);
  if (rd_left(r) < n) return rd_fail(r, "truncated CBOR");
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v = v << 8 | *r->p++;
  if (*major == 7 && ai == 24 && v < 32) return rd_fail(r, "malformed CBOR");
  *arg = v;
  return 1;
}

NOINLINE static int rd_int(reader *r, int64_t *out) {
  int major;
  uint64_t arg;
  if (!rd_head(r, &major, &arg)) return 0;
  if (major != 0 && major != 1) return rd_fail(r, "expected an integer");
  if (arg > (uint64_t)INT64_MAX) return rd_fail(r, "integer out of range");
  *out = major == 0 ? (int64_t)arg : -1 - (int64_t)arg;
  return 1;
}

/* parses exactly k integer arguments of the array in[0:len] into v */
NOINLINE static int int_args(reader *r, size_t len, uint64_t k, int64_t *v) {
  r->err = 0;
  r->p = in;
  r->end = in + len;
  int major;
  uint64_t n;
  if (!rd_head(r, &major, &n)) return 0;
  if (major != 4) return rd_fail(r, "expected an array");
  if (n != k) return rd_fail(r, "wrong number of arguments");
  for (uint64_t i = 0; i < k; i++)
    if (!rd_int(r, &v[i])) return 0;
  if (r->p != r->end) return rd_fail(r, "trailing bytes after the arguments");
  return 1;
}

/* ------------------------------------------------------------------------ */
/* CBOR writer: the same envelope as the wactor guest.                        */

static uint8_t out[128];

NOINLINE static uint8_t *wr_head(uint8_t *p, int major, uint64_t v) {
  uint8_t mt = (uint8_t)(major << 5);
  int n;
  if (v < 24) {
    *p++ = mt | (uint8_t)v;
    return p;
  }
  if (v <= 0xff) { *p++ = mt | 24; n = 1; }
  else if (v <= 0xffff) { *p++ = mt | 25; n = 2; }
  else if (v <= 0xffffffff) { *p++ = mt | 26; n = 4; }
  else { *p++ = mt | 27; n = 8; }
  while (n--) *p++ = (uint8_t)(v >> (8 * n));
  return p;
}

static uint8_t *wr_int(uint8_t *p, int64_t v) {
  return v < 0 ? wr_head(p, 1, ~(uint64_t)v) : wr_head(p, 0, (uint64_t)v);
}

static int32_t fail(const char *msg) {
  size_t n = 0;
  while (msg[n]) n++;
  extism_error_set(store((const uint8_t *)msg, n));
  return 1;
}

/* ------------------------------------------------------------------------ */
/* The plugin.                                                               */

static int64_t count;

/* incr: input [n] (CBOR), output [0, count + n] (CBOR), like the wactor
 * guest's incr(n). */
EXPORT("incr") int32_t incr(void) {
  size_t len;
  if (!load_input(&len)) return fail("input too large");
  reader r;
  int64_t n;
  if (!int_args(&r, len, 1, &n)) return fail(r.err ? r.err : "bad arguments");
  count = (int64_t)((uint64_t)count + (uint64_t)n);
  uint8_t *p = out;
  *p++ = 0x82;
  *p++ = 0x00;
  p = wr_int(p, count);
  size_t olen = (size_t)(p - out);
  extism_output_set(store(out, olen), olen);
  return 0;
}
