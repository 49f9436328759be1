// Package wasmtime implements internal/engine on wasmtime through
// wasmtime-go (cgo). It is only compiled with the build tag "wasmtime";
// without it the package is empty and the default build stays pure Go.
// Importing it registers the engine as "wasmtime".
//
// Fuel is wasmtime's own (Config.SetConsumeFuel), memory limits are the
// store limiter's, and interrupts use epoch interruption. wasmtime-go v37
// exposes only the engine-wide epoch: incrementing it stops every running
// store whose deadline has passed, not one instance. This package therefore
// installs, through the wasmtime C API (wasmtime_store_epoch_deadline_callback,
// which wasmtime-go does not wrap), a per-store deadline callback that traps
// only when that instance's interrupt flag is set and otherwise extends the
// deadline by one epoch: Instance.Interrupt sets the flag and increments the
// epoch, and every other running instance continues. Instance.Yield sets a
// second bit the same way; the callback then calls InstanceConfig.OnYield
// through a cgo callback (yield.go) on the thread running the guest, which
// stays paused until it returns, and traps if an interrupt came meanwhile.
package wasmtime
