;; hostile_futures.wat: futures that are never awaited. setup() spawns a
;; child of its own class and keeps its handle; flood() sends 1,000 calls
;; child.ping() without awaiting any and returns [0, 1000], or the first
;; failed send's error envelope; await_first() awaits future 1 and
;; await_last() the newest future, returning their envelopes.
;; Before issue 12: after 10,000 sends every send failed with wactor.quota
;; for ever, awaited or not.
;; Expected: 20 floods and one more succeed; await_first() fails with
;; wactor.quota ("dropped") once 10,000 newer results arrived; await_last()
;; succeeds.
(module
  (import "wactor" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "send" (func $send (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wactor" "await" (func $await (param i64) (result i32)))
  (import "wactor" "take" (func $take (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\19\03\e8")    ;; [0, 1000]
  (data (i32.const 0x300) "\80")                ;; [] (no arguments)
  (data (i32.const 0x310) "ping")
  ;; 0x1ff0: handle length (i32); 0x1fe0: newest future (i64); 0x2002: handle
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func $packed (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))
  (func (export "setup") (param i32 i32) (result i64)
    (local $len i32)
    (local.set $len
      (call $spawn (i32.const 0) (i32.const 0) (i32.const 0x300) (i32.const 1) (i32.const 0) (i32.const 0)))
    (if (i32.gt_u (local.get $len) (i32.const 0x1000)) (then unreachable))
    (drop (call $take (i32.const 0x2000) (local.get $len)))
    (if (i32.ne (i32.load8_u (i32.const 0x2001)) (i32.const 0))
      (then (return (call $packed (i32.const 0x2000) (local.get $len)))))
    (i32.store (i32.const 0x1ff0) (i32.sub (local.get $len) (i32.const 2)))
    (i64.const 0))
  (func (export "flood") (param i32 i32) (result i64)
    (local $i i32) (local $r i64) (local $n i32)
    (loop $next
      (local.set $r
        (call $send (i32.const 0x2002) (i32.load (i32.const 0x1ff0))
          (i32.const 0x310) (i32.const 4) (i32.const 0x300) (i32.const 1)))
      (if (i64.lt_s (local.get $r) (i64.const 0))
        (then
          (local.set $n (i32.wrap_i64 (i64.sub (i64.const 0) (local.get $r))))
          (if (i32.gt_u (local.get $n) (i32.const 0x1000)) (then unreachable))
          (drop (call $take (i32.const 0x4000) (local.get $n)))
          (return (call $packed (i32.const 0x4000) (local.get $n)))))
      (i64.store (i32.const 0x1fe0) (local.get $r))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000))))
    (call $packed (i32.const 0x100) (i32.const 5)))
  (func $awaitTake (param $id i64) (result i64)
    (local $n i32)
    (local.set $n (call $await (local.get $id)))
    (if (i32.gt_u (local.get $n) (i32.const 0x1000)) (then unreachable))
    (drop (call $take (i32.const 0x4000) (local.get $n)))
    (call $packed (i32.const 0x4000) (local.get $n)))
  (func (export "await_first") (param i32 i32) (result i64)
    (call $awaitTake (i64.const 1)))
  (func (export "await_last") (param i32 i32) (result i64)
    (call $awaitTake (i64.load (i32.const 0x1fe0))))
  (func (export "ping") (param i32 i32) (result i64) (i64.const 0)))
