;; manifest_ok.wat: a valid manifest in the custom section wactor.manifest
;;   {"abi": 1, "methods": [
;;     {"name": "get",  "params": [],             "returns": 1},
;;     {"name": "pair", "params": ["int", "int"], "returns": 2}]}
;;   get()      -> [0, 42]
;;   pair(a, b) -> [1, [1, 2]]   (arguments ignored)
;; Tests: arity checks (ErrArity for get(1) or pair(1)) and the default
;; number of return values (pair fills 2 futures with 1 and 2).
(module
  (@custom "wactor.manifest" "\a2\63abi\01\67methods\82\a3\64name\63get\66params\80\67returns\01\a3\64name\64pair\66params\82\63int\63int\67returns\02")
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (data (i32.const 0x200) "\82\01\82\01\02")    ;; [1, [1, 2]]
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004))
  (func (export "pair") (param i32 i32) (result i64)
    (i64.const 0x0000020000000005)))
