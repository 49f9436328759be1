;; alloc_zero.wat: wactor_alloc always returns 0 (the guest cannot allocate).
;; Expected: every call fails with a *TrapError and the sandbox is discarded
;; (ABI section 3, step 2). get() itself would return [0, 42].
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 0))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004)))
