;; log.wat: uses the three wactor imports with their correct signatures.
;;   hello()       logs "hello from wat" at level 1 (info); -> [0, null]
;;   bad_log()     calls log with a pointer beyond memory: *TrapError, reason abi
;;   bad_self_id() calls self_id with a pointer beyond memory: *TrapError, reason abi
;;   whoami()      -> [0, <actor ID as text>] (IDs longer than 255 bytes are truncated)
;;   bye()         calls exit; -> [0, "bye"]; the actor then dies (reason exited)
(module
  (import "wactor" "log" (func $log (param i32 i32 i32)))
  (import "wactor" "self_id" (func $self_id (param i32 i32) (result i32)))
  (import "wactor" "exit" (func $exit))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "hello from wat")     ;; 14 bytes
  (data (i32.const 0x120) "\82\00\f6")          ;; [0, null]
  (data (i32.const 0x130) "\82\00\63bye")       ;; [0, "bye"]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "hello") (param i32 i32) (result i64)
    (call $log (i32.const 1) (i32.const 0x100) (i32.const 14))
    (i64.const 0x0000012000000003))
  (func (export "bad_log") (param i32 i32) (result i64)
    (call $log (i32.const 1) (i32.const 0xfffffff0) (i32.const 100))
    (i64.const 0x0000012000000003))
  (func (export "bad_self_id") (param i32 i32) (result i64)
    (drop (call $self_id (i32.const 0x10000) (i32.const 64)))
    (i64.const 0x0000012000000003))
  ;; The ID is written at 0x1004 (cap 255). For n < 24 the envelope is
  ;; 0x82 0x00 0x60|n at 0x1001; otherwise 0x82 0x00 0x78 n at 0x1000.
  (func (export "whoami") (param i32 i32) (result i64)
    (local $n i32)
    (local.set $n (call $self_id (i32.const 0x1004) (i32.const 255)))
    (if (i32.gt_u (local.get $n) (i32.const 255))
      (then (local.set $n (i32.const 255))))
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 24))
      (then
        (i32.store8 (i32.const 0x1001) (i32.const 0x82))
        (i32.store8 (i32.const 0x1002) (i32.const 0x00))
        (i32.store8 (i32.const 0x1003) (i32.or (i32.const 0x60) (local.get $n)))
        (i64.or (i64.const 0x0000100100000000)
                (i64.extend_i32_u (i32.add (local.get $n) (i32.const 3)))))
      (else
        (i32.store8 (i32.const 0x1000) (i32.const 0x82))
        (i32.store8 (i32.const 0x1001) (i32.const 0x00))
        (i32.store8 (i32.const 0x1002) (i32.const 0x78))
        (i32.store8 (i32.const 0x1003) (local.get $n))
        (i64.or (i64.const 0x0000100000000000)
                (i64.extend_i32_u (i32.add (local.get $n) (i32.const 4)))))))
  (func (export "bye") (param i32 i32) (result i64)
    (call $exit)
    (i64.const 0x0000013000000006)))
