;; manifest_export.wat: the same manifest and methods as manifest_ok.wat, but
;; delivered through the wactor_manifest export (() -> i64, packed pointer and
;; length) instead of a custom section (ABI section 5, second choice).
;;   {"abi": 1, "methods": [
;;     {"name": "get",  "params": [],             "returns": 1},
;;     {"name": "pair", "params": ["int", "int"], "returns": 2}]}
;;   get()      -> [0, 42]
;;   pair(a, b) -> [1, [1, 2]]   (arguments ignored)
(module
  (memory (export "memory") 1)
  (data (i32.const 0x100) "\82\00\18\2a")       ;; [0, 42]
  (data (i32.const 0x200) "\82\01\82\01\02")    ;; [1, [1, 2]]
  ;; the manifest: 78 (0x4e) bytes
  (data (i32.const 0x300) "\a2\63abi\01\67methods\82\a3\64name\63get\66params\80\67returns\01\a3\64name\64pair\66params\82\63int\63int\67returns\02")
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "wactor_manifest") (result i64)
    (i64.const 0x000003000000004e))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000010000000004))
  (func (export "pair") (param i32 i32) (result i64)
    (i64.const 0x0000020000000005)))
