package integration

import (
	"net"
	"syscall"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// SIGTERM: stop accepting, finish the request in flight, exit 0.
func TestSigtermFinishesInFlightRequest(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/hello", "v1.0.0")
	gate := make(chan struct{})
	e.up.Handle(`\.zip$`, upstream.Rule{Gate: gate})
	type result struct {
		r   *harness.Response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := e.p.Client().DoErr("GET", m.URLPath("zip"))
		done <- result{r, err}
	}()
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		return e.up.Count("/"+m.TreePath("zip")) == 1, "request not in flight yet"
	})

	e.p.Signal(syscall.SIGTERM)
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		c, err := net.DialTimeout("tcp", e.p.Addr, time.Second)
		if err == nil {
			c.Close()
			return false, "still accepting connections after SIGTERM"
		}
		return true, ""
	})
	if e.p.Exited() {
		t.Fatalf("exited before the in-flight request finished")
	}
	close(gate)
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("in-flight request failed: %v", res.err)
		}
		res.r.ExpectBody(t, e.f.Read(t, m.TreePath("zip")))
	case <-time.After(20 * time.Second):
		t.Fatal("in-flight request not answered within 20s of SIGTERM")
	}
	code, err := e.p.Wait(15 * time.Second)
	if err != nil || code != 0 {
		t.Errorf("after SIGTERM: exit code %d, %v; want 0", code, err)
	}
}
