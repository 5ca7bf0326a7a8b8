package harness

import (
	"os"
	"testing"
)

// SkipRepeatedDifferential skips a test whose cost is mostly the go
// command's own work (direct-mode differentials, comparisons with x/mod)
// when MODPROXY_TEST_SKIP_DIFFERENTIAL=1. make test sets it for the
// ThreadSanitizer pass only: these tests run in full in the
// AddressSanitizer pass, their go-command half does not depend on how
// modproxy was built, and running them twice cost CI minutes it does not
// have. Direct mode's concurrency stays under ThreadSanitizer through the
// tests that do not call this.
func SkipRepeatedDifferential(t testing.TB) {
	t.Helper()
	if os.Getenv("MODPROXY_TEST_SKIP_DIFFERENTIAL") == "1" {
		t.Skip("MODPROXY_TEST_SKIP_DIFFERENTIAL=1: runs in the AddressSanitizer pass of make test")
	}
}
