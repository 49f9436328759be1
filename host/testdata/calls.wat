;; calls.wat: bad inputs to the actor-call imports (docs/ABI.md section 6).
;; Expected: await_unknown -> application error wactor.bad_args; bad_handle ->
;; application error wactor.bad_handle; bad_call_ptr and take_oob -> TrapError
;; reason abi; missing -> application error wactor.actor_not_found.
(module
  (import "wactor" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "await" (func $await (param i64) (result i32)))
  (import "wactor" "get_actor" (func $get_actor (param i32 i32 i32 i32) (result i32)))
  (import "wactor" "take" (func $take (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x200) "\ff\fe\fd")  ;; not a handle
  (data (i32.const 0x300) "\80")        ;; [] (no arguments)
  (data (i32.const 0x310) "pong")       ;; a method name
  (data (i32.const 0x320) "nope")       ;; an actor name
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  ;; returns the pending envelope of length n, taken into 0x1000
  (func $reply (param $n i32) (result i64)
    (drop (call $take (i32.const 0x1000) (local.get $n)))
    (i64.or (i64.shl (i64.const 0x1000) (i64.const 32)) (i64.extend_i32_u (local.get $n))))
  (func (export "await_unknown") (param i32 i32) (result i64)
    (call $reply (call $await (i64.const 99))))
  (func (export "bad_handle") (param i32 i32) (result i64)
    (call $reply (call $call (i32.const 0x200) (i32.const 3) (i32.const 0x310) (i32.const 4) (i32.const 0x300) (i32.const 1))))
  (func (export "missing") (param i32 i32) (result i64)
    (call $reply (call $get_actor (i32.const 0) (i32.const 0) (i32.const 0x320) (i32.const 4))))
  ;; take with too small a buffer copies nothing, returns -n and keeps the
  ;; envelope for a second take (traps if the short take did not say so).
  (func (export "take_short") (param i32 i32) (result i64)
    (local $n i32)
    (local.set $n (call $get_actor (i32.const 0) (i32.const 0) (i32.const 0x320) (i32.const 4)))
    (if (i32.ne (call $take (i32.const 0x1000) (i32.const 1)) (i32.sub (i32.const 0) (local.get $n)))
      (then unreachable))
    (call $reply (local.get $n)))
  (func (export "bad_call_ptr") (param i32 i32) (result i64)
    (call $reply (call $call (i32.const 0x20000) (i32.const 4) (i32.const 0x310) (i32.const 4) (i32.const 0x300) (i32.const 1))))
  (func (export "take_oob") (param i32 i32) (result i64)
    (drop (call $get_actor (i32.const 0) (i32.const 0) (i32.const 0x320) (i32.const 4)))
    (drop (call $take (i32.const 0x1fff0) (i32.const 256)))
    (i64.const 0)))
