;; table_grow.wat: a module with a table whose methods execute table.grow
;; (for a later issue about table limits). Each returns [0, r] where r is
;; table.grow's result: the old size, or -1 when the growth was refused.
;;   grow()     -> table.grow by 1 element
;;   grow_big() -> table.grow by 1048576 elements
;;   size()     -> [0, table.size]
;; The integer is always written with a 4-byte head (0x1a / 0x3a), which is
;; valid CBOR though not the shortest form.
(module
  (table $t 1 funcref)
  (memory (export "memory") 1)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  ;; writes [0, v] at 0x100 and returns its packed pointer/length
  (func $ret_i32 (param $v i32) (result i64)
    (local $u i32)
    (i32.store8 (i32.const 0x100) (i32.const 0x82))
    (i32.store8 (i32.const 0x101) (i32.const 0x00))
    (if (i32.lt_s (local.get $v) (i32.const 0))
      (then
        (i32.store8 (i32.const 0x102) (i32.const 0x3a))     ;; negative: -1 - u
        (local.set $u (i32.sub (i32.const -1) (local.get $v))))
      (else
        (i32.store8 (i32.const 0x102) (i32.const 0x1a))
        (local.set $u (local.get $v))))
    (i32.store8 (i32.const 0x103) (i32.shr_u (local.get $u) (i32.const 24)))
    (i32.store8 (i32.const 0x104) (i32.shr_u (local.get $u) (i32.const 16)))
    (i32.store8 (i32.const 0x105) (i32.shr_u (local.get $u) (i32.const 8)))
    (i32.store8 (i32.const 0x106) (local.get $u))
    (i64.const 0x0000010000000007))
  (func (export "grow") (param i32 i32) (result i64)
    (call $ret_i32 (table.grow $t (ref.null func) (i32.const 1))))
  (func (export "grow_big") (param i32 i32) (result i64)
    (call $ret_i32 (table.grow $t (ref.null func) (i32.const 1048576))))
  (func (export "size") (param i32 i32) (result i64)
    (call $ret_i32 (table.size $t))))
