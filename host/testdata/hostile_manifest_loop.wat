;; hostile_manifest_loop.wat: a class whose wactor_manifest export never
;; returns. Expected: LoadClass fails with ErrInvalidModule naming
;; "wactor_manifest" within Config.LoadTimeout.
(module
  (memory (export "memory") 1)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_manifest") (result i64)
    (loop $forever
      (br $forever))
    (i64.const 0))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
