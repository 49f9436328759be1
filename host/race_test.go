//go:build race

package host

// raceEnabled: the race detector is on (its slowdown makes wall-clock
// bounds meaningless; see TestFairness_QuietActor).
const raceEnabled = true
