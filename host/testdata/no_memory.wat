;; no_memory.wat: has no memory at all (so no "memory" export).
;; Expected: load fails with ErrInvalidModule ("memory").
(module
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
