;; hostile_initialize_loop.wat: a class whose _initialize never returns.
;; Expected: LoadClass fails with ErrInvalidModule naming "_initialize"
;; within Config.LoadTimeout.
(module
  (memory (export "memory") 1)
  (func (export "_initialize")
    (loop $forever
      (br $forever)))
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
