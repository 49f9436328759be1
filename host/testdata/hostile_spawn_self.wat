;; hostile_spawn_self.wat: a constructor that spawns a child of its own class
;; (spawn with an empty class ID), passing on its own arguments, so every
;; child does the same. With the arguments [] it returns the spawn's envelope
;; as its own result: a refused spawn fails every constructor up the chain
;; with that error. With any longer arguments (e.g. [true]) it ignores the
;; spawn's outcome and succeeds, leaving the chain alive.
;; Before issue 12 the recursion ran on one goroutine until the process died
;; (wazero: Go stack overflow; wasmtime: SIGSEGV in cgo).
;; Expected: the chain stops at Config.MaxDepth with wactor.quota (strict: the
;; root's Spawn fails with *AppError{wactor.quota}; tolerant: MaxDepth+1 live
;; actors, which die with the root).
(module
  (import "wactor" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wactor" "take" (func $take (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_init") (param $p i32) (param $n i32) (result i64)
    (local $len i32)
    (local.set $len
      (call $spawn (i32.const 0) (i32.const 0) (local.get $p) (local.get $n) (i32.const 0) (i32.const 0)))
    (if (i32.gt_u (local.get $len) (i32.const 0x1000)) (then unreachable))
    (drop (call $take (i32.const 0x2000) (local.get $len)))
    (if (i32.gt_u (local.get $n) (i32.const 1)) (then (return (i64.const 0))))
    (i64.or (i64.shl (i64.const 0x2000) (i64.const 32)) (i64.extend_i32_u (local.get $len))))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
