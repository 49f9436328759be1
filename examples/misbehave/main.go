//go:build wasip1

// Command misbehave is an actor class for containment tests: it loops
// forever, exhausts memory, panics, exits and logs on request, and echoes
// values and its actor ID back.
package main

import (
	"os"

	wactor "github.com/wactor/wactor/guest-sdk/go"
)

func init() { wactor.SetClass("misbehave", "Misbehaves on request, for containment tests.") }

// The constructor's mode is optional: "trap" makes the constructor panic.
var _ = wactor.Init1(func(mode string) error {
	if mode == "trap" {
		panic("constructor failed")
	}
	return nil
}).MinArgs(0).Doc(`mode "trap" panics in the constructor; anything else (or nothing) is fine.`)

var ok = wactor.Method0("ok", func() (string, error) {
	return "ok", nil
}).Doc(`Returns "ok".`)

// spins is a package variable updated in the loop, so the loop has an
// observable effect and cannot be removed or folded.
var spins int64

var spin = wactor.Method0("spin", func() (int64, error) {
	for spins >= 0 { // false only after 2^63 iterations
		spins++
	}
	return spins, nil
}).Doc("Loops forever.")

// held keeps every block bomb allocated live.
var held [][]byte

const mib = 1 << 20

var bomb = wactor.Method1("bomb", func(n int64) (int64, error) {
	if n < 0 {
		return 0, wactor.NewError("invalid_amount", "bomb needs n >= 0")
	}
	for range n {
		b := make([]byte, mib)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // touch every page
		}
		held = append(held, b)
	}
	return int64(len(held)), nil
}).Doc("Allocates and touches n more MiB, kept live; returns the MiB held in total.")

var crash = wactor.Method0("crash", func() (int64, error) {
	panic("boom")
}).Doc(`Panics with "boom" (a trap).`)

var exit = wactor.Method0("exit", func() (string, error) {
	wactor.Exit()
	return "bye", nil
}).Doc(`Asks the host to end the actor after this call, which returns "bye".`)

var logMsg = wactor.Method1("log", func(msg string) (bool, error) {
	wactor.Log(wactor.LevelInfo, msg)
	os.Stderr.WriteString(msg + "\n")
	return true, nil
}).Doc("Logs msg at level info and prints it to stderr.")

var echo = wactor.Method1("echo", func(x any) (any, error) {
	return x, nil
}).Doc("Returns its argument.")

var whoami = wactor.Method0("whoami", func() (string, error) {
	return wactor.SelfID(), nil
}).Doc("Returns the actor's ID (wactor.SelfID).")

var random = wactor.Method0("random", func() (int64, error) {
	return wactor.Rand().Int64(), nil
}).Doc("Returns the next number of the actor's random generator (wactor.Rand).")

//go:wasmexport random
func randomExport(ptr, size uint32) uint64 { return random.Call(ptr, size) }

//go:wasmexport ok
func okExport(ptr, size uint32) uint64 { return ok.Call(ptr, size) }

//go:wasmexport spin
func spinExport(ptr, size uint32) uint64 { return spin.Call(ptr, size) }

//go:wasmexport bomb
func bombExport(ptr, size uint32) uint64 { return bomb.Call(ptr, size) }

//go:wasmexport crash
func crashExport(ptr, size uint32) uint64 { return crash.Call(ptr, size) }

//go:wasmexport exit
func exitExport(ptr, size uint32) uint64 { return exit.Call(ptr, size) }

//go:wasmexport log
func logExport(ptr, size uint32) uint64 { return logMsg.Call(ptr, size) }

//go:wasmexport echo
func echoExport(ptr, size uint32) uint64 { return echo.Call(ptr, size) }

//go:wasmexport whoami
func whoamiExport(ptr, size uint32) uint64 { return whoami.Call(ptr, size) }

func main() {}
