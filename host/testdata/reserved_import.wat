;; reserved_import.wat: imports wactor.checkpoint, reserved for a later ABI version.
;; Expected: load fails with ErrInvalidModule, "reserved for a later ABI version".
(module
  (import "wactor" "checkpoint" (func (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004)))
