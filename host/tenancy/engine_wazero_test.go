//go:build !wasmtime

package tenancy

import "github.com/wactor/wactor/host/sandbox"

const buildTestEngine = sandbox.EngineWazero
