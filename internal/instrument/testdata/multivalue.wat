;; Multi-value: block types that are type indices (s33), loops with
;; parameters, functions with several results.
(module
  (type $pair (func (param i32 i32) (result i32 i32)))
  (func $step (type $pair) (local.get 1) (i32.add (local.get 0) (local.get 1)))
  (func (export "fib") (param $n i32) (result i32)
    i32.const 0
    i32.const 1
    loop $l (type $pair) (param i32 i32) (result i32 i32)
      call $step
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if $l
    end
    drop)
  (func (export "swap") (param i32 i32) (result i32 i32)
    local.get 0
    local.get 1
    block (type $pair) (param i32 i32) (result i32 i32)
      call $swap2
    end)
  (func $swap2 (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
  (func (export "divmod") (param $a i32) (param $b i32) (result i32 i32)
    local.get $a
    local.get $b
    local.get $b
    i32.eqz
    if (type $pair) (param i32 i32) (result i32 i32)
      drop
      drop
      i32.const 0
      i32.const 0
    else
      local.set $b
      local.set $a
      local.get $a
      local.get $b
      i32.div_u
      local.get $a
      local.get $b
      i32.rem_u
    end)
)
