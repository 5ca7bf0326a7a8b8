package harness

import (
	"net"
	"testing"

	"modproxy/tests/fixtures/upstream"
)

// Upstream starts a fixture upstream serving root (usually Fixture(t).Tree)
// and stops it when the test ends.
func Upstream(t testing.TB, root string) *upstream.Server {
	t.Helper()
	s, err := upstream.Start(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// RefusedURL is an http:// URL on 127.0.0.1 where nothing listens: the port
// was free a moment ago and is closed again, so connecting is refused.
func RefusedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}
