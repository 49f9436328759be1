package engine_test

// The wazero engine is in every build.
import _ "github.com/wactor/wactor/internal/engine/wazero"
