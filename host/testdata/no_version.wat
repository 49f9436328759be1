;; no_version.wat: does not export wactor_abi_version.
;; Expected: load fails with ErrInvalidModule ("wactor_abi_version").
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004)))
