;; SIMD: memarg loads, v128.const, shuffle, lane load and extract.
(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00\05\00\00\00\06\00\00\00\07\00\00\00\08\00\00\00")
  (global $splat (mut v128) (v128.const i32x4 0 0 0 0))
  (func (export "sum") (result i32)
    (local $i i32) (local $v v128)
    (local.set $v (v128.const i32x4 0 0 0 0))
    (loop $l
      (local.set $v (i32x4.add (local.get $v) (v128.load (local.get $i))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (i32.const 32))))
    (local.set $v (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))
    (local.set $v (v128.load32_lane offset=0 3 (i32.const 0) (local.get $v)))
    (global.set $splat (i32x4.splat (i32.const 9)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
)
