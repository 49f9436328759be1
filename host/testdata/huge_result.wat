;; huge_result.wat: get() returns a 32 MiB envelope that lies inside memory
;; (600 pages = 37.5 MiB), so the host's result-size limit (MaxResultBytes,
;; 16 MiB by default) is the only thing that rejects it.
;; Expected: *TrapError, reason abi. The bytes are a well-formed envelope
;; [0, h'00...'] (byte string of 33554425 zero bytes; 7-byte head + payload =
;; exactly 32 MiB), so with MaxResultBytes >= 32 MiB the call succeeds.
(module
  (memory (export "memory") 600)
  ;; at 0x10000: 0x82 0x00, then bytes(4-byte length 0x01fffff9)
  (data (i32.const 0x10000) "\82\00\5a\01\ff\ff\f9")
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0001000002000000)))
