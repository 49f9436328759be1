;; hostile_names.wat: names outside the name grammar through the guest ABI
;; (docs/API.md, "Names"). Expected: get_nul, get_slash, get_utf8 and
;; spawn_bad_name -> application error wactor.bad_args (a lookup of a name no
;; actor can have, a spawn asking for one); get_in_dotdot and
;; spawn_bad_namespace -> wactor.forbidden (another namespace). Never a
;; lookup that finds or a spawn that creates something.
(module
  (import "wactor" "get_actor" (func $get_actor (param i32 i32 i32 i32) (result i32)))
  (import "wactor" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "take" (func $take (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "a\00b")      ;; a name with NUL
  (data (i32.const 0x110) "../x")       ;; a name with '/'
  (data (i32.const 0x120) "a\ff")       ;; invalid UTF-8
  (data (i32.const 0x130) "..")         ;; not a name
  (data (i32.const 0x200) "\80")        ;; [] (no constructor arguments)
  ;; {"name": "a/b"}
  (data (i32.const 0x300) "\a1\64name\63a/b")
  ;; {"namespace": "x\00"}
  (data (i32.const 0x320) "\a1\69namespace\62x\00")
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func $reply (param $n i32) (result i64)
    (drop (call $take (i32.const 0x1000) (local.get $n)))
    (i64.or (i64.shl (i64.const 0x1000) (i64.const 32)) (i64.extend_i32_u (local.get $n))))
  (func (export "get_nul") (param i32 i32) (result i64)
    (call $reply (call $get_actor (i32.const 0) (i32.const 0) (i32.const 0x100) (i32.const 3))))
  (func (export "get_slash") (param i32 i32) (result i64)
    (call $reply (call $get_actor (i32.const 0) (i32.const 0) (i32.const 0x110) (i32.const 4))))
  (func (export "get_utf8") (param i32 i32) (result i64)
    (call $reply (call $get_actor (i32.const 0) (i32.const 0) (i32.const 0x120) (i32.const 2))))
  (func (export "get_in_dotdot") (param i32 i32) (result i64)
    (call $reply (call $get_actor (i32.const 0x130) (i32.const 2) (i32.const 0x110) (i32.const 1))))
  (func (export "spawn_bad_name") (param i32 i32) (result i64)
    (call $reply (call $spawn (i32.const 0) (i32.const 0) (i32.const 0x200) (i32.const 1) (i32.const 0x300) (i32.const 10))))
  (func (export "spawn_bad_namespace") (param i32 i32) (result i64)
    (call $reply (call $spawn (i32.const 0) (i32.const 0) (i32.const 0x200) (i32.const 1) (i32.const 0x320) (i32.const 14)))))
