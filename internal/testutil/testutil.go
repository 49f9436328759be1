// Package testutil holds the helpers that the tests of several packages
// share. Only tests import it.
package testutil

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, or fails the test after 10 s. Tests
// poll instead of sleeping a fixed time, and assert on what cond sees, never
// on how long it took.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}
