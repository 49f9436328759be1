;; sleep.wat: a guest that sleeps in WASI poll_oneoff, as a Go guest's
;; time.Sleep does (its runtime polls a clock subscription).
;;   sleep()     sleeps 10 minutes (a relative monotonic clock);
;;   sleep_abs() sleeps until 10 minutes from now (an absolute realtime
;;               clock, read with clock_time_get);
;;   nap()       sleeps 2 seconds (relative monotonic);
;;   next()      returns how many times it was called, 1, 2, ... (< 24);
;;   trap()      traps.
;; Every method but trap returns the envelope [0, n] (n the calls of next,
;; 0 for the sleeps).
;; Expected (host/sleep_test.go): a sleep takes no CPU and gives its worker
;; away (other actors' calls run meanwhile); a kill, the call's deadline or
;; its caller's cancellation end it at once; a replayed sleep (a restart)
;; does not sleep again.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  ;; $sub polls one clock subscription (at 0x200, event at 0x300, count at
  ;; 0x340) and returns [0, 0].
  (func $sub (param $clock i32) (param $timeout i64) (param $flags i32) (result i64)
    (memory.fill (i32.const 0x200) (i32.const 0) (i32.const 48))
    (i64.store (i32.const 0x200) (i64.const 7))               ;; userdata
    (i32.store8 (i32.const 0x208) (i32.const 0))              ;; tag: clock
    (i32.store (i32.const 0x210) (local.get $clock))          ;; clock id
    (i64.store (i32.const 0x218) (local.get $timeout))        ;; timeout
    (i32.store16 (i32.const 0x228) (local.get $flags))        ;; flags
    (if (call $poll (i32.const 0x200) (i32.const 0x300) (i32.const 1) (i32.const 0x340))
      (then (unreachable)))
    (i32.store8 (i32.const 0x100) (i32.const 0x82))
    (i32.store8 (i32.const 0x101) (i32.const 0x00))
    (i32.store8 (i32.const 0x102) (i32.const 0x00))
    (i64.const 0x0000010000000003))
  (func (export "sleep") (param i32 i32) (result i64)
    (call $sub (i32.const 1) (i64.const 600000000000) (i32.const 0)))
  (func (export "sleep_abs") (param i32 i32) (result i64)
    (if (call $clock (i32.const 0) (i64.const 1) (i32.const 0x350))
      (then (unreachable)))
    (call $sub (i32.const 0) (i64.add (i64.load (i32.const 0x350)) (i64.const 600000000000)) (i32.const 1)))
  (func (export "nap") (param i32 i32) (result i64)
    (call $sub (i32.const 1) (i64.const 2000000000) (i32.const 0)))
  (func (export "next") (param i32 i32) (result i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store8 (i32.const 0x100) (i32.const 0x82))
    (i32.store8 (i32.const 0x101) (i32.const 0x00))
    (i32.store8 (i32.const 0x102) (global.get $calls))
    (i64.const 0x0000010000000003))
  (func (export "trap") (param i32 i32) (result i64)
    (unreachable)))
