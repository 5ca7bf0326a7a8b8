package integration

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

const helloList = "/example.com/hello/@v/list"

// Within --list-ttl the list comes from the cache even if the upstream changed.
func TestListIsCachedWithinTTL(t *testing.T) {
	e := newEnv(t, "--list-ttl", "1h")
	first := e.p.Get(helloList)
	first.ExpectStatus(t, 200)
	e.up.Handle(`/@v/list$`, upstream.Rule{Fault: upstream.Body, Body: []byte("v1.0.0\nv1.1.0\nv1.2.0-rc.1\nv9.0.0\n")})
	second := e.p.Get(helloList)
	second.ExpectStatus(t, 200)
	second.ExpectCacheHitHeader(t, "true")
	if !reflect.DeepEqual(versions(second.Body), versions(first.Body)) {
		t.Errorf("list changed within the TTL: %q -> %q", first.Body, second.Body)
	}
	if n := e.up.Count(helloList); n != 1 {
		t.Errorf("upstream list fetched %d times within the TTL, want 1", n)
	}
}

// After --list-ttl the upstream list is fetched again and merged with the
// versions whose .info is cached; a version only the old list had is gone.
func TestListRefreshAfterTTLMergesCachedVersions(t *testing.T) {
	e := newEnv(t, "--list-ttl", "200ms")
	e.p.Get(helloList).ExpectStatus(t, 200)
	e.p.Get(e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")).ExpectStatus(t, 200)

	// The upstream forgot v1.0.0 and v1.2.0-rc.1 and learnt v1.3.0.
	e.up.Handle(`^/example.com/hello/@v/list$`, upstream.Rule{Fault: upstream.Body, Body: []byte("v1.1.0\nv1.3.0\n")})
	var got []string
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := e.p.Get(helloList)
		got = versions(r.Body)
		return r.Status == 200 && contains(got, "v1.3.0"),
			fmt.Sprintf("list = %v (status %d), never picked up v1.3.0 from the upstream; upstream list requests: %d",
				got, r.Status, e.up.Count(helloList))
	})
	// v1.0.0 stays (its .info is cached); v1.2.0-rc.1 was only in the old list
	// and has no cached .info, so it goes.
	want := sorted("v1.0.0", "v1.1.0", "v1.3.0")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("refreshed list = %v, want %v (upstream list v1.1.0 v1.3.0 + cached .info v1.0.0)", got, want)
	}
	if got := versions(harness.ReadCache(e.p.CacheDir, "example.com/hello/@v/list")); !reflect.DeepEqual(got, want) {
		t.Errorf("cached list file = %v, want %v", got, want)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// When the refresh fails, the old list is served (stale) and a line is logged.
func TestStaleListServedWhenUpstreamFails(t *testing.T) {
	e := newEnv(t, "--list-ttl", "200ms", "--upstream-timeout", "1s")
	first := e.p.Get(helloList)
	first.ExpectStatus(t, 200)
	logBefore := len(e.p.Stderr.Lines())

	e.up.Handle(`/@v/list$`, upstream.Rule{Fault: upstream.Status, Status: 500, Body: []byte("boom")})
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := e.p.Get(helloList)
		if r.Status != 200 || !reflect.DeepEqual(versions(r.Body), versions(first.Body)) {
			t.Fatalf("with a failing upstream after the TTL: want the stale list, got %s", r)
		}
		n := e.up.Count(helloList)
		return n >= 2, fmt.Sprintf("upstream list requests %d, want a refresh attempt after the TTL", n)
	})
	// After the failed refresh it must still be the stale list.
	if r := e.p.Get(helloList); r.Status != 200 || !reflect.DeepEqual(versions(r.Body), versions(first.Body)) {
		t.Errorf("after a failed refresh: want the stale list, got %s", r)
	}

	harness.Eventually(t, 5*time.Second, func() (bool, string) {
		for _, l := range e.p.Stderr.Lines()[logBefore:] {
			if strings.Contains(l, "example.com/hello") {
				return true, ""
			}
		}
		return false, "no log line naming example.com/hello after serving a stale list; stderr:\n" +
			strings.Join(e.p.Stderr.Lines()[logBefore:], "\n")
	})

	// Same when the upstream is gone altogether.
	e.up.Close()
	before := e.p.Get(helloList)
	if before.Status != 200 || !reflect.DeepEqual(versions(before.Body), versions(first.Body)) {
		t.Errorf("upstream down: want the stale list, got %s", before)
	}
}

// @latest follows the list TTL too and is served stale.
func TestLatestStaleWhenUpstreamFails(t *testing.T) {
	e := newEnv(t, "--list-ttl", "200ms", "--upstream-timeout", "1s")
	e.p.Get("/example.com/hello/@latest").ExpectStatus(t, 200)
	e.up.Handle(`/@latest$`, upstream.Rule{Fault: upstream.Status, Status: 502, Body: []byte("bad gateway")})
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := e.p.Get("/example.com/hello/@latest")
		if r.Status != 200 {
			t.Fatalf("@latest with failing upstream after TTL: want stale 200, got %s", r)
		}
		n := e.up.Count("/example.com/hello/@latest")
		return n >= 2, fmt.Sprintf("upstream @latest requests %d, want a refresh after the TTL", n)
	})
}

// An upstream 404/410 is remembered for --negative-ttl: no second upstream
// request, even though the upstream has the file by now.
func TestNegativeAnswersAreCachedForNegativeTTL(t *testing.T) {
	for _, status := range []int{404, 410} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			e := newEnv(t, "--negative-ttl", "1h")
			m := e.mod(t, "example.com/hello", "v1.1.0")
			remove := e.up.Handle(`\.info$`, upstream.Rule{Fault: upstream.Status, Status: status, Body: []byte("not yet")})
			if r := e.p.Get(m.URLPath("info")); r.Status != status {
				t.Fatalf("want %d, got %s", status, r)
			}
			remove()
			if r := e.p.Get(m.URLPath("info")); r.Status != status {
				t.Errorf("within the negative TTL: want the remembered %d, got %s", status, r)
			}
			if n := e.up.Count("/" + m.TreePath("info")); n != 1 {
				t.Errorf("upstream asked %d times, want 1", n)
			}
		})
	}
}

// After --negative-ttl the upstream is asked again.
func TestNegativeAnswersExpire(t *testing.T) {
	e := newEnv(t, "--negative-ttl", "200ms")
	m := e.mod(t, "example.com/hello", "v1.1.0")
	remove := e.up.Handle(`\.info$`, upstream.Rule{Fault: upstream.Status, Status: 404, Body: []byte("not yet")})
	e.p.Get(m.URLPath("info")).ExpectStatus(t, 404)
	remove()
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := e.p.Get(m.URLPath("info"))
		return r.Status == 200, fmt.Sprintf("still %d after the negative TTL", r.Status)
	})
}

// Disable-Module-Fetch: true answers from the cache only.
func TestDisableModuleFetch(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/hello", "v1.0.0")
	const h = "Disable-Module-Fetch"
	for _, path := range []string{m.URLPath("info"), m.URLPath("mod"), m.URLPath("zip"), helloList, "/example.com/hello/@latest"} {
		r := e.p.Get(path, h, "true")
		if r.Status != 404 {
			t.Errorf("not cached, %s: true: want 404, got %s", h, r)
		}
		r.ExpectCacheHitHeader(t, "")
	}
	if n := e.up.Total(); n != 0 {
		t.Errorf("upstream contacted %d times despite %s", n, h)
	}
	for _, path := range []string{m.URLPath("info"), m.URLPath("zip"), helloList} {
		e.p.Get(path).ExpectStatus(t, 200)
		r := e.p.Get(path, h, "true")
		r.ExpectStatus(t, 200)
		r.ExpectCacheHitHeader(t, "true")
	}
	e.p.Get(m.URLPath("zip"), h, "true").ExpectBody(t, e.f.Read(t, m.TreePath("zip")))
}
