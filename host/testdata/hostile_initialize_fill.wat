;; hostile_initialize_fill.wat: a 1-page class whose _initialize grows its
;; memory to 64 MiB (1024 pages) and writes a byte into every page, so its
;; template would hold 64 MiB. Expected: with a class budget below that,
;; the class loads without a template (NodeUsage.TemplateBytes unchanged)
;; and each spawn runs _initialize; UnloadClass gives the module's bytes
;; back.
;;   get() -> [0, 7]
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\07")          ;; [0, 7]
  (func (export "_initialize")
    (local $p i32)
    (drop (memory.grow (i32.const 1023)))
    (loop $pages
      (i32.store8 (i32.add (i32.shl (local.get $p) (i32.const 16)) (i32.const 0x800)) (i32.const 1))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $pages (i32.lt_u (local.get $p) (i32.const 1024)))))
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000003)))
