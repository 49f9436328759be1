;; A module with a memory and an endless loop, for Options.Yield: the loop
;; must reach a Go preemption point (memory.grow 0) so the garbage collector
;; can stop the world while it spins.
(module
  (memory 1)
  (global $ticks (export "ticks") (mut i64) (i64.const 0))
  ;; Same body as loops.wat's count, for BenchmarkLoop's yield variants.
  (func $count (export "count") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    loop $l
      local.get $acc
      local.get $i
      i32.add
      local.set $acc
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.lt_u
      br_if $l
    end
    local.get $acc
  )
  (func $spin (export "spin")
    loop $l
      global.get $ticks
      i64.const 1
      i64.add
      global.set $ticks
      br $l
    end
  )
)
