;; recurse.wat (a copy of host/testdata/hostile_stack_overflow.wat): recurse()
;; calls a function that calls itself without end, with a few locals per
;; frame; get() -> [0, 1].
;; Expected: recurse() fails with a TrapError (stack overflow) on either
;; engine, the host's memory outside the actor comes back, and the actor
;; (MaxRestarts) answers get() again.
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\01")          ;; [0, 1]
  (func $down (param $n i64) (result i64)
    (local $a i64) (local $b i64)
    (local.set $a (i64.add (local.get $n) (i64.const 1)))
    (local.set $b (call $down (local.get $a)))
    (i64.add (local.get $a) (local.get $b)))
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "recurse") (param i32 i32) (result i64)
    (drop (call $down (i64.const 0)))
    (i64.const 0x0000010000000003))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000003)))
