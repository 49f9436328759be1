;; Imported globals come first in the global index space: $gm is 0, $gi 1,
;; $a 2, $b 3, $c 4; added globals start at 5.
(module
  (import "env" "g_mut" (global $gm (mut i32)))
  (import "env" "g_imm" (global $gi i64))
  (global $a (mut i32) (i32.const 7))
  (global $b f64 (f64.const 1.5))
  (global $c (mut i64) (global.get $gi))

  ;; gm += 1; a += gm; return a
  (func (export "bump") (result i32)
    (global.set $gm (i32.add (global.get $gm) (i32.const 1)))
    (global.set $a (i32.add (global.get $a) (global.get $gm)))
    (global.get $a))

  ;; c += gi, n times; return c
  (func (export "sum") (param $n i32) (result i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (global.set $c (i64.add (global.get $c) (global.get $gi)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (global.get $c))

  (func (export "get_a") (result i32) (global.get $a))
)
