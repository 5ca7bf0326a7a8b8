package gitserver

import (
	"os"
	"sync"
	"testing"
)

var (
	sharedOnce sync.Once
	shared     *Server
	sharedDir  string
	sharedErr  error
)

// Shared returns the test binary's one server over the standard set, built
// on first use (about a second). Tests must not change what other tests see
// except through their own paths (SetImport for a root of their own,
// Remove of the "vanish" repository). Call Cleanup from TestMain.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "modproxy-gitserver-")
		if sharedErr != nil {
			return
		}
		var set *Set
		if set, sharedErr = Build(sharedDir); sharedErr != nil {
			return
		}
		shared, sharedErr = Start(set)
	})
	if sharedErr != nil {
		t.Fatalf("gitserver: %v", sharedErr)
	}
	return shared
}

// Cleanup stops the shared server and removes its repositories, if any.
func Cleanup() {
	if shared != nil {
		shared.Close()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
}
