;; hostile_logflood.wat: floods the actor's log from every source.
;;   flood_stdout()  one fd_write of 64 MiB to stdout without a newline (1024
;;                   iovecs over one 64 KiB buffer of "x"); -> [0, null]
;;   flood_stderr()  the same to stderr; -> [0, null]
;;   flood_lines()   the same to stdout with a newline ending each 64 KiB:
;;                   1024 lines, each cut at 16 KiB; -> [0, null]
;;   flood_log()     wactor.log(info) 1024 times with 64 KiB of "x" each (each
;;                   line cut at 16 KiB); -> [0, null]
;;   many_lines()    fd_write of 4 x 64 KiB of "y\n" to stdout: 131072 lines;
;;                   -> [0, null]
;;   abort()         writes "partial stderr" (no newline) to stderr, logs
;;                   "abort: boom in index.ts(3:5)" at level error, then
;;                   executes unreachable (an AssemblyScript-style abort)
;;   get()           -> [0, 1]
;; Expected: the host keeps each actor's log within its budget
;; (Config.LogBytes, lines of at most 16 KiB) and stays responsive; abort()
;; fails with a *TrapError whose GuestOutput has the abort message.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wactor" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 3)
  (data (i32.const 0x100) "\82\00\f6")                   ;; [0, null]
  (data (i32.const 0x110) "\82\00\01")                   ;; [0, 1]
  (data (i32.const 0x200) "partial stderr")               ;; 14 bytes
  (data (i32.const 0x220) "abort: boom in index.ts(3:5)") ;; 28 bytes
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  ;; $iovecs writes n iovecs at 0x20000, each [0x10000, +64 KiB).
  (func $iovecs (param $n i32)
    (local $i i32)
    (loop $next
      (i32.store (i32.add (i32.const 0x20000) (i32.shl (local.get $i) (i32.const 3))) (i32.const 0x10000))
      (i32.store (i32.add (i32.const 0x20004) (i32.shl (local.get $i) (i32.const 3))) (i32.const 0x10000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n)))))
  (func $xs (memory.fill (i32.const 0x10000) (i32.const 0x78) (i32.const 0x10000)))
  (func $flood (param $fd i32)
    (call $xs)
    (call $iovecs (i32.const 1024))
    (drop (call $fd_write (local.get $fd) (i32.const 0x20000) (i32.const 1024) (i32.const 0x400))))
  (func (export "flood_stdout") (param i32 i32) (result i64)
    (call $flood (i32.const 1))
    (i64.const 0x0000010000000003))
  (func (export "flood_stderr") (param i32 i32) (result i64)
    (call $flood (i32.const 2))
    (i64.const 0x0000010000000003))
  (func (export "flood_lines") (param i32 i32) (result i64)
    (call $xs)
    (i32.store8 (i32.const 0x1ffff) (i32.const 0x0a))
    (call $iovecs (i32.const 1024))
    (drop (call $fd_write (i32.const 1) (i32.const 0x20000) (i32.const 1024) (i32.const 0x400)))
    (i64.const 0x0000010000000003))
  (func (export "flood_log") (param i32 i32) (result i64)
    (local $i i32)
    (call $xs)
    (loop $next
      (call $log (i32.const 1) (i32.const 0x10000) (i32.const 0x10000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1024))))
    (i64.const 0x0000010000000003))
  (func (export "many_lines") (param i32 i32) (result i64)
    (local $i i32)
    (loop $fill ;; "y\n" repeated: the little-endian u16 0x0a79
      (i32.store16 (i32.add (i32.const 0x10000) (local.get $i)) (i32.const 0x0a79))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 0x10000))))
    (call $iovecs (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 0x20000) (i32.const 4) (i32.const 0x400)))
    (i64.const 0x0000010000000003))
  (func (export "abort") (param i32 i32) (result i64)
    (i32.store (i32.const 0x300) (i32.const 0x200))
    (i32.store (i32.const 0x304) (i32.const 14))
    (drop (call $fd_write (i32.const 2) (i32.const 0x300) (i32.const 1) (i32.const 0x400)))
    (call $log (i32.const 3) (i32.const 0x220) (i32.const 28))
    (unreachable))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000011000000003)))
