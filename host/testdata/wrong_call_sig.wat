;; wrong_call_sig.wat: imports wactor.call with the wrong signature.
;; Expected: load fails with ErrInvalidModule naming wactor.call.
(module
  (import "wactor" "call" (func (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 1)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024)))
