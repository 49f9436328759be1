;; Legacy exception handling (try/catch/catch_all/delegate/rethrow): only
;; checked by the walker tests, wazero does not run it by default.
(module
  (tag $e (param i32))
  (func $thrower (param i32) (local.get 0) (throw $e))
  (func (export "catcher") (param $n i32) (result i32)
    (local $acc i32)
    (loop $l
      (try
        (do (call $thrower (local.get $n)))
        (catch $e (local.set $acc (i32.add (local.get $acc))))
        (catch_all))
      (try
        (do
          (try (do (call $thrower (i32.const 1))) (delegate 0)))
        (catch_all (local.set $acc (i32.add (local.get $acc) (i32.const 1)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))
)
