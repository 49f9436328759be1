;; hostile_method_slash.wat: a method export named "a/b", which breaks the name
;; grammar (host.CheckName). Expected: LoadClass fails with ErrInvalidModule
;; naming the method name.
(module
  (memory (export "memory") 1)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "a/b") (param i32 i32) (result i64) (i64.const 0)))
