;; minimal.wat: a correct tiny guest, the floor guest for benchmarks.
;;   get()     -> [0, 42]
;;   echo(...) -> [0, "ok"]   (a fixed envelope; the argument is ignored)
;;   nothing() -> packed 0    (no value, same as [0, null])
;; wactor_alloc returns 1024 and grows memory when the arguments do not fit,
;; so benchmarks can pass large payloads.
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (data (i32.const 0x200) "\82\00\62ok")        ;; [0, "ok"]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param $n i32) (result i32)
    (local $short i32)
    ;; pages missing = ceil((1024 + n) / 65536) - memory.size
    (local.set $short
      (i32.sub
        (i32.shr_u (i32.add (local.get $n) (i32.const 66559)) (i32.const 16))
        (memory.size)))
    (if (i32.gt_s (local.get $short) (i32.const 0))
      (then
        (if (i32.eq (memory.grow (local.get $short)) (i32.const -1))
          (then (return (i32.const 0))))))
    (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004))
  (func (export "echo") (param i32 i32) (result i64)
    (i64.const 0x0000020000000005))
  (func (export "nothing") (param i32 i32) (result i64)
    (i64.const 0)))
