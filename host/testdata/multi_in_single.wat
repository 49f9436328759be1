;; multi_in_single.wat: pair() returns [0, [7, 8]]: a single value that is an
;; array, no manifest. Expected: with k == 1 the future gets [7, 8]; with an
;; explicit k == 2 the futures get 7 and 8 (ABI section 4); k == 3 fails all
;; three with ErrReturnCount.
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\82\07\08")    ;; [0, [7, 8]]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "pair") (param i32 i32) (result i64)
    (i64.const 0x0000010000000005)))
