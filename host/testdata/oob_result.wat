;; oob_result.wat: methods return pointer/length pairs outside the 1-page
;; (65536-byte) memory. Expected: each call fails with *TrapError, reason abi.
;;   get()      -> ptr 0x10000, len 4     (starts at the end of memory)
;;   straddle() -> ptr 0xfffe,  len 16    (starts inside, ends outside)
;;   wrap()     -> ptr 0xffffffff, len 2  (ptr+len overflows 32 bits)
;;   ok()       -> [0, 42]                (in bounds, for comparison)
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0001000000000004))
  (func (export "straddle") (param i32 i32) (result i64)
    (i64.const 0x0000fffe00000010))
  (func (export "wrap") (param i32 i32) (result i64)
    (i64.const 0xffffffff00000002))
  (func (export "ok") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004)))
