;; Neither a global nor an export section: both must be created, in order,
;; before the code section.
(module
  (type (func))
  (func $f (loop $l (br_if $l (i32.const 0))))
  (func $g (call $f))
)
