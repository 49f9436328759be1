;; hostile_tree.wat: a spawn tree. The constructor spawns two children of its
;; own class and ignores the outcomes, so the tree grows until something
;; refuses: Config.MaxDepth bounds its depth, the namespace's Quota.Actors
;; its size.
;; Expected: the root's Spawn succeeds with exactly Quota.Actors live actors
;; in the namespace; killing the root kills the tree.
(module
  (import "wactor" "spawn" (func $spawn (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x300) "\80")    ;; [] (no arguments)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_init") (param i32 i32) (result i64)
    (drop (call $spawn (i32.const 0) (i32.const 0) (i32.const 0x300) (i32.const 1) (i32.const 0) (i32.const 0)))
    (drop (call $spawn (i32.const 0) (i32.const 0) (i32.const 0x300) (i32.const 1) (i32.const 0) (i32.const 0)))
    (i64.const 0))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
