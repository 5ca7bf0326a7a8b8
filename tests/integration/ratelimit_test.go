package integration

// Rate limits (issue 6): token buckets per identity or client IP for
// requests and for upstream fetches, X-RateLimit-* and Retry-After,
// fairness between clients, X-Forwarded-For from trusted proxies only,
// per-class and per-identity limits from the config file, and
// max_fetches.

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// burst sends n sequential requests and returns the responses.
func burst(t *testing.T, c *hclient, n int, path string, header ...string) []*harness.Response {
	t.Helper()
	var out []*harness.Response
	for i := 0; i < n; i++ {
		out = append(out, c.mustGet(path, header...))
	}
	return out
}

func statuses(rs []*harness.Response) []int {
	var s []int
	for _, r := range rs {
		s = append(s, r.Status)
	}
	return s
}

func countStatus(rs []*harness.Response, status int) int {
	n := 0
	for _, r := range rs {
		if r.Status == status {
			n++
		}
	}
	return n
}

// expect429 checks a refusal: Retry-After within [1, maxRetry] seconds, the
// three X-RateLimit headers with the bucket size limit and nothing
// remaining, and a one-line body.
func expect429(t *testing.T, r *harness.Response, limit, maxRetry int) {
	t.Helper()
	if r.Status != http.StatusTooManyRequests {
		t.Errorf("want 429, got %s", r)
		return
	}
	if ra, ok := headerInt(r, "Retry-After"); !ok || ra < 1 || ra > maxRetry {
		t.Errorf("429: Retry-After %q, want whole seconds in [1, %d]", r.Header.Get("Retry-After"), maxRetry)
	}
	if l, ok := headerInt(r, "X-RateLimit-Limit"); !ok || l != limit {
		t.Errorf("429: X-RateLimit-Limit %q, want %d", r.Header.Get("X-RateLimit-Limit"), limit)
	}
	if rem, ok := headerInt(r, "X-RateLimit-Remaining"); !ok || rem != 0 {
		t.Errorf("429: X-RateLimit-Remaining %q, want 0", r.Header.Get("X-RateLimit-Remaining"))
	}
	if rs, ok := headerInt(r, "X-RateLimit-Reset"); !ok || rs < 1 {
		t.Errorf("429: X-RateLimit-Reset %q, want whole seconds >= 1", r.Header.Get("X-RateLimit-Reset"))
	}
	r.ExpectOneLineError(t)
}

// --rate-limit 2 --rate-burst 4: a quick burst of 10 gets 4 (one more at
// most, for timing) then 429s, with the headers counting down; a second
// later about 2 more get through. Health endpoints are not limited, and a
// proxy without limits sends no X-RateLimit headers.
func TestRateLimitBurst(t *testing.T) {
	e := newEnv(t, "--rate-limit", "2", "--rate-burst", "4")
	path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
	// Cached by another client (127.0.0.2 has its own bucket).
	newHTTPClient(t, e.p.URL, "127.0.0.2", nil).mustGet(path).ExpectStatus(t, http.StatusOK)

	c := newHTTPClient(t, e.p.URL, "127.0.0.1", nil)
	burstStart := time.Now()
	rs := burst(t, c, 10, path)
	burstEnd := time.Now()
	ok := countStatus(rs, 200)
	t.Logf("burst of 10: %v", statuses(rs))
	if ok < 4 || ok > 5 || countStatus(rs, 429) != 10-ok {
		t.Fatalf("burst of 10 with burst 4: %d x 200 (want 4, 5 at most), statuses %v", ok, statuses(rs))
	}
	for i := 0; i < 4; i++ {
		r := rs[i]
		if r.Status != 200 {
			t.Errorf("request %d of the burst: %s, want 200", i+1, r)
			continue
		}
		if l, ok := headerInt(r, "X-RateLimit-Limit"); !ok || l != 4 {
			t.Errorf("request %d: X-RateLimit-Limit %q, want 4", i+1, r.Header.Get("X-RateLimit-Limit"))
		}
		if rem, ok := headerInt(r, "X-RateLimit-Remaining"); !ok || rem < 3-i || rem > 4-i {
			t.Errorf("request %d: X-RateLimit-Remaining %q, want %d", i+1, r.Header.Get("X-RateLimit-Remaining"), 3-i)
		}
		// Time until full at 2/s after i+1 tokens taken: ceil((i+1)/2) s.
		if rs, ok := headerInt(r, "X-RateLimit-Reset"); !ok || rs < 1 || rs > 2 {
			t.Errorf("request %d: X-RateLimit-Reset %q, want 1 or 2", i+1, r.Header.Get("X-RateLimit-Reset"))
		}
	}
	for _, r := range rs[4:] {
		if r.Status != 200 { // one late 200 is the timing slack above
			expect429(t, r, 4, 2)
		}
	}

	// Not limited while the bucket is empty.
	for i := 0; i < 10; i++ {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			if r := c.mustGet(p); r.Status != 200 {
				t.Fatalf("%s with an empty bucket: %s, want 200 (not limited)", p, r)
			}
		}
	}

	// About a second later: 2/s refilled about 2 tokens. Bounds from the
	// clock, so a slow machine does not fail it: at least what refilled
	// since the burst ended, at most what refilled since it began (+1).
	time.Sleep(time.Until(burstEnd.Add(1100 * time.Millisecond)))
	laterStart := time.Now()
	later := burst(t, c, 5, path)
	laterEnd := time.Now()
	lo := int(2 * laterStart.Sub(burstEnd).Seconds())
	hi := int(2*laterEnd.Sub(burstStart).Seconds()) + 1
	if hi > 4 {
		hi = 4
	}
	if n := countStatus(later, 200); n < 2 || n < lo || n > hi {
		t.Errorf("%v after the burst at 2/s: %d x 200 of 5 (%v), want about 2 (between %d and %d by the clock)",
			laterStart.Sub(burstEnd).Round(time.Millisecond), n, statuses(later), lo, hi)
	}

	plain := newEnv(t)
	r := plain.p.Get(plain.mod(t, "example.com/hello", "v1.0.0").URLPath("info"))
	r.ExpectStatus(t, http.StatusOK)
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if v := r.Header.Get(h); v != "" {
			t.Errorf("no limits configured, yet %s: %s", h, v)
		}
	}
}

// --fetch-rate-limit: cache hits keep working while misses beyond the
// fetch budget get 429 without reaching the upstream.
func TestRateLimitFetchBudget(t *testing.T) {
	e := newEnv(t, "--fetch-rate-limit", "0.1", "--fetch-rate-burst", "2")
	a := e.mod(t, "example.com/hello", "v1.0.0")
	b := e.mod(t, "example.com/hello", "v1.1.0")
	c := e.mod(t, "github.com/pkg/errors", "v0.9.1")
	d := e.mod(t, "example.com/Upper", "v1.0.1-RC1")
	cl := newHTTPClient(t, e.p.URL, "127.0.0.1", nil)

	ra := cl.mustGet(a.URLPath("info"))
	ra.ExpectStatus(t, http.StatusOK)
	ra.ExpectCacheHitHeader(t, "false")
	// The fetch class is the limited one: a served miss carries its headers.
	if l, ok := headerInt(ra, "X-RateLimit-Limit"); !ok || l != 2 {
		t.Errorf("a served fetch: X-RateLimit-Limit %q, want 2 (the fetch bucket)", ra.Header.Get("X-RateLimit-Limit"))
	}
	if rem, ok := headerInt(ra, "X-RateLimit-Remaining"); !ok || rem != 1 {
		t.Errorf("a served fetch: X-RateLimit-Remaining %q, want 1", ra.Header.Get("X-RateLimit-Remaining"))
	}
	cl.mustGet(b.URLPath("info")).ExpectStatus(t, http.StatusOK)
	for _, m := range []harness.Module{c, d} {
		r := cl.mustGet(m.URLPath("info"))
		expect429(t, r, 2, 20)
		if n := e.up.Count("/" + m.TreePath("info")); n != 0 {
			t.Errorf("%s refused by the fetch budget, yet fetched upstream %d times", m.URLPath("info"), n)
		}
	}
	for i := 0; i < 20; i++ {
		for _, m := range []harness.Module{a, b} {
			r := cl.mustGet(m.URLPath("info"))
			if r.Status != 200 {
				t.Fatalf("cache hit %d with the fetch budget spent: %s", i, r)
			}
		}
	}
	// Another client has its own fetch budget.
	newHTTPClient(t, e.p.URL, "127.0.0.2", nil).mustGet(c.URLPath("info")).ExpectStatus(t, http.StatusOK)
	// And then it is a cache hit for everyone.
	cl.mustGet(c.URLPath("info")).ExpectStatus(t, http.StatusOK)
}

// latencyRun sends a request every 100 ms for d and returns latencies,
// transport errors and 429s.
func latencyRun(c *hclient, path string, d time.Duration) (lat []time.Duration, errs []string, limited int) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		<-tick.C
		start := time.Now()
		r, err := c.get(path)
		el := time.Since(start)
		switch {
		case err != nil:
			errs = append(errs, err.Error())
		case r.Status == 429:
			limited++
		case r.Status != 200:
			errs = append(errs, r.String())
		default:
			lat = append(lat, el)
		}
	}
	return
}

// One abusive client (32 goroutines from 127.0.0.2) does not hurt a
// well-behaved one (a request every 100 ms from 127.0.0.1): never a 429,
// p99 under 200 ms. The abuser is limited to about burst + rate x time.
func TestRateLimitFairness(t *testing.T) {
	e := newEnv(t, "--rate-limit", "20", "--rate-burst", "20")
	path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
	newHTTPClient(t, e.p.URL, "127.0.0.3", nil).mustGet(path).ExpectStatus(t, http.StatusOK)
	good := newHTTPClient(t, e.p.URL, "127.0.0.1", nil)

	alone, errsAlone, limAlone := latencyRun(good, path, 3*time.Second)

	abuser := newHTTPClient(t, e.p.URL, "127.0.0.2", nil)
	var ok, limited, other atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	abuseStart := time.Now()
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := abuser.get(path)
				switch {
				case err != nil:
					other.Add(1)
				case r.Status == 200:
					ok.Add(1)
				case r.Status == 429:
					limited.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	busy, errsBusy, limBusy := latencyRun(good, path, 3*time.Second)
	close(stop)
	wg.Wait()
	abuseFor := time.Since(abuseStart)

	t.Logf("well-behaved alone:        n=%d p50=%v p99=%v max=%v errors=%d 429=%d",
		len(alone), percentile(alone, .5), percentile(alone, .99), percentile(alone, 1), len(errsAlone), limAlone)
	t.Logf("well-behaved with abuser:  n=%d p50=%v p99=%v max=%v errors=%d 429=%d",
		len(busy), percentile(busy, .5), percentile(busy, .99), percentile(busy, 1), len(errsBusy), limBusy)
	t.Logf("abuser over %v: %d x 200, %d x 429, %d other", abuseFor.Round(time.Millisecond), ok.Load(), limited.Load(), other.Load())

	if limAlone+limBusy != 0 || len(errsAlone)+len(errsBusy) != 0 {
		t.Errorf("well-behaved client: %d x 429 and errors %q alone, %d x 429 and errors %q with the abuser; want none",
			limAlone, errsAlone, limBusy, errsBusy)
	}
	if len(busy) < 20 {
		t.Errorf("well-behaved client got only %d answers in 3 s", len(busy))
	}
	if p99 := percentile(busy, .99); p99 > 200*time.Millisecond {
		t.Errorf("well-behaved client's p99 with the abuser: %v, want under 200ms", p99)
	}
	if limited.Load() == 0 {
		t.Errorf("the abuser was never limited")
	}
	if max := int64(20 + 20*abuseFor.Seconds() + 5); ok.Load() > max {
		t.Errorf("the abuser got %d x 200 in %v, want at most %d (burst 20 + 20/s)", ok.Load(), abuseFor, max)
	}
	if other.Load() != 0 {
		t.Errorf("the abuser saw %d errors or statuses other than 200/429", other.Load())
	}
}

// X-Forwarded-For: believed only from --trusted-proxies; the right-most
// untrusted address is the key (and the access log's "client").
func TestRateLimitXForwardedFor(t *testing.T) {
	t.Run("trusted", func(t *testing.T) {
		e := newEnv(t, "--rate-limit", "0.1", "--rate-burst", "2", "--trusted-proxies", "127.0.0.1")
		path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
		newHTTPClient(t, e.p.URL, "127.0.0.3", nil).mustGet(path).ExpectStatus(t, http.StatusOK)
		c := newHTTPClient(t, e.p.URL, "127.0.0.1", nil)
		xff := func(v string) []string { return []string{"X-Forwarded-For", v} }

		rs := burst(t, c, 3, path, xff("203.0.113.7")...)
		if got := statuses(rs); got[0] != 200 || got[1] != 200 || got[2] != 429 {
			t.Fatalf("XFF 203.0.113.7 x3 with burst 2: %v, want [200 200 429]", got)
		}
		c.mustGet(path, xff("203.0.113.8")...).ExpectStatus(t, http.StatusOK)
		if r := c.mustGet(path, xff("198.51.100.1, 203.0.113.7")...); r.Status != 429 {
			t.Errorf("XFF \"198.51.100.1, 203.0.113.7\" (right-most is the spent 203.0.113.7): %s, want 429", r)
		}
		// Right-most is a trusted proxy: skipped, the next one counts.
		if r := c.mustGet(path, xff("203.0.113.9, 127.0.0.1")...); r.Status != 200 {
			t.Errorf("XFF \"203.0.113.9, 127.0.0.1\": %s, want 200 (a fresh bucket for 203.0.113.9)", r)
		}
		// The proxy's own address without XFF has its own bucket.
		c.mustGet(path).ExpectStatus(t, http.StatusOK)
		// An untrusted peer's XFF is ignored: 127.0.0.2 spends its own bucket.
		other := newHTTPClient(t, e.p.URL, "127.0.0.2", nil)
		got := statuses([]*harness.Response{other.mustGet(path, xff("192.0.2.1")...), other.mustGet(path, xff("192.0.2.2")...),
			other.mustGet(path, xff("192.0.2.3")...)})
		if got[2] != 429 {
			t.Errorf("untrusted peer 127.0.0.2 with three different XFF: %v, want the third refused", got)
		}

		clients := map[string]bool{}
		harness.Eventually(t, 5*time.Second, func() (bool, string) {
			clients = map[string]bool{}
			for _, l := range accessEntries(t, e.p) {
				if l.Client != nil {
					clients[*l.Client] = true
				}
			}
			return clients["203.0.113.7"] && clients["203.0.113.8"] && clients["203.0.113.9"] && clients["127.0.0.2"],
				fmt.Sprintf("access-log clients %v, want 203.0.113.7, .8, .9 and 127.0.0.2:\n%s", keys(clients), e.p.Stdout.String())
		})
		for _, bad := range []string{"192.0.2.1", "192.0.2.2", "198.51.100.1"} {
			if clients[bad] {
				t.Errorf("access log names client %s, an untrusted or non-right-most XFF address", bad)
			}
		}
	})
	t.Run("no trusted proxies", func(t *testing.T) {
		e := newEnv(t, "--rate-limit", "0.1", "--rate-burst", "2")
		path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
		newHTTPClient(t, e.p.URL, "127.0.0.3", nil).mustGet(path).ExpectStatus(t, http.StatusOK)
		c := newHTTPClient(t, e.p.URL, "127.0.0.1", nil)
		got := statuses([]*harness.Response{c.mustGet(path, "X-Forwarded-For", "203.0.113.7"),
			c.mustGet(path, "X-Forwarded-For", "203.0.113.8"), c.mustGet(path, "X-Forwarded-For", "203.0.113.9")})
		if got[0] != 200 || got[1] != 200 || got[2] != 429 {
			t.Errorf("three XFF values without trusted proxies: %v, want [200 200 429] (one bucket, 127.0.0.1)", got)
		}
		for _, l := range accessEntries(t, e.p) {
			if l.Client == nil {
				t.Errorf("access-log line without \"client\": %s", l.raw)
			} else if strings.HasPrefix(*l.Client, "203.") {
				t.Errorf("access log believed X-Forwarded-For without trusted proxies: %s", l.raw)
			}
		}
	})
}

func keys(m map[string]bool) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// Config file: anonymous, [limits.authenticated] and a [[limits.identity]]
// override each get their own bucket size, keyed by identity (not IP).
func TestRateLimitPerIdentityOverride(t *testing.T) {
	alice, fleet := newToken(), newToken()
	dir := t.TempDir()
	auth := writeFile(t, dir, "auth.toml", `
[[identity]]
name = "alice"
secrets = ["`+tokenHash(alice)+`"]

[[identity]]
name = "ci-fleet"
secrets = ["`+tokenHash(fleet)+`"]
`)
	cfg := writeFile(t, dir, "modproxy.toml", fmt.Sprintf(`
rate_limit = 0.1
rate_burst = 1
auth_file = %q
allow_anonymous = true

[limits.authenticated]
rate = 0.1
burst = 3

[[limits.identity]]
name = "ci-fleet"
rate = 0.1
burst = 7
`, auth))
	e := newEnv(t, "--config", cfg)
	path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
	newHTTPClient(t, e.p.URL, "127.0.0.3", nil).mustGet(path).ExpectStatus(t, http.StatusOK)
	c := newHTTPClient(t, e.p.URL, "127.0.0.1", nil)

	for _, k := range []struct {
		who    string
		header []string
		burst  int
	}{
		{"anonymous", nil, 1},
		{"alice", bearer(alice), 3},
		{"ci-fleet", bearer(fleet), 7},
	} {
		rs := burst(t, c, k.burst+3, path, k.header...)
		if n := countStatus(rs, 200); n != k.burst {
			t.Errorf("%s: %d x 200 in a burst of %d, want %d: %v", k.who, n, k.burst+3, k.burst, statuses(rs))
		}
		if l, ok := headerInt(rs[0], "X-RateLimit-Limit"); !ok || l != k.burst {
			t.Errorf("%s: X-RateLimit-Limit %q, want %d", k.who, rs[0].Header.Get("X-RateLimit-Limit"), k.burst)
		}
		expect429(t, rs[len(rs)-1], k.burst, 20)
	}
	// The bucket is the identity's, whatever the address.
	if r := newHTTPClient(t, e.p.URL, "127.0.0.2", nil).mustGet(path, bearer(fleet)...); r.Status != 429 {
		t.Errorf("ci-fleet from another address after spending its bucket: %s, want 429", r)
	}
}

// --max-fetches-per-client 1: while one fetch of a client hangs, its next
// cache miss is refused with 429 and Retry-After: 1; hits still work; once
// the fetch is done, misses work again.
func TestRateLimitMaxFetchesPerClient(t *testing.T) {
	e := newEnv(t, "--max-fetches-per-client", "1")
	slow := e.mod(t, "example.com/hello", "v1.0.0")
	next := e.mod(t, "example.com/hello", "v1.1.0")
	hit := e.mod(t, "github.com/pkg/errors", "v0.9.1")
	c := newHTTPClient(t, e.p.URL, "127.0.0.1", nil)
	c.mustGet(hit.URLPath("info")).ExpectStatus(t, http.StatusOK)

	gate := make(chan struct{})
	e.up.Handle("^/"+slow.TreePath("info")+"$", upstream.Rule{Gate: gate})
	done := make(chan *harness.Response, 1)
	go func() {
		r, err := newHTTPClient(t, e.p.URL, "127.0.0.1", nil).get(slow.URLPath("info"))
		if err != nil {
			t.Errorf("the held fetch: %v", err)
		}
		done <- r
	}()
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		return e.up.Count("/"+slow.TreePath("info")) == 1, "the held fetch did not reach the upstream"
	})
	r := c.mustGet(next.URLPath("info"))
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "1" {
		t.Errorf("a second concurrent fetch with --max-fetches-per-client 1: %s, want 429 with Retry-After: 1", r)
	}
	c.mustGet(hit.URLPath("info")).ExpectStatus(t, http.StatusOK)
	// Another client may fetch.
	newHTTPClient(t, e.p.URL, "127.0.0.2", nil).mustGet(hit.URLPath("mod")).ExpectStatus(t, http.StatusOK)
	close(gate)
	select {
	case r := <-done:
		if r == nil || r.Status != 200 {
			t.Errorf("the held fetch: %v, want 200", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the held fetch did not finish")
	}
	// The slot is given back just after the answer is written, so the very
	// next request may still race it: allow it a moment.
	harness.Eventually(t, 5*time.Second, func() (bool, string) {
		r := c.mustGet(next.URLPath("info"))
		return r.Status == http.StatusOK, "a miss after the held fetch finished: " + r.String()
	})
}
