;; init_error.wat: wactor_init returns the application error envelope
;; [2, "bad_init", "nope"]. Expected: creation fails with *AppError{bad_init, nope}.
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\83\02\68bad_init\64nope")   ;; 16 bytes
  (data (i32.const 0x200) "\82\00\18\2a")               ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_init") (param i32 i32) (result i64)
    (i64.const 0x0000010000000010))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000020000000004)))
