;; Behavioural and benchmark module: counted loop, infinite loop, and a
;; loop-free recursion through call_indirect. Instruction counts in the
;; comments give the fuel costs asserted by the tests:
;; count(n) costs 3 + 12*n fuel for n >= 1.
(module
  (type $rec_t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $rec)
  (global $ticks (export "ticks") (mut i64) (i64.const 0))

  (func $count (export "count") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    loop $l          ;; function scope: 1
      local.get $acc ;; loop scope: 1
      local.get $i   ;; 2
      i32.add        ;; 3
      local.set $acc ;; 4
      local.get $i   ;; 5
      i32.const 1    ;; 6
      i32.add        ;; 7
      local.tee $i   ;; 8
      local.get $n   ;; 9
      i32.lt_u       ;; 10
      br_if $l       ;; 11
    end              ;; 12
    local.get $acc   ;; function scope: 2
  )                  ;; 3

  ;; Never returns on its own; counts iterations in $ticks.
  (func $spin (export "spin")
    loop $l
      global.get $ticks
      i64.const 1
      i64.add
      global.set $ticks
      br $l
    end
  )

  ;; rec(n) makes 2^(n+1)-1 calls and no loop: rec(60) never finishes.
  (func $rec (export "rec") (param $n i32) (result i32)
    global.get $ticks
    i64.const 1
    i64.add
    global.set $ticks
    local.get $n
    i32.eqz
    if (result i32)
      i32.const 1
    else
      local.get $n
      i32.const 1
      i32.sub
      i32.const 0
      call_indirect (type $rec_t)
      local.get $n
      i32.const 1
      i32.sub
      i32.const 0
      call_indirect (type $rec_t)
      i32.add
    end
  )
)
