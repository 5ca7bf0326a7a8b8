package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// /sumdb/<name>/supported is answered locally for the configured name only.
func TestSumdbSupported(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	name := f.Manifest.Sumdb.Name
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: f.Manifest.Sumdb.VKey})
	r := p.Get("/sumdb/" + name + "/supported")
	r.ExpectStatus(t, 200)
	r.ExpectCacheHitHeader(t, "")
	other := p.Get("/sumdb/sum.other.example/supported")
	if other.Status != 404 {
		t.Errorf("other database: want 404, got %s", other)
	}
	other.ExpectCacheHitHeader(t, "")
	if other := p.Get("/sumdb/sum.other.example/lookup/example.com/hello@v1.0.0"); other.Status != 404 {
		t.Errorf("lookup in another database: want 404, got %s", other)
	}
	if n := up.CountMatching(`^/sumdb/`); n != 0 {
		t.Errorf("supported/other-name requests reached the upstream %d times", n)
	}
}

// Without a URL in --sumdb, lookups and tiles go to <first upstream>/sumdb/<name>/
// and are cached on disk under sumdb/<name>/.
func TestSumdbForwardedToUpstreamAndCached(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := f.Manifest.Sumdb
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey})
	upper := f.Module(t, "example.com/Upper", "v1.0.0")
	tile := fmt.Sprintf("tile/8/0/000.p/%d", db.TreeSize)
	for _, rel := range []string{"lookup/example.com/hello@v1.0.0", "lookup/" + upper.EscPath + "@" + upper.EscVersion, tile} {
		want := f.Read(t, "sumdb/"+db.Name+"/"+rel)
		urlPath := "/sumdb/" + db.Name + "/" + strings.ReplaceAll(rel, "!", "%21")
		r := p.Get(urlPath)
		r.ExpectBody(t, want)
		r.ExpectCacheHitHeader(t, "false")
		again := p.Get(urlPath)
		again.ExpectBody(t, want)
		again.ExpectCacheHitHeader(t, "true")
		if n := up.Count("/sumdb/" + db.Name + "/" + rel); n != 1 {
			t.Errorf("upstream got %d requests for %s, want 1", n, rel)
		}
		if got := harness.ReadCache(p.CacheDir, "sumdb/"+db.Name+"/"+rel); string(got) != string(want) {
			t.Errorf("cache file sumdb/%s/%s: %d bytes, want the %d upstream bytes", db.Name, rel, len(got), len(want))
		}
	}
	nf := p.Get("/sumdb/" + db.Name + "/lookup/example.com/missing@v1.0.0")
	if nf.Status != 404 && nf.Status != 410 {
		t.Errorf("lookup of an unknown module: want 404/410, got %s", nf)
	}
	nf.ExpectCacheHitHeader(t, "")
	harness.ExpectLayout(t, p.CacheDir)
}

// With a URL in --sumdb, requests go there, not to the upstream proxy.
func TestSumdbForwardedToExplicitURL(t *testing.T) {
	f := harness.Fixture(t)
	db := f.Manifest.Sumdb
	up := harness.Upstream(t, f.Tree)
	direct := harness.Upstream(t, f.Tree+"/sumdb/"+db.Name) // serves /lookup/... at its root
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey + " " + direct.URL})
	rel := "lookup/example.com/hello@v1.1.0"
	p.Get("/sumdb/"+db.Name+"/"+rel).ExpectBody(t, f.Read(t, "sumdb/"+db.Name+"/"+rel))
	if direct.Count("/"+rel) != 1 || up.Total() != 0 {
		t.Errorf("database URL got %d, upstream proxy %d requests; want 1 and 0", direct.Count("/"+rel), up.Total())
	}
}

// /latest is refreshed after --list-ttl and served stale when the refresh fails.
func TestSumdbLatestRefreshAndStale(t *testing.T) {
	f := harness.Fixture(t)
	db := f.Manifest.Sumdb
	up := harness.Upstream(t, f.Tree)
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey, Args: []string{"--list-ttl", "200ms", "--upstream-timeout", "1s"}})
	latest := "/sumdb/" + db.Name + "/latest"
	p.Get(latest).ExpectBody(t, f.Read(t, "sumdb/"+db.Name+"/latest"))

	// A newer signed tree head appears upstream (the body need not verify here).
	newer := []byte("go.sum database tree\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— " + db.Name + " placeholder\n")
	remove := up.Handle("^"+latest+"$", upstream.Rule{Fault: upstream.Body, Body: newer})
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := p.Get(latest)
		return r.Status == 200 && string(r.Body) == string(newer), fmt.Sprintf("latest not refreshed: %s", r)
	})

	// Add the failure before dropping the newer head, so no refresh can see the old file.
	before := up.Count(latest)
	up.Handle("^"+latest+"$", upstream.Rule{Fault: upstream.Status, Status: 500, Body: []byte("boom")})
	remove()
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := p.Get(latest)
		if r.Status != 200 || string(r.Body) != string(newer) {
			t.Fatalf("latest with a failing upstream: want the stale copy, got %s", r)
		}
		return up.Count(latest) > before, "no refresh attempt after the TTL"
	})
	up.Close()
	if r := p.Get(latest); r.Status != 200 || string(r.Body) != string(newer) {
		t.Errorf("latest with the upstream gone: want the stale copy, got %s", r)
	}
}

// Several databases in one --sumdb: each is supported and reaches its own
// source (the upstream proxy, or its URL); names not listed stay 404.
func TestSeveralSumdbs(t *testing.T) {
	f := harness.Fixture(t)
	db := f.Manifest.Sumdb
	up := harness.Upstream(t, f.Tree)
	second := harness.Upstream(t, f.Tree+"/sumdb/"+db.Name) // a copy of the same log at its root
	p := harness.Start(t, harness.Options{Upstream: up.URL,
		Sumdb: db.VKey + ", sum.second.example " + second.URL})
	for _, name := range []string{db.Name, "sum.second.example"} {
		p.Get("/sumdb/"+name+"/supported").ExpectStatus(t, 200)
	}
	if r := p.Get("/sumdb/sum.third.example/supported"); r.Status != 404 {
		t.Errorf("unlisted database: want 404, got %s", r)
	}
	rel := "lookup/example.com/hello@v1.0.0"
	want := f.Read(t, "sumdb/"+db.Name+"/"+rel)
	p.Get("/sumdb/"+db.Name+"/"+rel).ExpectBody(t, want)
	p.Get("/sumdb/sum.second.example/"+rel).ExpectBody(t, want)
	if up.Count("/sumdb/"+db.Name+"/"+rel) != 1 || second.Count("/"+rel) != 1 {
		t.Errorf("want one request each: upstream proxy %d, second database %d",
			up.Count("/sumdb/"+db.Name+"/"+rel), second.Count("/"+rel))
	}
	if harness.ReadCache(p.CacheDir, "sumdb/sum.second.example/"+rel) == nil {
		t.Errorf("second database's lookup not cached under its own name")
	}
}

// A hash tile whose size does not match its path (W hashes of 32 bytes) is a
// broken answer: 502, nothing cached, and the real tile is served once the
// database behaves.
func TestSumdbTileOfTheWrongSizeIsRefused(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := f.Manifest.Sumdb
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey})
	rel := fmt.Sprintf("tile/8/0/000.p/%d", db.TreeSize)
	up.Handle(`/tile/`, upstream.Rule{Fault: upstream.Body, Body: []byte("short"), ContentType: "application/octet-stream"})
	r := p.Get("/sumdb/" + db.Name + "/" + rel)
	if r.Status != 502 {
		t.Fatalf("want 502 for a 5-byte tile, got %s", r)
	}
	r.ExpectOneLineError(t)
	harness.ExpectNoFile(t, p.CacheDir, "sumdb/"+db.Name+"/"+rel)
	up.ClearRules()
	p.Get("/sumdb/"+db.Name+"/"+rel).ExpectBody(t, f.Read(t, "sumdb/"+db.Name+"/"+rel))
}
