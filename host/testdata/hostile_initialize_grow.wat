;; hostile_initialize_grow.wat: a 1-page class whose _initialize grows its
;; memory to 256 MiB (4096 pages) without writing it.
;; Expected: the class loads; its template costs only the pages written
;; (zero pages are shared), counts in NodeUsage.TemplateBytes against
;; Config.ClassMemoryBudget (a template that does not fit is not taken:
;; spawns run _initialize), and UnloadClass gives it all back.
;;   get() -> [0, 7]
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\07")          ;; [0, 7]
  (func (export "_initialize")
    (drop (memory.grow (i32.const 4095))))
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000003)))
