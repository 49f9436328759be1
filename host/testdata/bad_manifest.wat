;; bad_manifest.wat: a custom section wactor.manifest holding invalid CBOR
;; (0xff is a break code outside an indefinite item).
;; Expected: load fails with ErrInvalidModule (manifest does not decode).
;; wabt 1.0.32 parses (@custom ...) but does not emit it; the fixtures make
;; rule appends it with wat_custom.py when wat2wasm did not.
(module
  (@custom "wactor.manifest" "\ff\fe\fd")
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004)))
