;; hook_traps.wat: checkpoint hooks that trap (issue 14).
;;   incr() -> [0, n]   adds 1 to the counter (0..23, one CBOR byte) and returns it
;;   get()  -> [0, n]
;;   arm()  -> [0, n]   from now on wactor_should_checkpoint traps
;;   trap()             traps (unreachable)
;;   wactor_should_checkpoint(calls, ms) -> 0, or a trap once armed
;;   wactor_load_checkpoint(...)          always traps
(module
  (memory (export "memory") 1)
  (data (i32.const 0x300) "\82\00\00")          ;; [0, counter]: the counter is the byte at 0x302
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "incr") (param i32 i32) (result i64)
    (i32.store8 (i32.const 0x302) (i32.add (i32.load8_u (i32.const 0x302)) (i32.const 1)))
    (i64.const 0x0000030000000003))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000030000000003))
  (func (export "arm") (param i32 i32) (result i64)
    (i32.store8 (i32.const 0x310) (i32.const 1))
    (i64.const 0x0000030000000003))
  (func (export "trap") (param i32 i32) (result i64)
    unreachable)
  (func (export "wactor_should_checkpoint") (param i64 i64) (result i32)
    (if (i32.load8_u (i32.const 0x310)) (then unreachable))
    (i32.const 0))
  (func (export "wactor_load_checkpoint") (param i32 i32) (result i64)
    unreachable))
