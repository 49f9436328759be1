;; host.wat: calls host functions, for the engine tests (internal/engine).
;; Rebuild host.wasm with: wat2wasm host.wat -o host.wasm
(module
  (import "wactor" "log" (func $log (param i32 i32 i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write2 (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; an iovec at 0: 6 bytes at 16
  (data (i32.const 0) "\10\00\00\00\06\00\00\00")
  (data (i32.const 16) "hello\n")

  ;; log(level, ptr, len) calls wactor.log.
  (func (export "log") (param i32 i32 i32)
    (call $log (local.get 0) (local.get 1) (local.get 2)))

  ;; write(fd) writes "hello\n" to fd and returns the errno; the number of
  ;; bytes written is at 8.
  (func (export "write") (param i32) (result i32)
    (call $fd_write (local.get 0) (i32.const 0) (i32.const 1) (i32.const 8)))

  ;; write2 is write through the second import of fd_write.
  (func (export "write2") (param i32) (result i32)
    (call $fd_write2 (local.get 0) (i32.const 0) (i32.const 1) (i32.const 8)))

  ;; written returns what the last write stored at 8.
  (func (export "written") (result i32) (i32.load (i32.const 8)))

  (func (export "exit") (param i32) (call $proc_exit (local.get 0)))

  ;; clock(id) returns the clock's time, or -errno.
  (func (export "clock") (param i32) (result i64)
    (local $errno i32)
    (local.set $errno (call $clock_time_get (local.get 0) (i64.const 1) (i32.const 32)))
    (if (result i64) (local.get $errno)
      (then (i64.sub (i64.const 0) (i64.extend_i32_u (local.get $errno))))
      (else (i64.load (i32.const 32)))))

  ;; random(ptr, len) returns random_get's errno.
  (func (export "random") (param i32 i32) (result i32)
    (call $random_get (local.get 0) (local.get 1)))

  ;; logloop calls wactor.log forever.
  (func (export "logloop")
    (loop $forever
      (call $log (i32.const 0) (i32.const 16) (i32.const 5))
      (br $forever)))
)
