;; init_exit.wat: wactor_init calls wactor.exit and returns [0, null]; get -> [0, 42].
;; Expected: Spawn returns the handle of an actor that is already dead, reason
;; exited (its name released); calls to it fail with *ActorDiedError, exited.
(module
  (import "wactor" "exit" (func $exit))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\f6")                  ;; [0, null]
  (data (i32.const 0x200) "\82\00\18\2a")               ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_init") (param i32 i32) (result i64)
    (call $exit)
    (i64.const 0x0000010000000003))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000020000000004)))
