package integration

// Verification on fetch (issue 4): every module version modproxy fetches is
// checked against the zip rules and the checksum database before it is
// cached or served. These tests make the upstream or the database (tests/
// fixtures/sumdb and its /_control endpoint) lie, one way at a time.

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
	"modproxy/tests/internal/ziptest"
)

// Every fixture version passes verification: .mod and .zip are served byte
// for byte, cached, served again as hits, and each was looked up in the
// database (so verification really happened).
func TestIntegrityGoodModulesVerifiedAndCached(t *testing.T) {
	v := newVerifying(t, nil)
	for _, m := range v.f.Manifest.Modules {
		for _, ext := range []string{"mod", "zip"} {
			want := v.f.Read(t, m.TreePath(ext))
			r := v.p.Get(m.URLPath(ext))
			r.ExpectBody(t, want)
			r.ExpectCacheHitHeader(t, "false")
			if got := harness.ReadCache(v.p.CacheDir, m.TreePath(ext)); string(got) != string(want) {
				t.Errorf("%s: cache holds %d bytes, want the %d verified bytes", m.TreePath(ext), len(got), len(want))
			}
			again := v.p.Get(m.URLPath(ext))
			again.ExpectBody(t, want)
			again.ExpectCacheHitHeader(t, "true")
		}
		if got := v.db.RequestsContaining(t, "/lookup/"+m.EscPath+"@"+m.EscVersion); len(got) == 0 {
			t.Errorf("%s@%s served without a lookup in the checksum database (it got %v)", m.Path, m.Version, v.db.Requests(t))
		}
	}
	for _, reason := range []string{"checksum_mismatch", "sumdb_misbehaviour", "zip_rules"} {
		for _, ep := range []string{"mod", "zip"} {
			if n := integrityFailures(t, v.p, ep, reason); n != 0 {
				t.Errorf("integrity failures {%s,%s} = %v after good modules", ep, reason, n)
			}
		}
	}
	harness.ExpectLayout(t, v.p.CacheDir)
}

// With only a key in --sumdb the database is reached through the first
// upstream's /sumdb/<name>/ (here the fixture tree's static snapshot).
func TestIntegrityGoodModulesViaUpstreamSumdb(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := f.Manifest.Sumdb
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey})
	for _, m := range []harness.Module{f.Module(t, "example.com/hello", "v1.0.0"),
		f.Module(t, "example.com/Upper", "v1.0.1-RC1"), f.Module(t, "example.com/legacy", "v2.0.0+incompatible")} {
		p.Get(m.URLPath("mod")).ExpectBody(t, f.Read(t, m.TreePath("mod")))
		p.Get(m.URLPath("zip")).ExpectBody(t, f.Read(t, m.TreePath("zip")))
		if n := up.Count("/sumdb/" + db.Name + "/lookup/" + m.EscPath + "@" + m.EscVersion); n == 0 {
			t.Errorf("%s@%s: no lookup reached the upstream's /sumdb/%s/", m.Path, m.Version, db.Name)
		}
	}
}

// A zip whose h1 differs from the database's record is refused with 403
// SECURITY, whether the upstream or the record lies; nothing is cached, and
// the honest zip is served once the upstream behaves again.
func TestIntegrityTamperedZip(t *testing.T) {
	for _, who := range []string{"upstream", "database"} {
		t.Run(who, func(t *testing.T) {
			f := harness.Fixture(t)
			m := f.Module(t, "example.com/hello", "v1.0.0")
			var dbArgs []string
			if who == "database" {
				dbArgs = []string{"-tamper", m.Path + "@" + m.Version + ":zip"}
			}
			v := newVerifying(t, dbArgs, "--negative-ttl", "200ms")
			if who == "upstream" {
				v.up.Handle("^/"+m.TreePath("zip")+"$", upstream.Rule{Fault: upstream.Body, Body: tamperedZip(t, f, m)})
			}
			before := integrityFailures(t, v.p, "zip", "checksum_mismatch")
			r := v.p.Get(m.URLPath("zip"))
			expectSecurity(t, v.p, r, "zip", "checksum_mismatch", before, m.TreePath("zip"))
			// Not remembered as good, not cached: asked again, refused again.
			r = v.p.Get(m.URLPath("zip"))
			if r.Status != 403 {
				t.Errorf("second request for a tampered zip: want 403, got %s", brief(r))
			}
			harness.ExpectNoFile(t, v.p.CacheDir, m.TreePath("zip"))
			// The go.mod of the same version is fine.
			v.p.Get(m.URLPath("mod")).ExpectBody(t, f.Read(t, m.TreePath("mod")))
			if who == "upstream" {
				v.up.ClearRules()
				eventuallyServed(t, v.p, m, "zip", f.Read(t, m.TreePath("zip")))
			}
		})
	}
}

// The same for go.mod: a .mod whose h1 differs from the record's /go.mod line.
func TestIntegrityTamperedGoMod(t *testing.T) {
	for _, who := range []string{"upstream", "database"} {
		t.Run(who, func(t *testing.T) {
			f := harness.Fixture(t)
			m := f.Module(t, "example.com/hello", "v1.1.0")
			var dbArgs []string
			if who == "database" {
				dbArgs = []string{"-tamper", m.Path + "@" + m.Version + ":mod"}
			}
			v := newVerifying(t, dbArgs, "--negative-ttl", "200ms")
			if who == "upstream" {
				evil := append(f.Read(t, m.TreePath("mod")), []byte("\nreplace example.com/hello => example.com/evil v1.0.0\n")...)
				v.up.Handle("^/"+m.TreePath("mod")+"$", upstream.Rule{Fault: upstream.Body, Body: evil})
			}
			before := integrityFailures(t, v.p, "mod", "checksum_mismatch")
			r := v.p.Get(m.URLPath("mod"))
			expectSecurity(t, v.p, r, "mod", "checksum_mismatch", before, m.TreePath("mod"))
			if r := v.p.Get(m.URLPath("mod")); r.Status != 403 {
				t.Errorf("second request for a tampered go.mod: want 403, got %s", brief(r))
			}
			harness.ExpectNoFile(t, v.p.CacheDir, m.TreePath("mod"))
			if who == "upstream" {
				v.up.ClearRules()
				eventuallyServed(t, v.p, m, "mod", f.Read(t, m.TreePath("mod")))
			}
		})
	}
}

// A legacy module's synthesized go.mod is verified like any other.
func TestIntegrityTamperedSynthesizedGoMod(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/legacy", "v2.0.0+incompatible")
	v := newVerifying(t, []string{"-tamper", m.Path + "@" + m.Version + ":mod"})
	before := integrityFailures(t, v.p, "mod", "checksum_mismatch")
	expectSecurity(t, v.p, v.p.Get(m.URLPath("mod")), "mod", "checksum_mismatch", before, m.TreePath("mod"))
}

// Tree notes with a signature that does not verify (the configured key's
// name and hash, a bad signature) or signed by another key are database
// misbehaviour: 403 SECURITY, nothing cached, both before anything was
// verified and after an earlier tree was. The database behaving again heals it.
func TestIntegrityTreeNoteSignature(t *testing.T) {
	for _, mode := range []string{"corrupt", "otherkey"} {
		for _, when := range []string{"first-contact", "after-verified"} {
			t.Run(mode+"/"+when, func(t *testing.T) {
				v := newVerifying(t, nil, "--negative-ttl", "200ms")
				good := v.f.Module(t, "example.com/hello", "v1.0.0")
				m := v.f.Module(t, "example.com/hello", "v1.1.0")
				if when == "after-verified" {
					v.p.Get(good.URLPath("mod")).ExpectBody(t, v.f.Read(t, good.TreePath("mod")))
				}
				v.db.Control(t, "sign="+mode)
				before := integrityFailures(t, v.p, "mod", "sumdb_misbehaviour")
				r := v.p.Get(m.URLPath("mod"))
				expectSecurity(t, v.p, r, "mod", "sumdb_misbehaviour", before, m.TreePath("mod"), m.TreePath("zip"))
				beforeZip := integrityFailures(t, v.p, "zip", "sumdb_misbehaviour")
				r = v.p.Get(m.URLPath("zip"))
				expectSecurity(t, v.p, r, "zip", "sumdb_misbehaviour", beforeZip, m.TreePath("mod"), m.TreePath("zip"))
				v.db.Control(t, "sign=good")
				eventuallyServed(t, v.p, m, "mod", v.f.Read(t, m.TreePath("mod")))
				eventuallyServed(t, v.p, m, "zip", v.f.Read(t, m.TreePath("zip")))
			})
		}
	}
}

// After one tree was verified, a tree that is not an extension of it (the
// same records in another order at the same size, or another history at a
// larger size) is database misbehaviour. The forked database on its own is a
// valid one: a modproxy that never saw the first tree accepts it.
func TestIntegrityForkedTreeRefused(t *testing.T) {
	for _, fork := range []string{"reorder", "extend"} {
		t.Run(fork, func(t *testing.T) {
			v := newVerifying(t, nil)
			first := v.f.Module(t, "example.com/hello", "v1.0.0")
			m := v.f.Module(t, "example.com/hello", "v1.1.0")
			v.p.Get(first.URLPath("mod")).ExpectBody(t, v.f.Read(t, first.TreePath("mod")))
			v.p.Get(first.URLPath("zip")).ExpectBody(t, v.f.Read(t, first.TreePath("zip")))
			v.db.Control(t, "tree="+fork)
			before := integrityFailures(t, v.p, "mod", "sumdb_misbehaviour")
			expectSecurity(t, v.p, v.p.Get(m.URLPath("mod")), "mod", "sumdb_misbehaviour", before,
				m.TreePath("mod"), m.TreePath("zip"))
			beforeZip := integrityFailures(t, v.p, "zip", "sumdb_misbehaviour")
			expectSecurity(t, v.p, v.p.Get(m.URLPath("zip")), "zip", "sumdb_misbehaviour", beforeZip,
				m.TreePath("mod"), m.TreePath("zip"))

			fresh := harness.Start(t, harness.Options{Upstream: v.up.URL, Sumdb: v.db.VKey + " " + v.db.URL})
			fresh.Get(m.URLPath("mod")).ExpectBody(t, v.f.Read(t, m.TreePath("mod")))
			fresh.Get(m.URLPath("zip")).ExpectBody(t, v.f.Read(t, m.TreePath("zip")))
		})
	}
}

// The last verified tree is kept in the cache directory: a modproxy
// restarted on it still refuses a fork of what its predecessor verified,
// and accepts the original database again.
func TestIntegrityForkDetectedAcrossRestart(t *testing.T) {
	for _, fork := range []string{"reorder", "extend"} {
		t.Run(fork, func(t *testing.T) {
			v := newVerifying(t, nil)
			first := v.f.Module(t, "example.com/hello", "v1.0.0")
			m := v.f.Module(t, "example.com/Upper", "v1.0.0")
			v.p.Get(first.URLPath("mod")).ExpectBody(t, v.f.Read(t, first.TreePath("mod")))
			if code := v.p.Stop(); code != 0 {
				t.Fatalf("modproxy exit code %d after SIGTERM", code)
			}
			v.db.Control(t, "tree="+fork)
			p := v.restart(t)
			before := integrityFailures(t, p, "mod", "sumdb_misbehaviour")
			expectSecurity(t, p, p.Get(m.URLPath("mod")), "mod", "sumdb_misbehaviour", before, m.TreePath("mod"))
			p.Stop()

			// A SIGKILLed modproxy keeps it too (the state was written when verified).
			v.db.Control(t, "tree=main")
			p = v.restart(t)
			p.Get(m.URLPath("mod")).ExpectBody(t, v.f.Read(t, m.TreePath("mod")))
			p.Kill()
			v.db.Control(t, "tree="+fork)
			p = v.restart(t)
			other := v.f.Module(t, "example.com/hello/v2", "v2.0.0")
			before = integrityFailures(t, p, "mod", "sumdb_misbehaviour")
			expectSecurity(t, p, p.Get(other.URLPath("mod")), "mod", "sumdb_misbehaviour", before, other.TreePath("mod"))
		})
	}
}

// --nosumdb paths (GONOSUMDB globs) are served without the database, which
// never hears of them, even though its records for them are wrong; other
// paths still go to it. Exempt zips still obey the zip rules.
func TestIntegrityNoSumdbPathsNeverSentToDatabase(t *testing.T) {
	f := harness.Fixture(t)
	hello := f.Module(t, "example.com/hello", "v1.0.0")
	hello2 := f.Module(t, "example.com/hello/v2", "v2.0.0")
	errs := f.Module(t, "github.com/pkg/errors", "v0.9.1")
	upper := f.Module(t, "example.com/Upper", "v1.0.0")
	v := newVerifying(t, []string{
		"-tamper", hello.Path + "@" + hello.Version + ":zip", "-tamper", hello.Path + "@" + hello.Version + ":mod",
		"-tamper", errs.Path + "@" + errs.Version + ":zip",
	}, "--nosumdb", "example.com/hello,github.com/*")
	for _, m := range []harness.Module{hello, hello2, errs} {
		for _, ext := range []string{"info", "mod", "zip"} {
			v.p.Get(m.URLPath(ext)).ExpectBody(t, f.Read(t, m.TreePath(ext)))
		}
		if harness.ReadCache(v.p.CacheDir, m.TreePath("zip")) == nil {
			t.Errorf("exempt %s@%s not cached", m.Path, m.Version)
		}
	}
	// A client asking modproxy's /sumdb/ about an exempt path is refused,
	// not forwarded (checked against the request log just below).
	lookup := "/sumdb/" + v.db.Name + "/lookup/" + hello.EscPath + "@" + hello.EscVersion
	if r := v.p.Get(lookup); r.Status != 403 || !strings.Contains(string(r.Body), "--nosumdb") {
		t.Errorf("lookup of an exempt path through modproxy: want 403 naming --nosumdb, got %s", brief(r))
	}
	for _, p := range v.db.Requests(t) {
		if strings.Contains(p, "example.com/hello") || strings.Contains(p, "github.com") {
			t.Errorf("the checksum database heard of an exempt path: %s", p)
		}
	}
	v.p.Get(upper.URLPath("mod")).ExpectBody(t, f.Read(t, upper.TreePath("mod")))
	if len(v.db.RequestsContaining(t, "/lookup/"+upper.EscPath+"@")) == 0 {
		t.Errorf("non-exempt %s was not looked up (database got %v)", upper.Path, v.db.Requests(t))
	}

	// Exempt from the database, not from the zip rules.
	bad := f.Module(t, "example.com/hello", "v1.1.0")
	hostile := ziptest.Build([]ziptest.Entry{
		{Name: bad.Path + "@" + bad.Version + "/go.mod", Data: f.Read(t, bad.TreePath("mod"))},
		{Name: bad.Path + "@" + bad.Version + "/../../etc/cron.d/x", Data: []byte("* * * * * root sh\n")},
	})
	v.up.Handle("^/"+bad.TreePath("zip")+"$", upstream.Rule{Fault: upstream.Body, Body: hostile})
	r := v.p.Get(bad.URLPath("zip"))
	if r.Status != 502 || !strings.HasPrefix(string(r.Body), "invalid module zip from ") {
		t.Errorf("exempt path with a hostile zip: want 502 invalid module zip, got %s", brief(r))
	}
	harness.ExpectNoFile(t, v.p.CacheDir, bad.TreePath("zip"))
}

// A database that cannot be reached or fails: 502, nothing cached, and the
// version is served once the database is back (the failure is not cached).
func TestIntegritySumdbUnavailable(t *testing.T) {
	for _, how := range []string{"refused", "status-500", "status-503", "hang"} {
		t.Run(how, func(t *testing.T) {
			f := harness.Fixture(t)
			m := f.Module(t, "example.com/hello", "v1.0.0")
			up := harness.Upstream(t, f.Tree)
			var p *harness.Proxy
			var db *harness.LiveSumdb
			if how == "refused" {
				db = harness.StartSumdb(t, f)
				dbURL := harness.RefusedURL(t)
				p = harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey + " " + dbURL,
					Args: []string{"--upstream-timeout", "1s"}})
			} else {
				db = harness.StartSumdb(t, f)
				if how == "hang" {
					db.Control(t, "hang=1")
				} else {
					db.Control(t, "fail="+strings.TrimPrefix(how, "status-"))
				}
				p = harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey + " " + db.URL,
					Args: []string{"--upstream-timeout", "1s"}})
			}
			for _, ext := range []string{"mod", "zip"} {
				r := p.Get(m.URLPath(ext))
				if r.Status != 502 {
					t.Errorf("database %s: want 502, got %s", how, brief(r))
				} else {
					r.ExpectOneLineError(t)
				}
			}
			harness.ExpectNoFile(t, p.CacheDir, m.TreePath("mod"))
			harness.ExpectNoFile(t, p.CacheDir, m.TreePath("zip"))
			if how != "refused" {
				db.Control(t, "fail=0&hang=0")
				p.Get(m.URLPath("mod")).ExpectBody(t, f.Read(t, m.TreePath("mod")))
				p.Get(m.URLPath("zip")).ExpectBody(t, f.Read(t, m.TreePath("zip")))
			}
		})
	}
}

// The database stopping after it was used: versions not yet verified get
// 502 and are not cached; verified ones stay served from the cache.
func TestIntegritySumdbGoneAfterUse(t *testing.T) {
	v := newVerifying(t, nil, "--upstream-timeout", "3s")
	good := v.f.Module(t, "example.com/hello", "v1.0.0")
	m := v.f.Module(t, "example.com/hello", "v1.1.0")
	v.p.Get(good.URLPath("zip")).ExpectBody(t, v.f.Read(t, good.TreePath("zip")))
	v.db.Stop()
	r := v.p.Get(m.URLPath("zip"))
	if r.Status != 502 {
		t.Errorf("database gone: want 502, got %s", brief(r))
	}
	harness.ExpectNoFile(t, v.p.CacheDir, m.TreePath("zip"))
	hit := v.p.Get(good.URLPath("zip"))
	hit.ExpectBody(t, v.f.Read(t, good.TreePath("zip")))
	hit.ExpectCacheHitHeader(t, "true")
}

// A database that does not know the version (404): 502 naming the
// database and suggesting --nosumdb; nothing cached.
func TestIntegritySumdbDoesNotKnowVersion(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/hello", "v1.2.0-rc.1")
	v := newVerifying(t, []string{"-omit", m.Path + "@" + m.Version})
	for _, ext := range []string{"mod", "zip"} {
		r := v.p.Get(m.URLPath(ext))
		if r.Status != 502 {
			t.Errorf("unknown to the database: want 502, got %s", brief(r))
			continue
		}
		r.ExpectOneLineError(t)
		if !strings.Contains(string(r.Body), v.db.Name) || !strings.Contains(string(r.Body), "--nosumdb") {
			t.Errorf("502 body should name the database %q and suggest --nosumdb: %q", v.db.Name, r.Body)
		}
	}
	harness.ExpectNoFile(t, v.p.CacheDir, m.TreePath("mod"))
	harness.ExpectNoFile(t, v.p.CacheDir, m.TreePath("zip"))
	if n := len(v.db.RequestsContaining(t, "/lookup/"+m.EscPath+"@"+m.EscVersion)); n == 0 {
		t.Errorf("the database was never asked")
	}
}

// rawGet fetches path and reads as much of the body as arrives; it never
// fails on a broken body.
func rawGet(t *testing.T, base, path string) (status int, body []byte, bodyErr error) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}, Timeout: 60 * time.Second}
	resp, err := c.Get(base + path)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, bodyErr = io.ReadAll(resp.Body)
	return resp.StatusCode, body, bodyErr
}

const holdBack = 64 << 10

// A big zip (3 MiB) whose hash is wrong: whether modproxy streamed it or
// not, the client never gets the whole zip: either a 403 or a 200 cut short
// at least 64 KiB before the end. Nothing is cached.
func TestIntegrityBigTamperedZipNeverCompletes(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/big", "v1.0.0")
	v := newVerifying(t, nil, "--negative-ttl", "200ms")
	evil := tamperedZip(t, f, m)
	v.up.Handle("^/"+m.TreePath("zip")+"$", upstream.Rule{Fault: upstream.Body, Body: evil,
		Trickle: 500 * time.Millisecond})
	status, body, err := rawGet(t, v.p.URL, m.URLPath("zip"))
	switch {
	case status == 403:
		if !strings.HasPrefix(string(body), "SECURITY") {
			t.Errorf("403 body %q", harness.OneLine(body))
		}
	case status == 200:
		if err == nil {
			t.Errorf("a tampered %d-byte zip was served complete (%d bytes, no error)", len(evil), len(body))
		}
		if len(body) > len(evil)-holdBack {
			t.Errorf("client got %d of %d bytes of a tampered zip; the last 64 KiB must be held back", len(body), len(evil))
		}
		t.Logf("streamed %d of %d bytes before aborting (%v)", len(body), len(evil), err)
	default:
		t.Errorf("tampered big zip: status %d, body %q, err %v", status, harness.OneLine(body), err)
	}
	harness.ExpectNoFile(t, v.p.CacheDir, m.TreePath("zip"))
	expectLogLine(t, v.p, "SECURITY")
	if n := integrityFailures(t, v.p, "zip", "checksum_mismatch"); n != 1 {
		t.Errorf("checksum_mismatch{zip} = %v, want 1", n)
	}
	// The honest zip goes through whole afterwards.
	v.up.ClearRules()
	eventuallyServed(t, v.p, m, "zip", f.Read(t, m.TreePath("zip")))
}

// A big zip on a miss is streamed to the first client while it downloads:
// with the upstream stalled after 1 MiB, the client already has most of that
// MiB, never the last 64 KiB of the zip; when the upstream then fails, the
// response is cut short and nothing is cached.
func TestIntegrityBigZipStreamedButTailHeldBack(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/big", "v1.0.0")
	v := newVerifying(t, nil, "--upstream-timeout", "4s", "--negative-ttl", "200ms")
	full := f.Read(t, m.TreePath("zip"))
	const stallAt = 1 << 20
	v.up.Handle("^/"+m.TreePath("zip")+"$", upstream.Rule{Fault: upstream.StallAfter, StallAfter: stallAt})

	type result struct {
		status int
		n      int
		err    error
		body   []byte
	}
	var got = make(chan int, 1024)
	done := make(chan result, 1)
	go func() {
		c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}, Timeout: 60 * time.Second}
		resp, err := c.Get(v.p.URL + m.URLPath("zip"))
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var body []byte
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			body = append(body, buf[:n]...)
			select {
			case got <- len(body):
			default:
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				done <- result{status: resp.StatusCode, n: len(body), err: err, body: body}
				return
			}
		}
	}()
	// While the upstream is stalled, most of the first MiB reaches the client.
	deadline := time.After(3 * time.Second)
	most := 0
wait:
	for most < stallAt/2 {
		select {
		case n := <-got:
			most = n
		case <-deadline:
			break wait
		}
	}
	if most < stallAt/2 {
		t.Errorf("with the upstream stalled after %d bytes, the client got only %d within 3s: a big miss is not streamed", stallAt, most)
	}
	r := <-done
	if r.status == 200 && r.err == nil {
		t.Errorf("a zip whose upstream stalled reached the client complete: %d bytes", r.n)
	}
	if r.n > len(full)-holdBack {
		t.Errorf("client got %d of %d bytes; the last 64 KiB must be held back until verified", r.n, len(full))
	}
	t.Logf("client got %d of %d bytes, status %d, err %v", r.n, len(full), r.status, r.err)
	harness.ExpectNoFile(t, v.p.CacheDir, m.TreePath("zip"))
	v.up.ClearRules()
	eventuallyServed(t, v.p, m, "zip", full)
}

// Every counter this issue adds appears in /metrics with the documented
// labels once something was refused.
func TestIntegrityFailureMetricLabels(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/hello", "v1.0.0")
	v := newVerifying(t, []string{"-tamper", m.Path + "@" + m.Version + ":zip"})
	v.p.Get(m.URLPath("zip")).ExpectStatus(t, 403)
	mt := v.p.Scrape(t)
	if typ := mt.Types["modproxy_integrity_failures_total"]; typ != "counter" {
		t.Errorf("modproxy_integrity_failures_total has TYPE %q, want counter", typ)
	}
	for _, s := range mt.Find("modproxy_integrity_failures_total", nil) {
		ep, reason := s.Labels["endpoint"], s.Labels["reason"]
		if (ep != "mod" && ep != "zip") || (reason != "checksum_mismatch" && reason != "sumdb_misbehaviour" && reason != "zip_rules") {
			t.Errorf("unexpected labels %v", s.Labels)
		}
	}
	if n, _ := mt.Sum("modproxy_integrity_failures_total", harness.L("endpoint", "zip", "reason", "checksum_mismatch")); n != 1 {
		t.Errorf("zip checksum_mismatch = %v, want 1\n%s", n, fmt.Sprint(mt.Find("modproxy_integrity_failures_total", nil)))
	}
}

// Several clients waiting for the same tampered big zip (one fetch shared by
// all, or not): none of them gets it whole, and nothing is cached.
func TestIntegrityConcurrentClientsOfTamperedZip(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/big", "v1.0.0")
	v := newVerifying(t, nil)
	evil := tamperedZip(t, f, m)
	v.up.Handle("^/"+m.TreePath("zip")+"$", upstream.Rule{Fault: upstream.Body, Body: evil,
		Trickle: 500 * time.Millisecond})
	type result struct {
		status int
		n      int
		err    error
	}
	results := make(chan result, 4)
	for i := 0; i < 4; i++ {
		go func() {
			status, body, err := rawGet(t, v.p.URL, m.URLPath("zip"))
			results <- result{status, len(body), err}
		}()
	}
	for i := 0; i < 4; i++ {
		r := <-results
		if r.status == 200 && (r.err == nil || r.n > len(evil)-holdBack) {
			t.Errorf("client %d: status 200, %d of %d bytes, err %v: a tampered zip must never arrive whole", i, r.n, len(evil), r.err)
		} else if r.status != 200 && r.status != 403 {
			t.Errorf("client %d: status %d (err %v), want 403 or an aborted 200", i, r.status, r.err)
		}
	}
	harness.ExpectNoFile(t, v.p.CacheDir, m.TreePath("zip"))
}

// --sumdb off: no database to compare hashes with, so a different but
// well-formed zip is served (only the zip rules apply), and a zip breaking
// the rules is still refused.
func TestIntegritySumdbOffChecksOnlyZipRules(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: "off"})
	m := f.Module(t, "example.com/hello", "v1.0.0")
	other := tamperedZip(t, f, m)
	up.Handle("^/"+m.TreePath("zip")+"$", upstream.Rule{Fault: upstream.Body, Body: other})
	p.Get(m.URLPath("zip")).ExpectBody(t, other)

	bad := f.Module(t, "example.com/hello", "v1.1.0")
	prefix := bad.Path + "@" + bad.Version + "/"
	up.Handle("^/"+bad.TreePath("zip")+"$", upstream.Rule{Fault: upstream.Body, Body: ziptest.Build([]ziptest.Entry{
		{Name: prefix + "go.mod", Data: f.Read(t, bad.TreePath("mod"))},
		{Name: prefix + "HELLO.go", Data: []byte("package hello\n")},
		{Name: prefix + "hello.go", Data: []byte("package hello\n")},
	})})
	r := p.Get(bad.URLPath("zip"))
	if r.Status != 502 || !strings.HasPrefix(string(r.Body), "invalid module zip from ") {
		t.Errorf("case-colliding zip with --sumdb off: want 502 invalid module zip, got %d %q", r.Status, harness.OneLine(r.Body))
	}
	harness.ExpectNoFile(t, p.CacheDir, bad.TreePath("zip"))
	if n := integrityFailures(t, p, "zip", "zip_rules"); n != 1 {
		t.Errorf("zip_rules{zip} = %v, want 1", n)
	}
}
