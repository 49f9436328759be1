;; init_log_error.wat: wactor_init logs "constructing" (level 1) and returns
;; the application error envelope [2, "bad_init", "nope"]; get -> [0, 42].
;; Expected: Spawn fails with *AppError{bad_init, nope}; the host keeps the
;; dead actor (reason constructor failed) with its log line.
(module
  (import "wactor" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\83\02\68bad_init\64nope")   ;; 16 bytes
  (data (i32.const 0x200) "\82\00\18\2a")               ;; [0, 42]
  (data (i32.const 0x300) "constructing")               ;; 12 bytes
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_init") (param i32 i32) (result i64)
    (call $log (i32.const 1) (i32.const 0x300) (i32.const 12))
    (i64.const 0x0000010000000010))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000020000000004)))
