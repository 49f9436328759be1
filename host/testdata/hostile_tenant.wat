;; hostile_tenant.wat: a tenant's class that aims every actor-call import at
;; whatever the test names in raw bytes (docs/ABI.md section 6), for the
;; tenancy matrix (hostile_tenancy_test.go). Each method takes CBOR byte (or
;; text) strings, passes them to one import unchecked, and returns the
;; envelope the host left pending: a value, or the host's error envelope,
;; which the caller sees as an application error with the import's code.
;;
;;   get_actor(namespace, name)       -> wactor.get_actor
;;   call(target, method, args)       -> wactor.call (args: an encoded argument array)
;;   send(target, method, args)       -> wactor.send, then wactor.await on its future
;;   await_stray()                    -> wactor.await of future 1, never sent by this sandbox
;;   kill(target)                     -> wactor.kill
;;   spawn(class, args, opts)         -> wactor.spawn (opts: an encoded map, may be empty)
;;
;; Expected: what the host allows within the actor's namespace works; every
;; reach into another namespace is the error envelope wactor.forbidden.
(module
  (import "wactor" "call" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "send" (func $send (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wactor" "await" (func $await (param i64) (result i32)))
  (import "wactor" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "get_actor" (func $get_actor (param i32 i32 i32 i32) (result i32)))
  (import "wactor" "kill" (func $kill (param i32 i32) (result i32)))
  (import "wactor" "take" (func $take (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; the payload of the string $bytes read last
  (global $bp (mut i32) (i32.const 0))
  (global $bl (mut i32) (i32.const 0))
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  ;; arguments land at 0x100 (up to 0x7f00 bytes); envelopes are taken into 0x8000
  (func (export "wactor_alloc") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 0x7f00)) (then unreachable))
    (i32.const 0x100))
  ;; $bytes reads the CBOR string header at $p (length below 65536), sets
  ;; $bp and $bl to its payload and returns the address after it.
  (func $bytes (param $p i32) (result i32)
    (local $ai i32)
    (local.set $ai (i32.and (i32.load8_u (local.get $p)) (i32.const 0x1f)))
    (if (i32.lt_u (local.get $ai) (i32.const 24))
      (then
        (global.set $bl (local.get $ai))
        (global.set $bp (i32.add (local.get $p) (i32.const 1))))
      (else
        (if (i32.eq (local.get $ai) (i32.const 24))
          (then
            (global.set $bl (i32.load8_u offset=1 (local.get $p)))
            (global.set $bp (i32.add (local.get $p) (i32.const 2))))
          (else
            (if (i32.eq (local.get $ai) (i32.const 25))
              (then
                (global.set $bl (i32.or
                  (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 8))
                  (i32.load8_u offset=2 (local.get $p))))
                (global.set $bp (i32.add (local.get $p) (i32.const 3))))
              (else unreachable))))))
    (i32.add (global.get $bp) (global.get $bl)))
  ;; returns the pending envelope of length n, taken into 0x8000
  (func $reply (param $n i32) (result i64)
    (if (i32.gt_u (local.get $n) (i32.const 0x8000)) (then unreachable))
    (drop (call $take (i32.const 0x8000) (local.get $n)))
    (i64.or (i64.shl (i64.const 0x8000) (i64.const 32)) (i64.extend_i32_u (local.get $n))))
  (func (export "get_actor") (param $ptr i32) (param $len i32) (result i64)
    (local $p i32) (local $nsp i32) (local $nsl i32)
    (local.set $p (call $bytes (i32.add (local.get $ptr) (i32.const 1))))
    (local.set $nsp (global.get $bp)) (local.set $nsl (global.get $bl))
    (drop (call $bytes (local.get $p)))
    (call $reply (call $get_actor (local.get $nsp) (local.get $nsl) (global.get $bp) (global.get $bl))))
  (func (export "call") (param $ptr i32) (param $len i32) (result i64)
    (local $p i32) (local $tp i32) (local $tl i32) (local $mp i32) (local $ml i32)
    (local.set $p (call $bytes (i32.add (local.get $ptr) (i32.const 1))))
    (local.set $tp (global.get $bp)) (local.set $tl (global.get $bl))
    (local.set $p (call $bytes (local.get $p)))
    (local.set $mp (global.get $bp)) (local.set $ml (global.get $bl))
    (drop (call $bytes (local.get $p)))
    (call $reply (call $call (local.get $tp) (local.get $tl) (local.get $mp) (local.get $ml) (global.get $bp) (global.get $bl))))
  (func (export "send") (param $ptr i32) (param $len i32) (result i64)
    (local $p i32) (local $tp i32) (local $tl i32) (local $mp i32) (local $ml i32) (local $f i64)
    (local.set $p (call $bytes (i32.add (local.get $ptr) (i32.const 1))))
    (local.set $tp (global.get $bp)) (local.set $tl (global.get $bl))
    (local.set $p (call $bytes (local.get $p)))
    (local.set $mp (global.get $bp)) (local.set $ml (global.get $bl))
    (drop (call $bytes (local.get $p)))
    (local.set $f (call $send (local.get $tp) (local.get $tl) (local.get $mp) (local.get $ml) (global.get $bp) (global.get $bl)))
    (if (result i64) (i64.lt_s (local.get $f) (i64.const 0))
      (then (call $reply (i32.wrap_i64 (i64.sub (i64.const 0) (local.get $f)))))
      (else (call $reply (call $await (local.get $f))))))
  (func (export "await_stray") (param i32 i32) (result i64)
    (call $reply (call $await (i64.const 1))))
  (func (export "kill") (param $ptr i32) (param $len i32) (result i64)
    (drop (call $bytes (i32.add (local.get $ptr) (i32.const 1))))
    (call $reply (call $kill (global.get $bp) (global.get $bl))))
  (func (export "spawn") (param $ptr i32) (param $len i32) (result i64)
    (local $p i32) (local $cp i32) (local $cl i32) (local $ap i32) (local $al i32)
    (local.set $p (call $bytes (i32.add (local.get $ptr) (i32.const 1))))
    (local.set $cp (global.get $bp)) (local.set $cl (global.get $bl))
    (local.set $p (call $bytes (local.get $p)))
    (local.set $ap (global.get $bp)) (local.set $al (global.get $bl))
    (drop (call $bytes (local.get $p)))
    (call $reply (call $spawn (local.get $cp) (local.get $cl) (local.get $ap) (local.get $al) (global.get $bp) (global.get $bl)))))
