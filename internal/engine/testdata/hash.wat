;; hash.wat: a loop-heavy guest with a realistic inner loop for
;; BenchmarkEngine_Hash: FNV-1a over 64-bit words of a 64 KiB buffer, n
;; words (wrapping), as a checksum or hash table would run. Rebuild
;; hash.wasm with: wat2wasm hash.wat -o hash.wasm
(module
  (memory (export "memory") 1)
  (func (export "wactor_abi_version") (result i32) (i32.const 1))
  (func (export "wactor_alloc") (param i32) (result i32) (i32.const 1024))

  ;; fill writes a pseudo-random pattern into the buffer.
  (func (export "fill")
    (local $i i32) (local $x i64)
    (local.set $x (i64.const 0x9e3779b97f4a7c15))
    (loop $next
      (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005)) (i64.const 1442695040888963407)))
      (i64.store (local.get $i) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 65536)))))

  ;; fnv hashes n 64-bit words: one load, xor, multiply and rotate per word.
  (func (export "fnv") (param $n i64) (result i64)
    (local $i i64) (local $h i64)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $h
          (i64.rotl
            (i64.mul
              (i64.xor (local.get $h)
                (i64.load (i32.and (i32.wrap_i64 (i64.shl (local.get $i) (i64.const 3))) (i32.const 65528))))
              (i64.const 0x100000001b3))
            (i64.const 5)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.get $h)))
