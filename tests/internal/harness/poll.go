package harness

import (
	"testing"
	"time"
)

// Eventually polls cond every 10 ms until it returns true or timeout passes,
// then fails with the last explanation cond gave. Tests synchronise with
// the servers only through this (or channels), never with fixed sleeps.
func Eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %s", timeout, why)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Within runs f and fails if it takes longer than limit; it returns f's duration.
func Within(t testing.TB, limit time.Duration, what string, f func()) time.Duration {
	t.Helper()
	start := time.Now()
	f()
	d := time.Since(start)
	if d > limit {
		t.Errorf("%s took %v, want at most %v", what, d.Round(time.Millisecond), limit)
	}
	return d
}
