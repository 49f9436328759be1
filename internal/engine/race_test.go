//go:build race

package engine_test

// raceEnabled skips the slowest Go-guest tests under the race detector, which
// makes wazero compile a Go guest ten times slower; they test guest
// behaviour, which the race detector does not see.
const raceEnabled = true
