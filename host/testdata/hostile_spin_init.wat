;; hostile_spin_init.wat: a class whose constructor never returns (an
;; infinite loop in wactor_init): each Spawn of it holds a worker place until
;; its deadline, a kill or its context ends it.
;; Expected (host/hostile_fairness_test.go): constructors run on worker
;; places of their namespace and yield like calls, so with every worker
;; spinning in such constructors, another namespace's calls still complete,
;; in order, within a bounded number of the spinners' time slices.
(module
  (memory (export "memory") 1)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_init") (param i32 i32) (result i64)
    (loop $forever
      (br $forever))
    (unreachable)))
