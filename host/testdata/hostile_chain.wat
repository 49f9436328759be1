;; hostile_chain.wat: spawn-and-call chains. run() spawns a child of its own
;; class and calls child.run() synchronously, returning the child's result
;; envelope (or the spawn's error envelope) as its own. hang() does the same
;; with hang(), except that the actor whose spawn is refused spins for ever
;; instead of returning, so the whole chain waits on it.
;; Before issue 12: about 2,200 actors/s until the machine ran out of memory;
;; a 5 s deadline answered after 15 s.
;; Expected: run() fails with *AppError{wactor.quota} naming max_depth after
;; MaxDepth+1 actors; cancelling hang()'s caller tears the chain down.
(module
  (import "wactor" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "take" (func $take (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x300) "\80")    ;; [] (no arguments)
  (data (i32.const 0x310) "run")
  (data (i32.const 0x320) "hang")
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func $packed (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))
  (func $chain (param $m i32) (param $mlen i32) (param $spin i32) (result i64)
    (local $len i32) (local $r i32)
    (local.set $len
      (call $spawn (i32.const 0) (i32.const 0) (i32.const 0x300) (i32.const 1) (i32.const 0) (i32.const 0)))
    (if (i32.gt_u (local.get $len) (i32.const 0x1000)) (then unreachable))
    (drop (call $take (i32.const 0x2000) (local.get $len)))
    ;; [0, handle] starts 82 00; an error envelope 83 02
    (if (i32.ne (i32.load8_u (i32.const 0x2001)) (i32.const 0))
      (then
        (if (local.get $spin) (then (loop $forever (br $forever))))
        (return (call $packed (i32.const 0x2000) (local.get $len)))))
    (local.set $r
      (call $call (i32.const 0x2002) (i32.sub (local.get $len) (i32.const 2))
        (local.get $m) (local.get $mlen) (i32.const 0x300) (i32.const 1)))
    (if (i32.gt_u (local.get $r) (i32.const 0x1000)) (then unreachable))
    (drop (call $take (i32.const 0x4000) (local.get $r)))
    (call $packed (i32.const 0x4000) (local.get $r)))
  (func (export "run") (param i32 i32) (result i64)
    (call $chain (i32.const 0x310) (i32.const 3) (i32.const 0)))
  (func (export "hang") (param i32 i32) (result i64)
    (call $chain (i32.const 0x320) (i32.const 4) (i32.const 1))))
