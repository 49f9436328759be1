;; manifest_unknown.wat: a valid manifest (custom section wactor.manifest)
;;   {"abi": 1, "methods": [{"name": "missing", "params": []}]}
;; naming a method the module does not export.
;; Expected: load fails with ErrInvalidModule naming "missing".
(module
  (@custom "wactor.manifest" "\a2\63abi\01\67methods\81\a2\64name\67missing\66params\80")
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004)))
