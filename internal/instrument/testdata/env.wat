;; Provides the globals that imported_globals.wat imports (module "env").
(module
  (global (export "g_mut") (mut i32) (i32.const 100))
  (global (export "g_imm") i64 (i64.const 5))
)
