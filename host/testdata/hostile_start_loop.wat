;; hostile_start_loop.wat: a class whose start section never returns.
;; Expected: LoadClass fails with ErrInvalidModule naming the "start
;; function" within Config.LoadTimeout (the host runs the start function
;; itself, interruptible), or with the caller's context error if it leaves.
(module
  (memory (export "memory") 1)
  (func $spin
    (loop $forever
      (br $forever)))
  (start $spin)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
