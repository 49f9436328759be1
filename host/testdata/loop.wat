;; loop.wat: spin() never returns (an infinite `loop br 0`); get() -> [0, 1].
;; Expected: spin() fails with *TrapError, reason deadline (or cancelled) when
;; the call deadline passes; the sandbox is restarted and get() works again.
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\01")          ;; [0, 1]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "spin") (param i32 i32) (result i64)
    (loop $forever
      (br $forever))
    (unreachable))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000003)))
