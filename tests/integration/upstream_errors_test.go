package integration

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// wrongPrefixZip is a valid zip whose entries belong to another module: the go
// command would reject it ("zip for ... has unexpected file").
func wrongPrefixZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("example.com/other@v1.0.0/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "module example.com/other\n")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every way an upstream can fail: 502 with a text/plain reason (or, for a
// zip already streaming to the client, a cut-off response), the right
// request_errors_total reason, no file under its final name, and (once the
// upstream behaves) the next request succeeds.
func TestUpstreamFailuresAre502AndLeaveNoFile(t *testing.T) {
	f := harness.Fixture(t)
	hello := f.Module(t, "example.com/hello", "v1.0.0")
	big := f.Module(t, "example.com/big", "v1.0.0")
	cases := []struct {
		name    string
		mod     harness.Module
		ext     string // "list" or info/mod/zip
		rule    upstream.Rule
		reasons []string // acceptable modproxy_request_errors_total reasons
	}{
		// Cases with upstream_timeout reasons must fail soon after --upstream-timeout (1s).
		{"5xx", hello, "info", upstream.Rule{Fault: upstream.Status, Status: 500, Body: []byte("boom")}, []string{"upstream_error"}},
		{"503 on zip", hello, "zip", upstream.Rule{Fault: upstream.Status, Status: 503, Body: []byte("busy")}, []string{"upstream_error"}},
		{"hang before headers", hello, "info", upstream.Rule{Fault: upstream.Hang}, []string{"upstream_timeout"}},
		{"stall mid zip", big, "zip", upstream.Rule{Fault: upstream.StallAfter, StallAfter: 256 << 10}, []string{"upstream_timeout"}},
		// .info is small: the timeout is a total one, so a trickle that never
		// stalls for a second but takes three must still fail.
		{"small file too slow in total", hello, "info", upstream.Rule{Trickle: 3 * time.Second}, []string{"upstream_timeout"}},
		{"connection closed", hello, "mod", upstream.Rule{Fault: upstream.Close}, []string{"upstream_error"}},
		{"truncated info", hello, "info", upstream.Rule{Fault: upstream.Truncate}, []string{"upstream_error", "upstream_invalid"}},
		{"truncated zip", big, "zip", upstream.Rule{Fault: upstream.Truncate}, []string{"upstream_error", "upstream_invalid"}},
		{"HTML instead of JSON", hello, "info", upstream.Rule{Fault: upstream.HTML}, []string{"upstream_invalid"}},
		{"list that is not versions", hello, "list", upstream.Rule{Fault: upstream.HTML}, []string{"upstream_invalid"}},
		{"zip that is not a zip", hello, "zip", upstream.Rule{Fault: upstream.Body, Body: []byte("PK? no, just text\n")}, []string{"upstream_invalid"}},
		{"zip of another module", hello, "zip", upstream.Rule{Fault: upstream.Body, Body: wrongPrefixZip(t), ContentType: "application/zip"}, []string{"upstream_invalid"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "--upstream-timeout", "1s")
			path, rel := c.mod.URLPath(c.ext), c.mod.TreePath(c.ext)
			if c.ext == "list" {
				path, rel = "/"+c.mod.EscPath+"/@v/list", c.mod.EscPath+"/@v/list"
			}
			e.up.Handle("^/"+regexp.QuoteMeta(rel)+"$", c.rule)

			limit := 15 * time.Second
			if c.reasons[0] == "upstream_timeout" {
				limit = 4 * time.Second // --upstream-timeout 1s plus slack for a loaded machine
			}
			var r *harness.Response
			var err error
			harness.Within(t, limit, "the failing request", func() { r, err = e.p.Client().DoErr("GET", path) })
			switch {
			case err != nil && c.ext == "zip":
				// A zip miss streams while it downloads: a failure after the
				// first bytes were sent cuts the response off instead.
				t.Logf("zip response cut off: %v", err)
			case err != nil:
				t.Fatal(err)
			case r.Status != 502:
				t.Fatalf("want 502, got %s", r)
			default:
				r.ExpectContentType(t, "text/plain", "utf-8")
				r.ExpectCacheHitHeader(t, "")
			}
			if e.up.Count("/"+rel) == 0 {
				t.Errorf("upstream never asked for /%s", rel)
			}
			harness.ExpectNoFile(t, e.p.CacheDir, rel)
			harness.ExpectLayout(t, e.p.CacheDir)
			expectReason(t, e.p, c.reasons)

			e.up.ClearRules()
			again := e.p.Get(path)
			if again.Status != 200 {
				t.Fatalf("after the upstream recovered: %s (the failure must not be cached)", again)
			}
			if c.ext == "zip" || c.ext == "mod" {
				again.ExpectBody(t, f.Read(t, rel))
			}
		})
	}
}

func TestConnectionRefusedIs502(t *testing.T) {
	f := harness.Fixture(t)
	p := harness.Start(t, harness.Options{Upstream: harness.RefusedURL(t), Args: []string{"--upstream-timeout", "2s"}})
	m := f.Module(t, "example.com/hello", "v1.0.0")
	for _, path := range []string{m.URLPath("info"), m.URLPath("zip"), "/example.com/hello/@v/list", "/example.com/hello/@latest"} {
		r := p.Get(path)
		if r.Status != 502 {
			t.Errorf("want 502, got %s", r)
		}
		r.ExpectCacheHitHeader(t, "")
	}
	expectReason(t, p, []string{"upstream_error"})
	if files := harness.CacheFiles(t, p.CacheDir); len(files) != 0 {
		t.Errorf("cache holds %v after only failures", files)
	}
}

// The upstream timeout is a stall timeout for zips: a big zip that keeps
// flowing for longer than the timeout must arrive.
func TestUpstreamTimeoutIsAStallTimeoutForZips(t *testing.T) {
	e := newEnv(t, "--upstream-timeout", "1s")
	big := e.mod(t, "example.com/big", "v1.0.0")
	e.up.Handle(`\.zip$`, upstream.Rule{Trickle: 2500 * time.Millisecond})
	e.p.Get(big.URLPath("zip")).ExpectBody(t, e.f.Read(t, big.TreePath("zip")))
}

func expectReason(t *testing.T, p *harness.Proxy, reasons []string) {
	t.Helper()
	m := p.Scrape(t)
	for _, r := range reasons {
		if v, _ := m.Sum("modproxy_request_errors_total", harness.L("reason", r)); v > 0 {
			return
		}
	}
	var have []string
	for _, s := range m.Find("modproxy_request_errors_total", nil) {
		have = append(have, fmt.Sprintf("%s=%v", s.Labels["reason"], s.Value))
	}
	t.Errorf("modproxy_request_errors_total: want reason in %v, have %v", reasons, have)
}

// A zip over --max-zip-size is refused whether the upstream announces its
// size (Content-Length) or not (chunked, or a file:// tree): 502 (or a
// cut-off stream when the size showed only mid-download), nothing cached, and
// the version is served once the limit allows it.
func TestOversizedZipIs502AndLeavesNoFile(t *testing.T) {
	f := harness.Fixture(t)
	big := f.Module(t, "example.com/big", "v1.0.0") // about 3 MiB
	up := harness.Upstream(t, f.Tree)
	chunked := harness.Upstream(t, f.Tree)
	chunked.Handle(`\.zip$`, upstream.Rule{Trickle: 200 * time.Millisecond, Chunked: true})
	for name, upstreamURL := range map[string]string{
		"content-length": up.URL, "no content-length": chunked.URL, "file": "file://" + f.Tree,
	} {
		t.Run(name, func(t *testing.T) {
			p := harness.Start(t, harness.Options{Upstream: upstreamURL,
				Args: []string{"--max-zip-size", "1MiB"}})
			r, err := p.Client().DoErr("GET", big.URLPath("zip"))
			switch {
			case err != nil && name == "no content-length":
				// Without a Content-Length the limit shows only once 1 MiB
				// arrived, and by then the zip is streaming to the client:
				// the response is cut off (the reason is in the log).
				t.Logf("cut off: %v", err)
			case err != nil:
				t.Fatal(err)
			case r.Status != 502:
				t.Fatalf("want 502 for a 3 MiB zip over a 1 MiB limit, got %s", r)
			default:
				r.ExpectOneLineError(t)
				if !bytes.Contains(r.Body, []byte("larger than 1048576 bytes")) {
					t.Errorf("reason does not name the limit: %q", r.Body)
				}
			}
			harness.ExpectNoFile(t, p.CacheDir, big.TreePath("zip"))
			expectReason(t, p, []string{"upstream_invalid"})
		})
	}
	p := harness.Start(t, harness.Options{Upstream: up.URL, Args: []string{"--max-zip-size", "4MiB"}})
	p.Get(big.URLPath("zip")).ExpectBody(t, f.Read(t, big.TreePath("zip")))
}

// Upstream fetches reuse keep-alive connections: with one fetch worker, many
// misses in a row travel over a single TCP connection.
func TestUpstreamConnectionsAreReused(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	p := harness.Start(t, harness.Options{Upstream: up.URL, Args: []string{"--fetch-workers", "1"}})
	for _, v := range []string{"v1.0.0", "v1.1.0"} {
		m := f.Module(t, "example.com/hello", v)
		for _, ext := range []string{"info", "mod", "zip"} {
			p.Get(m.URLPath(ext)).ExpectStatus(t, 200)
		}
	}
	if up.Total() != 6 {
		t.Fatalf("upstream saw %d requests, want 6", up.Total())
	}
	if c := up.Connections(); c != 1 {
		t.Errorf("6 upstream fetches used %d TCP connections, want 1 (keep-alive reuse)", c)
	}
}

// Every upstream request names modproxy and its version (operators of the
// upstream can tell who is calling).
func TestUpstreamRequestsCarryUserAgent(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/hello", "v1.0.0")
	e.p.Get(m.URLPath("info")).ExpectStatus(t, 200)
	out, err := exec.Command(harness.Binary(t), "--version").Output()
	if err != nil {
		t.Fatalf("modproxy --version: %v", err)
	}
	want := "modproxy/" + strings.TrimPrefix(strings.TrimSpace(string(out)), "modproxy ")
	reqs := e.up.Requests()
	if len(reqs) == 0 {
		t.Fatal("no upstream request recorded")
	}
	for _, r := range reqs {
		if got := r.Header.Get("User-Agent"); got != want {
			t.Errorf("%s %s: User-Agent %q, want %q", r.Method, r.Path, got, want)
		}
	}
}

// Credentials in an upstream URL never reach clients or logs.
func TestUpstreamCredentialsAreRedacted(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	up.Handle(`\.info$`, upstream.Rule{Fault: upstream.Status, Status: 500, Body: []byte("boom")})
	withCreds := strings.Replace(up.URL, "http://", "http://alice:s3cret@", 1)
	p := harness.Start(t, harness.Options{Upstream: withCreds})
	m := f.Module(t, "example.com/hello", "v1.0.0")
	r := p.Get(m.URLPath("info"))
	if r.Status != 502 {
		t.Fatalf("want 502, got %s", r)
	}
	if bytes.Contains(r.Body, []byte("s3cret")) || !bytes.Contains(r.Body, []byte("***@")) {
		t.Errorf("error body must name the upstream without its password: %q", r.Body)
	}
	if n := up.Count("/" + m.TreePath("info")); n != 1 {
		t.Errorf("upstream asked %d times, want 1", n)
	}
	p.Stop()
	if strings.Contains(p.Stderr.String()+p.Stdout.String(), "s3cret") {
		t.Errorf("the password appears in modproxy's log")
	}
}
