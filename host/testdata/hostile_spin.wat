;; hostile_spin.wat: a tenant that spins. spin() never returns (an infinite
;; loop: only its deadline, a kill, or a cancellation ends it, and only
;; preemption gives its worker to other namespaces meanwhile). next() runs a
;; short bounded loop, then returns how many times it was called, 1, 2, ...
;; (so a caller can check its calls ran in order), as the result envelope
;; [0, n] (n < 65536).
;; Expected (host/hostile_fairness_test.go): with every worker spinning in
;; spin(), another namespace's next() calls still complete, in order, each
;; within a bounded number of the spinners' time slices.
(module
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "spin") (param i32 i32) (result i64)
    (loop $forever
      (br $forever))
    (unreachable))
  (func (export "next") (param i32 i32) (result i64)
    (local $i i32)
    ;; A little work: 10,000 iterations.
    (loop $work
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $work (i32.lt_u (local.get $i) (i32.const 10000))))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    ;; [0, n]: 0x82 0x00, then n as a CBOR unsigned integer.
    (i32.store8 (i32.const 0x100) (i32.const 0x82))
    (i32.store8 (i32.const 0x101) (i32.const 0x00))
    (if (i32.lt_u (global.get $calls) (i32.const 24))
      (then
        (i32.store8 (i32.const 0x102) (global.get $calls))
        (return (i64.const 0x0000010000000003))))
    (if (i32.lt_u (global.get $calls) (i32.const 256))
      (then
        (i32.store8 (i32.const 0x102) (i32.const 0x18))
        (i32.store8 (i32.const 0x103) (global.get $calls))
        (return (i64.const 0x0000010000000004))))
    (i32.store8 (i32.const 0x102) (i32.const 0x19))
    (i32.store8 (i32.const 0x103) (i32.shr_u (global.get $calls) (i32.const 8)))
    (i32.store8 (i32.const 0x104) (global.get $calls))
    (i64.const 0x0000010000000005)))
