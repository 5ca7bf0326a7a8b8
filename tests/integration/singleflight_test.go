package integration

import (
	"bytes"
	"net/http/httptrace"
	"sync"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// N concurrent requests for the same missing file cause exactly one upstream
// request. The upstream holds its answer until all N requests are on the wire
// (and then trickles it), so the requests really overlap the fetch.
func TestSingleflight(t *testing.T) {
	f := harness.Fixture(t)
	for _, c := range []struct {
		name string
		mod  harness.Module
		ext  string
	}{
		{"zip", f.Module(t, "example.com/big", "v1.0.0"), "zip"},
		{"info", f.Module(t, "example.com/hello", "v1.1.0"), "info"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			const clients = 50
			gate := make(chan struct{})
			e.up.Handle("^/"+c.mod.TreePath(c.ext)+"$", upstream.Rule{Gate: gate, Trickle: 500 * time.Millisecond})

			var wrote, finished sync.WaitGroup
			wrote.Add(clients)
			finished.Add(clients)
			results := make([]*harness.Response, clients)
			errs := make([]error, clients)
			for i := 0; i < clients; i++ {
				go func(i int) {
					defer finished.Done()
					var once sync.Once
					req, err := e.p.Client().NewRequest("GET", c.mod.URLPath(c.ext))
					if err != nil {
						errs[i] = err
						once.Do(wrote.Done)
						return
					}
					trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(wrote.Done) }}
					req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
					results[i], errs[i] = e.p.Client().Send(req)
					once.Do(wrote.Done)
				}(i)
			}
			waitGroup(t, &wrote, 20*time.Second, "all clients sending their request")
			harness.Eventually(t, 10*time.Second, func() (bool, string) {
				return e.up.Count("/"+c.mod.TreePath(c.ext)) >= 1, "upstream not asked yet"
			})
			close(gate)
			waitGroup(t, &finished, 60*time.Second, "all clients getting an answer")

			want := e.f.Read(t, c.mod.TreePath(c.ext))
			for i := range results {
				switch {
				case errs[i] != nil:
					t.Errorf("client %d: %v", i, errs[i])
				case results[i].Status != 200:
					t.Errorf("client %d: %s", i, results[i])
				case c.ext == "zip" && !bytes.Equal(results[i].Body, want):
					t.Errorf("client %d: zip body differs (%d bytes, want %d)", i, len(results[i].Body), len(want))
				}
			}
			if n := e.up.Count("/" + c.mod.TreePath(c.ext)); n != 1 {
				t.Errorf("%d concurrent requests caused %d upstream requests, want exactly 1", clients, n)
			}
		})
	}
}

func waitGroup(t *testing.T, wg *sync.WaitGroup, timeout time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// A fetch stuck on a slow upstream never delays cache hits, even with one
// event loop and one fetch worker.
func TestSlowUpstreamDoesNotStallCacheHits(t *testing.T) {
	e := newEnv(t, "--threads", "1", "--fetch-workers", "1", "--upstream-timeout", "30s")
	cached := e.mod(t, "example.com/hello", "v1.0.0")
	slow := e.mod(t, "example.com/hello", "v1.1.0")
	e.p.Get(cached.URLPath("mod")).ExpectStatus(t, 200)

	gate := make(chan struct{})
	e.up.Handle("^/"+slow.TreePath("zip")+"$", upstream.Rule{Gate: gate})
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.p.Client().DoErr("GET", slow.URLPath("zip"))
	}()
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		return e.up.Count("/"+slow.TreePath("zip")) == 1, "slow fetch not started"
	})
	harness.Within(t, 2*time.Second, "20 cache hits during a stuck fetch", func() {
		for i := 0; i < 20; i++ {
			e.p.Get(cached.URLPath("mod")).ExpectBody(t, e.f.Read(t, cached.TreePath("mod")))
		}
	})
	e.p.Get("/healthz").ExpectStatus(t, 200)
	close(gate)
	<-done
}
