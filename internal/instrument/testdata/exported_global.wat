;; Globals already exported under their own names keep them; only $hidden
;; (index 1) gets a wactor_global_1 export. $counter is exported twice: the
;; first name wins.
(module
  (global $counter (export "counter") (export "counter_alias") (mut i32) (i32.const 0))
  (global $hidden (mut i64) (i64.const 42))
  (global $limit (export "limit") i32 (i32.const 10))
  (func (export "run") (result i32)
    (loop $l
      (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
      (global.set $hidden (i64.add (global.get $hidden) (i64.const 1)))
      (br_if $l (i32.lt_u (global.get $counter) (global.get $limit))))
    (global.get $counter))
  (func (export "hidden") (result i64) (global.get $hidden))
)
