;; hostile_version_loop.wat: a class whose wactor_abi_version never returns.
;; Expected: LoadClass fails with ErrInvalidModule naming
;; "wactor_abi_version" within Config.LoadTimeout.
(module
  (memory (export "memory") 1)
  (func (export "wactor_abi_version") (result i32)
    (loop $forever
      (br $forever))
    (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
