;; A module with a memory and an endless loop, for Options.Yield: the loop
;; must reach a Go preemption point (memory.grow 0) so the garbage collector
;; can stop the world while it spins.
(module
  (memory 1)
  (global $ticks (export "ticks") (mut i64) (i64.const 0))
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
