;; bad_method_sig.wat: exports "foo" as (func (param i32)), a non-reserved
;; name without the method shape (i32 i32) -> i64.
;; Expected: load fails with ErrInvalidModule naming "foo".
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004))
  (func (export "foo") (param i32)))
