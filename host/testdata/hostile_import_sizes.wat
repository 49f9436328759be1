;; hostile_import_sizes.wat: a class that passes the actor-call imports
;; lengths far over what each input may be (docs/ABI.md section 6): 48 MiB
;; of its own (untouched) memory as a handle, a method name, arguments, a
;; class ID, spawn options, a namespace or an actor name. Each method makes
;; one import call and returns the envelope the host left pending.
;;
;; Expected: each import answers an error envelope (wactor.bad_args, or
;; wactor.method_not_found for the method name, wactor.forbidden for the
;; namespace, which is not the caller's) without copying the input
;; and without any other effect; the host's allocations stay far below the
;; 48 MiB each input would cost if it were copied.
;;
;; The actor must be spawned with the name "self": the methods that need a
;; real target look it up with get_actor.
(module
  (import "wactor" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "send" (func $send (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wactor" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "get_actor" (func $get_actor (param i32 i32 i32 i32) (result i32)))
  (import "wactor" "kill" (func $kill (param i32 i32) (result i32)))
  (import "wactor" "take" (func $take (param i32 i32) (result i32)))
  (memory (export "memory") 1024) ;; 64 MiB
  (data (i32.const 0x300) "\80")  ;; [] (no arguments)
  (data (i32.const 0x310) "pong") ;; a method name
  (data (i32.const 0x320) "self") ;; this actor's name
  (global $big_ptr i32 (i32.const 0x100000)) ;; 1 MiB
  (global $big_len i32 (i32.const 0x3000000)) ;; 48 MiB
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 0x400))
  ;; returns the pending envelope of length n, taken into 0x1000
  (func $reply (param $n i32) (result i64)
    (drop (call $take (i32.const 0x1000) (local.get $n)))
    (i64.or (i64.shl (i64.const 0x1000) (i64.const 32)) (i64.extend_i32_u (local.get $n))))
  ;; looks this actor up by name and leaves its handle at 0x2002; returns
  ;; the handle's length (the envelope is [0, handle])
  (func $self (result i32)
    (local $n i32)
    (local.set $n (call $get_actor (i32.const 0) (i32.const 0) (i32.const 0x320) (i32.const 4)))
    (if (i32.ne (call $take (i32.const 0x2000) (local.get $n)) (local.get $n)) (then unreachable))
    (if (i32.ne (i32.load8_u (i32.const 0x2001)) (i32.const 0)) (then unreachable)) ;; not a value
    (i32.sub (local.get $n) (i32.const 2)))
  (func (export "pong") (param i32 i32) (result i64)
    (i64.const 0))
  (func (export "call_target") (param i32 i32) (result i64)
    (call $reply (call $call (global.get $big_ptr) (global.get $big_len) (i32.const 0x310) (i32.const 4) (i32.const 0x300) (i32.const 1))))
  (func (export "call_method") (param i32 i32) (result i64)
    (local $h i32)
    (local.set $h (call $self))
    (call $reply (call $call (i32.const 0x2002) (local.get $h) (global.get $big_ptr) (global.get $big_len) (i32.const 0x300) (i32.const 1))))
  (func (export "call_args") (param i32 i32) (result i64)
    (local $h i32)
    (local.set $h (call $self))
    (call $reply (call $call (i32.const 0x2002) (local.get $h) (i32.const 0x310) (i32.const 4) (global.get $big_ptr) (global.get $big_len))))
  (func (export "send_args") (param i32 i32) (result i64)
    (local $h i32)
    (local $r i64)
    (local.set $h (call $self))
    (local.set $r (call $send (i32.const 0x2002) (local.get $h) (i32.const 0x310) (i32.const 4) (global.get $big_ptr) (global.get $big_len)))
    (if (i64.ge_s (local.get $r) (i64.const 0)) (then unreachable)) ;; sent: the test fails on the trap
    (call $reply (i32.wrap_i64 (i64.sub (i64.const 0) (local.get $r)))))
  (func (export "spawn_class") (param i32 i32) (result i64)
    (call $reply (call $spawn (global.get $big_ptr) (global.get $big_len) (i32.const 0x300) (i32.const 1) (i32.const 0) (i32.const 0))))
  (func (export "spawn_args") (param i32 i32) (result i64)
    (call $reply (call $spawn (i32.const 0) (i32.const 0) (global.get $big_ptr) (global.get $big_len) (i32.const 0) (i32.const 0))))
  (func (export "spawn_opts") (param i32 i32) (result i64)
    (call $reply (call $spawn (i32.const 0) (i32.const 0) (i32.const 0x300) (i32.const 1) (global.get $big_ptr) (global.get $big_len))))
  (func (export "get_actor_ns") (param i32 i32) (result i64)
    (call $reply (call $get_actor (global.get $big_ptr) (global.get $big_len) (i32.const 0x320) (i32.const 4))))
  (func (export "get_actor_name") (param i32 i32) (result i64)
    (call $reply (call $get_actor (i32.const 0) (i32.const 0) (global.get $big_ptr) (global.get $big_len))))
  (func (export "kill_target") (param i32 i32) (result i64)
    (call $reply (call $kill (global.get $big_ptr) (global.get $big_len)))))
