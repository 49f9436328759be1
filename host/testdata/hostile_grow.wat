;; hostile_grow.wat: a memory bomb within the actor's own limit. grow16()
;; runs memory.grow(16) (1 MiB) and returns [0, true] if it grew, [0, false]
;; if memory.grow returned -1; get() -> [0, null].
;; Expected: growth past the namespace's memory quota is refused: grow16()
;; returns false (wazero: the host backs the memory; wasmtime: the store's
;; limit is set from the quota before each call).
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\f5")   ;; [0, true]
  (data (i32.const 0x110) "\82\00\f4")   ;; [0, false]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "grow16") (param i32 i32) (result i64)
    (if (result i64) (i32.eq (memory.grow (i32.const 16)) (i32.const -1))
      (then (i64.const 0x0000011000000003))
      (else (i64.const 0x0000010000000003))))
  (func (export "get") (param i32 i32) (result i64) (i64.const 0)))
