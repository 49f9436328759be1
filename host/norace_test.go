//go:build !race

package host

// raceEnabled: the race detector is off.
const raceEnabled = false
