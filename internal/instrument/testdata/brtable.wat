;; br_table inside a loop: a small state machine.
(module
  (func (export "machine") (param $n i32) (result i32)
    (local $acc i32)
    (block $exit
      (loop $top
        (br_if $exit (i32.eqz (local.get $n)))
        (block $b3
          (block $b2
            (block $b1
              (block $b0
                (br_table $b0 $b1 $b2 $b3 (i32.rem_u (local.get $n) (i32.const 4))))
              (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
              (br $b3))
            (local.set $acc (i32.add (local.get $acc) (i32.const 10)))
            (br $b3))
          (local.set $acc (i32.add (local.get $acc) (i32.const 100))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $top)))
    (local.get $acc))
)
