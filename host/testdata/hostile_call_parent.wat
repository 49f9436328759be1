;; hostile_call_parent.wat: a constructor that calls the actor spawning it,
;; which waits for that constructor. adopt([h]) spawns a child of its own
;; class with the same arguments [h] (h: the spawning actor's handle) and
;; returns the spawn's envelope; the constructor calls h.get() and returns
;; that call's envelope as its own result. get() -> [0, null].
;; Expected: the constructor's call fails at once with wactor.deadlock (the
;; parent waits for the child), so adopt() fails with *AppError{wactor.deadlock}
;; instead of both waiting for a deadline.
(module
  (import "wactor" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "take" (func $take (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x300) "\80")    ;; [] (no arguments)
  (data (i32.const 0x310) "get")
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func $packed (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))
  (func $takeAt (param $ptr i32) (param $n i32) (result i64)
    (if (i32.gt_u (local.get $n) (i32.const 0x1000)) (then unreachable))
    (drop (call $take (local.get $ptr) (local.get $n)))
    (call $packed (local.get $ptr) (local.get $n)))
  ;; args [h] at p: 81 <h>
  (func (export "wactor_init") (param $p i32) (param $n i32) (result i64)
    (call $takeAt (i32.const 0x2000)
      (call $call (i32.add (local.get $p) (i32.const 1)) (i32.sub (local.get $n) (i32.const 1))
        (i32.const 0x310) (i32.const 3) (i32.const 0x300) (i32.const 1))))
  (func (export "adopt") (param $p i32) (param $n i32) (result i64)
    (call $takeAt (i32.const 0x2000)
      (call $spawn (i32.const 0) (i32.const 0) (local.get $p) (local.get $n) (i32.const 0) (i32.const 0))))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
