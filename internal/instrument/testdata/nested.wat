;; Nested loops. Fuel costs: function 5, outer loop 11, inner loop 12, so
;; nested(n, m) costs 5 + 11*n + 12*n*m for n, m >= 1.
(module
  (func $nested (export "nested") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    i32.const 0        ;; function: 1
    local.set $i       ;; 2
    loop $outer        ;; 3
      i32.const 0      ;; outer: 1
      local.set $j     ;; 2
      loop $inner      ;; 3
        local.get $acc ;; inner: 1
        i32.const 1    ;; 2
        i32.add        ;; 3
        local.set $acc ;; 4
        local.get $j   ;; 5
        i32.const 1    ;; 6
        i32.add        ;; 7
        local.tee $j   ;; 8
        local.get $m   ;; 9
        i32.lt_u       ;; 10
        br_if $inner   ;; 11
      end              ;; 12
      local.get $i     ;; outer: 4
      i32.const 1      ;; 5
      i32.add          ;; 6
      local.tee $i     ;; 7
      local.get $n     ;; 8
      i32.lt_u         ;; 9
      br_if $outer     ;; 10
    end                ;; 11
    local.get $acc     ;; function: 4
  )                    ;; 5

  ;; Three levels with blocks and ifs around the loops.
  (func (export "deep") (param $n i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $acc i32)
    (block $done
      (loop $l1
        (br_if $done (i32.ge_u (local.get $a) (local.get $n)))
        (local.set $b (i32.const 0))
        (block $d2
          (loop $l2
            (br_if $d2 (i32.ge_u (local.get $b) (local.get $n)))
            (local.set $c (i32.const 0))
            (if (i32.and (local.get $b) (i32.const 1))
              (then
                (loop $l3
                  (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
                  (local.set $c (i32.add (local.get $c) (i32.const 1)))
                  (br_if $l3 (i32.lt_u (local.get $c) (local.get $n)))))
              (else (local.set $acc (i32.add (local.get $acc) (i32.const 100)))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $l2)))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (br $l1)))
    (local.get $acc))
)
