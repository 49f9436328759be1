;; start_global.wat: a class with a start section (as AssemblyScript emits)
;; that sets a global, which get() returns, and logs "start ran" (a start
;; function may call host functions). 17 pages, so a template is taken.
;;   get() -> [0, 7]
;; Expected: the start function runs once at load (for the template) and
;; once per cold spawn, never for a spawn from the template.
(module
  (import "wactor" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 17)
  (data (i32.const 0x100) "\82\00\00")          ;; [0, <patched>]
  (data (i32.const 0x200) "start ran")
  (global $g (mut i32) (i32.const 0))
  (func $start
    (call $log (i32.const 2) (i32.const 0x200) (i32.const 9))
    (global.set $g (i32.const 7)))
  (start $start)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i32.store8 (i32.const 0x102) (global.get $g))
    (i64.const 0x0000010000000003)))
