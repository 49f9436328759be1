;; loop.wat: a tiny guest for the engine tests and benchmarks
;; (internal/engine). Rebuild loop.wasm with: wat2wasm loop.wat -o loop.wasm
(module
  (memory (export "memory") 1)
  (global $counter (mut i64) (i64.const 0))
  (global $answer i32 (i32.const 42))
  (export "answer" (global $answer))

  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))

  ;; spin is method-shaped and never returns.
  (func (export "spin") (param i32 i32) (result i64)
    (loop $forever (br $forever))
    (i64.const 0))

  ;; sum returns 0 + 1 + ... + (n-1): n loop iterations.
  (func (export "sum") (param $n i64) (result i64)
    (local $i i64) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $acc))

  ;; bump adds one to the counter global and returns it.
  (func (export "bump") (result i64)
    (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
    (global.get $counter))

  (func (export "nop"))

  (func (export "trap") (unreachable))

  ;; Traps of other kinds: an out-of-bounds load, endless recursion (stack
  ;; overflow) and an integer division by zero.
  (func (export "oob") (result i32) (i32.load (i32.const 0xfffffff0)))
  (func $recurse (export "recurse") (param i64) (result i64)
    (i64.add (call $recurse (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))

  ;; grow calls memory.grow and returns its result (-1 on failure).
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))

  ;; swap returns its two parameters in the other order (multi-value, floats).
  (func (export "swap") (param f64 f32) (result f32 f64) (local.get 1) (local.get 0))
)
