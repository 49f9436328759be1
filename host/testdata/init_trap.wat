;; init_trap.wat: wactor_init executes unreachable.
;; Expected: actor creation fails with a *TrapError (the constructor trapped).
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_init") (param i32 i32) (result i64)
    (unreachable))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004)))
