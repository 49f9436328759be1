/*
 * counter.c: a wactor actor class in C, written against docs/ABI.md alone.
 *
 * It is the proof that the guest ABI is language-neutral, and the light guest
 * for benchmarks: no malloc, no WASI imports, one reusable input buffer and one
 * small output buffer. See README.md for how to build it.
 *
 * State: one 64-bit counter. Arithmetic wraps (two's complement).
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define METHOD(name) EXPORT(#name) int64_t m_##name(int32_t ptr, int32_t len)

/* keeps the helpers out of line: -O2 would otherwise copy them into every
 * method and triple the module size */
#define NOINLINE __attribute__((noinline))

#define PAGE 65536u
#define MAX_DEPTH 32 /* ABI section 2: nesting depth of arrays, maps and tags */

/* ------------------------------------------------------------------------ */
/* Memory: wactor_alloc hands out one reusable input buffer (ABI section 3:  */
/* the argument buffer belongs to the guest once a method is entered, and    */
/* calls never overlap).                                                     */

static uint8_t small_in[16384]; /* arguments up to 16 KiB - 1 */
static uint8_t *big_in;         /* larger arguments: pages taken with memory.grow */
static uint32_t big_cap;
static uint8_t *last_in;        /* the pointer wactor_alloc last returned */

EXPORT("wactor_abi_version") int32_t wactor_abi_version(void) { return 1; }

/*
 * Every buffer keeps one spare byte in front of the pointer returned, so that
 * echo can turn the argument list [x] into the envelope [0, x] in place.
 * A bigger buffer replaces the old one (which is not reused); 0 on failure.
 */
EXPORT("wactor_alloc") uint8_t *wactor_alloc(int32_t size) {
  if (size < 0) return 0;
  uint32_t need = (uint32_t)size + 1;
  uint8_t *base;
  if (need <= sizeof small_in) {
    base = small_in;
  } else if (need <= big_cap) {
    base = big_in;
  } else {
    uint32_t pages = (need + (PAGE - 1)) / PAGE;
    size_t old = __builtin_wasm_memory_grow(0, pages);
    if (old == (size_t)-1) return 0;
    big_in = (uint8_t *)(uintptr_t)(old * PAGE);
    big_cap = pages * PAGE;
    base = big_in;
  }
  last_in = base + 1;
  return last_in;
}

/* ------------------------------------------------------------------------ */
/* CBOR reader (RFC 8949, definite lengths only). Every read is bounds       */
/* checked; the first error sticks in r->err and later reads fail.           */

typedef struct {
  const uint8_t *p, *end;
  const char *err;
} reader;

static int rd_fail(reader *r, const char *msg) {
  if (!r->err) r->err = msg;
  return 0;
}

static size_t rd_left(const reader *r) { return (size_t)(r->end - r->p); }

/* One item head: *major is 0..7; *arg the count, length, value, simple value
 * or float bits. For major 7 the float bits are consumed here, so a major 0,
 * 1 or 7 item is complete after its head. */
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

/* Skips one item of any type; depth is the number of enclosing arrays, maps
 * and tags. */
static int rd_skip(reader *r, int depth) {
  int major;
  uint64_t arg;
  if (!rd_head(r, &major, &arg)) return 0;
  switch (major) {
  case 2: /* bytes */
  case 3: /* text */
    if (arg > rd_left(r)) return rd_fail(r, "truncated CBOR");
    r->p += arg;
    return 1;
  case 4: /* array */
  case 5: /* map */
  case 6: /* tag */
    if (depth >= MAX_DEPTH) return rd_fail(r, "CBOR nested too deeply");
    if (major == 6) return rd_skip(r, depth + 1);
    /* every item takes at least one byte: refuse impossible counts up front */
    if (arg > rd_left(r) || (major == 5 && arg * 2 > rd_left(r)))
      return rd_fail(r, "truncated CBOR");
    for (uint64_t i = 0, n = major == 5 ? arg * 2 : arg; i < n; i++)
      if (!rd_skip(r, depth + 1)) return 0;
    return 1;
  default: /* 0, 1 integers; 7 simple values and floats */
    return 1;
  }
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

static int rd_array(reader *r, uint64_t *n) {
  int major;
  if (!rd_head(r, &major, n)) return 0;
  if (major != 4) return rd_fail(r, "expected an array");
  return 1;
}

/* Text (major 3) or bytes (major 2); no method of this class takes them, but
 * they complete the reader. */
static int rd_string(reader *r, int want, const uint8_t **s, size_t *n) {
  int major;
  uint64_t arg;
  if (!rd_head(r, &major, &arg)) return 0;
  if (major != want) return rd_fail(r, want == 3 ? "expected text" : "expected bytes");
  if (arg > rd_left(r)) return rd_fail(r, "truncated CBOR");
  *s = r->p;
  *n = (size_t)arg;
  r->p += arg;
  return 1;
}
__attribute__((unused)) static int rd_text(reader *r, const uint8_t **s, size_t *n) { return rd_string(r, 3, s, n); }
__attribute__((unused)) static int rd_bytes(reader *r, const uint8_t **s, size_t *n) { return rd_string(r, 2, s, n); }
__attribute__((unused)) static int rd_null(reader *r) {
  if (r->err) return 0;
  if (r->p >= r->end || *r->p != 0xf6) return rd_fail(r, "expected null");
  r->p++;
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Arguments: one CBOR array [a1, ..., an] at [ptr, ptr+len).                */

NOINLINE static int args_begin(reader *r, int32_t ptr, int32_t len, uint64_t min, uint64_t max, uint64_t *n) {
  r->err = 0;
  r->p = r->end = 0;
  uint64_t mem = (uint64_t)__builtin_wasm_memory_size(0) * PAGE;
  if (len <= 0 || (uint64_t)(uint32_t)ptr + (uint32_t)len > mem)
    return rd_fail(r, "argument buffer out of bounds");
  r->p = (const uint8_t *)(uintptr_t)(uint32_t)ptr;
  r->end = r->p + len;
  if (!rd_array(r, n)) return 0;
  if (*n < min || *n > max) return rd_fail(r, "wrong number of arguments");
  return 1;
}

static int args_end(reader *r) {
  if (r->err) return 0;
  if (r->p != r->end) return rd_fail(r, "trailing bytes after the arguments");
  return 1;
}

/* ------------------------------------------------------------------------ */
/* CBOR writer and result envelopes (ABI section 4).                          */

static uint8_t out[128]; /* valid until the guest is next entered */

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

/* at most max bytes of s (messages are ASCII, so truncation keeps UTF-8) */
static uint8_t *wr_text(uint8_t *p, const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  p = wr_head(p, 3, n);
  for (size_t i = 0; i < n; i++) *p++ = (uint8_t)s[i];
  return p;
}

static int64_t pack(const uint8_t *p, size_t n) {
  return (int64_t)((uint64_t)(uintptr_t)p << 32 | (uint32_t)n);
}

/* [0, v] */
NOINLINE static int64_t ret_int(int64_t v) {
  uint8_t *p = out;
  *p++ = 0x82;
  *p++ = 0x00;
  p = wr_int(p, v);
  return pack(out, (size_t)(p - out));
}

/* [2, code, message]; 1 + 1 + 2 + 24 + 2 + 96 bytes at most */
NOINLINE static int64_t ret_error(const char *code, const char *msg) {
  uint8_t *p = out;
  *p++ = 0x83;
  *p++ = 0x02;
  p = wr_text(p, code, 24);
  p = wr_text(p, msg, 96);
  return pack(out, (size_t)(p - out));
}

static int64_t bad_args(const reader *r) { return ret_error("bad_args", r->err ? r->err : "bad arguments"); }

/* ------------------------------------------------------------------------ */
/* The class.                                                                */

static int64_t count;

/* wactor_init(start int = 0) */
EXPORT("wactor_init") int64_t wactor_init(int32_t ptr, int32_t len) {
  reader r;
  uint64_t n;
  int64_t start = 0;
  if (!args_begin(&r, ptr, len, 0, 1, &n)) return bad_args(&r);
  if (n == 1 && !rd_int(&r, &start)) return bad_args(&r);
  if (!args_end(&r)) return bad_args(&r);
  count = start;
  return 0; /* no value, same as [0, null] */
}

/* parses exactly k integer arguments into v */
NOINLINE static int int_args(reader *r, int32_t ptr, int32_t len, uint64_t k, int64_t *v) {
  uint64_t n;
  if (!args_begin(r, ptr, len, k, k, &n)) return 0;
  for (uint64_t i = 0; i < k; i++)
    if (!rd_int(r, &v[i])) return 0;
  return args_end(r);
}

static int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }

/* incr(n int) -> int: the new value */
METHOD(incr) {
  reader r;
  int64_t n;
  if (!int_args(&r, ptr, len, 1, &n)) return bad_args(&r);
  count = wrap_add(count, n);
  return ret_int(count);
}

/* get() -> int */
METHOD(get) {
  reader r;
  if (!int_args(&r, ptr, len, 0, 0)) return bad_args(&r);
  return ret_int(count);
}

/* reset() -> int: the old value */
METHOD(reset) {
  reader r;
  if (!int_args(&r, ptr, len, 0, 0)) return bad_args(&r);
  int64_t old = count;
  count = 0;
  return ret_int(old);
}

/* add(a int, b int) -> int: a + b; the counter is untouched */
METHOD(add) {
  reader r;
  int64_t v[2];
  if (!int_args(&r, ptr, len, 2, v)) return bad_args(&r);
  return ret_int(wrap_add(v[0], v[1]));
}

/*
 * echo(x any) -> any: x's CBOR bytes, unchanged, as [0, x]. The item is
 * validated (well-formed, definite, depth <= 32) but not copied: the two
 * envelope bytes are written just in front of it, into the argument array's
 * head and the spare byte wactor_alloc keeps in front of every buffer.
 */
METHOD(echo) {
  reader r;
  uint64_t n;
  if (!args_begin(&r, ptr, len, 1, 1, &n)) return bad_args(&r);
  uint8_t *x = (uint8_t *)(uintptr_t)r.p;
  if (!rd_skip(&r, 1) || !args_end(&r)) return bad_args(&r);
  size_t xlen = (size_t)(r.p - x);
  uint8_t *env;
  if ((uint8_t *)(uintptr_t)(uint32_t)ptr == last_in) {
    env = x - 2; /* >= ptr - 1, the spare byte */
  } else if (xlen + 2 <= sizeof out) {
    env = out; /* not our buffer: copy small items */
    for (size_t i = 0; i < xlen; i++) out[2 + i] = x[i];
  } else {
    return ret_error("bad_args", "echo: argument not in a wactor_alloc buffer");
  }
  env[0] = 0x82;
  env[1] = 0x00;
  return pack(env, xlen + 2);
}

/* spin() -> int: never returns (for deadline tests) */
static volatile int spinning = 1;
METHOD(spin) {
  reader r;
  if (!int_args(&r, ptr, len, 0, 0)) return bad_args(&r);
  while (spinning) {
  }
  return ret_int(0);
}

/* grow(pages int) -> int: how many one-page memory.grow calls succeeded */
METHOD(grow) {
  reader r;
  int64_t pages;
  if (!int_args(&r, ptr, len, 1, &pages)) return bad_args(&r);
  if (pages < 0) return ret_error("bad_args", "pages must not be negative");
  int64_t done = 0;
  while (done < pages && __builtin_wasm_memory_grow(0, 1) != (size_t)-1) done++;
  return ret_int(done);
}

/* fail() -> error: [2, "c_error", "failed on purpose"] */
METHOD(fail) {
  reader r;
  if (!int_args(&r, ptr, len, 0, 0)) return bad_args(&r);
  return ret_error("c_error", "failed on purpose");
}

/* trap() -> never: executes `unreachable` */
METHOD(trap) {
  (void)ptr;
  (void)len;
  __builtin_trap();
}

/* ------------------------------------------------------------------------ */
/* Manifest (ABI section 5), as a custom section named wactor.manifest.       */
/* clang has no attribute for custom sections, but the wasm assembler emits  */
/* a section named .custom_section.NAME as the custom section NAME, and      */
/* wasm-ld keeps it (also with --strip-all). The assembler counts the text   */
/* lengths; every text here must be at most 23 bytes (one-byte head; the    */
/* assembler cannot check that, so keep them short).                        */

#define M_BYTE(b) ".int8 " #b "\n"
#define M_TEXT(s)                                                         \
  ".int8 0x60 + (2f - 1f)\n1:\n.ascii \"" s "\"\n2:\n"
#define M_METHOD(name, params) /* {"name":, "params":, "returns": 1} */  \
  M_BYTE(0xa3) M_TEXT("name") M_TEXT(name) M_TEXT("params") params    \
  M_TEXT("returns") M_BYTE(0x01)
#define P0 M_BYTE(0x80)
#define P_INT M_BYTE(0x81) M_TEXT("int")
#define P_INT_INT M_BYTE(0x82) M_TEXT("int") M_TEXT("int")
#define P_ANY M_BYTE(0x81) M_TEXT("any")

__asm__(".section .custom_section.wactor.manifest,\"\",@\n"
        M_BYTE(0xa5) /* map(5) */
        M_TEXT("abi") M_BYTE(0x01)
        M_TEXT("name") M_TEXT("counter")
        M_TEXT("doc") M_TEXT("A counter written in C.")
        M_TEXT("init") M_BYTE(0xa1) M_TEXT("params") P_INT
        M_TEXT("methods") M_BYTE(0x89) /* array(9) */
        M_METHOD("incr", P_INT)
        M_METHOD("get", P0)
        M_METHOD("reset", P0)
        M_METHOD("echo", P_ANY)
        M_METHOD("add", P_INT_INT)
        M_METHOD("spin", P0)
        M_METHOD("grow", P_INT)
        M_METHOD("fail", P0)
        M_METHOD("trap", P0)
        ".text\n");

#ifdef CKPOLICY
/* ------------------------------------------------------------------------ */
/* Test build (host/testdata/ckpolicy.wasm, make fixtures): Ray's          */
/* checkpoint hooks, wactor_checkpoint_expired and wactor_load_checkpoint. */

static int64_t expired_count;

/* wactor_checkpoint_expired(id text): counts the expired checkpoints */
EXPORT("wactor_checkpoint_expired") int64_t ck_expired(int32_t ptr, int32_t len) {
  reader r;
  uint64_t n;
  const uint8_t *s;
  size_t sl;
  if (!args_begin(&r, ptr, len, 1, 1, &n) || !rd_text(&r, &s, &sl) || !args_end(&r)) return bad_args(&r);
  expired_count++;
  return ret_int(expired_count);
}

/* expired() -> int: how many checkpoints expired */
METHOD(expired) {
  reader r;
  if (!int_args(&r, ptr, len, 0, 0)) return bad_args(&r);
  return ret_int(expired_count);
}

/* wactor_load_checkpoint([[id, taken_ms, calls], ...] newest first) -> the
 * oldest one's id (null when there is none) */
EXPORT("wactor_load_checkpoint") int64_t ck_load(int32_t ptr, int32_t len) {
  reader r;
  uint64_t n, k, three;
  const uint8_t *id = 0;
  size_t idn = 0;
  if (!args_begin(&r, ptr, len, 1, 1, &n) || !rd_array(&r, &k)) return bad_args(&r);
  for (uint64_t i = 0; i < k; i++) {
    int64_t ms, calls;
    if (!rd_array(&r, &three) || three != 3 || !rd_text(&r, &id, &idn) || !rd_int(&r, &ms) || !rd_int(&r, &calls))
      return bad_args(&r);
  }
  if (!args_end(&r)) return bad_args(&r);
  uint8_t *p = out;
  *p++ = 0x82;
  *p++ = 0x00;
  if (!id) {
    *p++ = 0xf6;
    return pack(out, (size_t)(p - out));
  }
  if (idn + 8 > sizeof out) return ret_error("bad_args", "checkpoint id too long");
  p = wr_head(p, 3, idn);
  for (size_t i = 0; i < idn; i++) *p++ = id[i];
  return pack(out, (size_t)(p - out));
}
/* wactor_should_checkpoint(calls, ms): every 5 calls */
EXPORT("wactor_should_checkpoint") int32_t ck_should(int64_t calls, int64_t ms) {
  (void)ms;
  return calls >= 5;
}
#endif
