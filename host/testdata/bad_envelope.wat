;; bad_envelope.wat: methods whose result envelopes do not decode or are not
;; envelopes (ABI sections 2-4). Expected for all but deep_ok: *TrapError,
;; reason abi. get() is the main case; the others are for finer host tests.
;; deep_ok() is the control: a valid [0, value] with 32 levels of nesting.
;; Envelopes live at 0x2000 and up, clear of the argument buffer at 1024.
;;   get()              4 bytes of garbage (0xff is a break code outside an indefinite item)
;;   not_array()        valid CBOR, but 1 is not an envelope array
;;   bad_kind()         [3, 1]: unknown envelope kind
;;   one_elem()         [0]: kind without a value
;;   short_error()      [2, "x"]: error without a message
;;   error_not_text()   [2, 1, 2]: error code and message not text
;;   multi_not_array()  [1, 5]: multi-value envelope whose values are not an array
;;   trailing()         [0, 1] followed by one extra byte
;;   truncated()        array(2) with only one item
;;   indefinite()       [_ 0, 1]: indefinite-length array (guests must use definite lengths)
;;   bad_utf8()         [0, text] where the text is not UTF-8
;;   reserved_tag()     [0, 51000(1)]: reserved tag 51000 (actor handle)
;;   huge_count()       [0, array(2^31-1)] with no items: a count far beyond the bytes present
;;   too_deep()         [0, [[...]]]: 33 nested arrays counting the envelope (limit 32)
;;   deep_ok()          [0, [[...]]]: 32 nested arrays counting the envelope (at the limit)
(module
  (memory (export "memory") 1)
  (data (i32.const 0x2000) "\ff\ff\ff\ff")
  (data (i32.const 0x2040) "\01")
  (data (i32.const 0x2080) "\82\03\01")
  (data (i32.const 0x20c0) "\81\00")
  (data (i32.const 0x2100) "\82\02\61\78")
  (data (i32.const 0x2140) "\83\02\01\02")
  (data (i32.const 0x2180) "\82\01\05")
  (data (i32.const 0x21c0) "\82\00\01\00")
  (data (i32.const 0x2200) "\82\00")
  (data (i32.const 0x2240) "\9f\00\01\ff")
  (data (i32.const 0x2280) "\82\00\61\ff")
  (data (i32.const 0x22c0) "\82\00\d9\c7\38\01")
  (data (i32.const 0x2300) "\82\00\9a\7f\ff\ff\ff")
  (data (i32.const 0x2340) "\82\00\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\80")
  (data (i32.const 0x2380) "\82\00\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\81\80")
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "get") (param i32 i32) (result i64)
    (i64.const 0x0000200000000004))
  (func (export "not_array") (param i32 i32) (result i64)
    (i64.const 0x0000204000000001))
  (func (export "bad_kind") (param i32 i32) (result i64)
    (i64.const 0x0000208000000003))
  (func (export "one_elem") (param i32 i32) (result i64)
    (i64.const 0x000020c000000002))
  (func (export "short_error") (param i32 i32) (result i64)
    (i64.const 0x0000210000000004))
  (func (export "error_not_text") (param i32 i32) (result i64)
    (i64.const 0x0000214000000004))
  (func (export "multi_not_array") (param i32 i32) (result i64)
    (i64.const 0x0000218000000003))
  (func (export "trailing") (param i32 i32) (result i64)
    (i64.const 0x000021c000000004))
  (func (export "truncated") (param i32 i32) (result i64)
    (i64.const 0x0000220000000002))
  (func (export "indefinite") (param i32 i32) (result i64)
    (i64.const 0x0000224000000004))
  (func (export "bad_utf8") (param i32 i32) (result i64)
    (i64.const 0x0000228000000004))
  (func (export "reserved_tag") (param i32 i32) (result i64)
    (i64.const 0x000022c000000006))
  (func (export "huge_count") (param i32 i32) (result i64)
    (i64.const 0x0000230000000007))
  (func (export "too_deep") (param i32 i32) (result i64)
    (i64.const 0x0000234000000022))
  (func (export "deep_ok") (param i32 i32) (result i64)
    (i64.const 0x0000238000000021)))
