package integration

// Hostile module zips (tests/internal/ziptest, generated at test time): each
// is refused by `modproxy check-zip` and, served by an upstream, answered
// 502 "invalid module zip from <upstream>: <violation>", never cached, and
// with modproxy's peak memory bounded whatever the zip declares or holds.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"modproxy/tests/internal/harness"
	"modproxy/tests/internal/ziptest"
)

const (
	hostileModule  = "example.com/hostile"
	hostileVersion = "v1.0.0"
	// Peak RSS modproxy (server or check-zip) may use around one hostile zip,
	// over what the same binary needs to start (startupRSS): a sanitizer
	// build starts at about 166 MB, a release build at about 12 MB.
	rssAllowance = 150 << 20
)

var (
	startupOnce sync.Once
	startupPeak int64
)

// rssLimit is the peak RSS allowed: the binary's own start-up peak
// (`modproxy --version`) plus rssAllowance.
func rssLimit(t *testing.T) int64 {
	startupOnce.Do(func() {
		r := harness.RunTool(t, time.Minute, "", "--version")
		startupPeak = r.PeakRSS
		t.Logf("modproxy --version: peak RSS %.1f MB", float64(startupPeak)/1e6)
	})
	return startupPeak + rssAllowance
}

var (
	hostileOnce  sync.Once
	hostileCases []ziptest.Case
)

// hostileZips generates the cases once per test binary, in memory (a few
// MiB); the real million-entry zip is only written by each test into its
// own temp dir.
func hostileZips(t *testing.T) []ziptest.Case {
	t.Helper()
	hostileOnce.Do(func() { hostileCases = ziptest.Hostile(hostileModule, hostileVersion) })
	return hostileCases
}

// writeCase puts the case's zip in dir and returns its path, or skips a slow case with -short.
func writeCase(t *testing.T, c ziptest.Case, dir string) string {
	t.Helper()
	if c.Slow && testing.Short() {
		t.Skip("slow case; skipped with -short")
	}
	p := filepath.Join(dir, hostileVersion+".zip")
	start := time.Now()
	if err := c.WriteTo(p); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(p); err == nil {
		t.Logf("%s: %d bytes, written in %v", c.Name, st.Size(), time.Since(start).Round(time.Millisecond))
	}
	return p
}

// expectViolation checks that text states the violation (every pattern matches).
func expectViolation(t *testing.T, what, text string, reason []*regexp.Regexp) {
	t.Helper()
	for _, re := range reason {
		if !re.MatchString(text) {
			t.Errorf("%s does not state the violation (want a match for %s): %q", what, re, harness.OneLine([]byte(text)))
		}
	}
}

func TestHostileZipCheckZip(t *testing.T) {
	for _, c := range hostileZips(t) {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			zipPath := writeCase(t, c, t.TempDir())
			r := harness.RunTool(t, 2*time.Minute, "", "check-zip", zipPath, hostileModule, hostileVersion)
			t.Logf("check-zip exit %d, peak RSS %.1f MB: %s", r.Code, float64(r.PeakRSS)/1e6,
				harness.OneLine([]byte(strings.TrimSpace(r.Stdout+r.Stderr))))
			if r.Code != 1 {
				t.Errorf("want exit 1 for a hostile zip\n%s", r)
			}
			out := strings.TrimSpace(r.Stdout + "\n" + r.Stderr)
			if out == "" {
				t.Errorf("check-zip refused without saying why")
			}
			if strings.Contains(r.Stdout, "ok: ") {
				t.Errorf("check-zip printed an ok line for a hostile zip: %q", r.Stdout)
			}
			expectViolation(t, "check-zip output", out, c.Reason)
			if limit := rssLimit(t); r.PeakRSS > limit {
				t.Errorf("check-zip peak RSS %d bytes, want < %d", r.PeakRSS, limit)
			}
		})
	}
}

func TestHostileZipServedThroughModproxy(t *testing.T) {
	for _, c := range hostileZips(t) {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			tree := t.TempDir()
			escPath := hostileModule // no upper case
			writeModule(t, tree, escPath, hostileVersion, []byte(ziptest.GoMod(hostileModule)), nil)
			zipFile := writeCase(t, c, filepath.Join(tree, escPath, "@v"))
			st, err := os.Stat(zipFile)
			if err != nil {
				t.Fatal(err)
			}
			up := harness.Upstream(t, tree)
			p := harness.Start(t, harness.Options{Upstream: up.URL, Args: []string{"--upstream-timeout", "60s"}})
			zipURL := "/" + escPath + "/@v/" + hostileVersion + ".zip"
			start := time.Now()
			expectHostileRefused(t, p, up.URL, zipURL, st.Size(), c)
			took := time.Since(start)
			rss := p.PeakRSS(t)
			t.Logf("%s: refused in %v, modproxy peak RSS %.1f MB", c.Name, took.Round(time.Millisecond), float64(rss)/1e6)
			harness.ExpectNoFile(t, p.CacheDir, escPath+"/@v/"+hostileVersion+".zip")
			if n := integrityFailures(t, p, "zip", "zip_rules"); n != 1 {
				t.Errorf(`modproxy_integrity_failures_total{endpoint="zip",reason="zip_rules"} = %v, want 1`, n)
			}
			if limit := rssLimit(t); rss > limit {
				t.Errorf("modproxy peak RSS %d bytes after a hostile zip, want < %d", rss, limit)
			}
			// Still refused the second time (nothing remembered as good), and the server is fine.
			expectHostileRefused(t, p, up.URL, zipURL, st.Size(), c)
			harness.ExpectNoFile(t, p.CacheDir, escPath+"/@v/"+hostileVersion+".zip")
			p.Get("/healthz").ExpectStatus(t, 200)
		})
	}
}

// expectHostileRefused GETs a hostile zip of size bytes. The answer is 502
// "invalid module zip from <upstream>: <violation>"; a zip over 64 KiB may
// instead have been streamed while it downloaded, and then the response must
// be cut short, at least 64 KiB before its end, with the violation logged.
func expectHostileRefused(t *testing.T, p *harness.Proxy, upstreamURL, zipURL string, size int64, c ziptest.Case) {
	t.Helper()
	status, body, err := rawGet(t, p.URL, zipURL)
	switch {
	case status == 502 && err == nil:
		prefix := "invalid module zip from "
		msg := strings.TrimSuffix(string(body), "\n")
		if strings.Contains(msg, "\n") {
			t.Errorf("502 body must be one line: %q", body)
		}
		if !strings.HasPrefix(msg, prefix) {
			t.Errorf("502 body should start %q: %q", prefix, body)
		} else if !strings.HasPrefix(msg, prefix+upstreamURL) && !strings.HasPrefix(msg, prefix+strings.TrimPrefix(upstreamURL, "http://")) {
			t.Errorf("502 body should name the upstream %s: %q", upstreamURL, body)
		}
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		expectViolation(t, "502 body", msg, c.Reason)
	case status == 200 && err != nil && size > holdBack:
		if int64(len(body)) > size-holdBack {
			t.Errorf("client got %d of the %d bytes of a hostile zip; the last 64 KiB must be held back", len(body), size)
		}
		t.Logf("streamed %d of %d bytes, then cut off (%v)", len(body), size, err)
		var logged string
		harness.Eventually(t, 5*time.Second, func() (bool, string) {
			for _, l := range p.Stderr.Lines() {
				if strings.Contains(l, "invalid module zip") {
					logged = l
					return true, ""
				}
			}
			return false, "a cut-off hostile zip left no \"invalid module zip\" log line"
		})
		expectViolation(t, "log line", logged, c.Reason)
	case status == 200 && err == nil:
		t.Errorf("a hostile zip was served whole (%d of %d bytes)", len(body), size)
	default:
		t.Errorf("want 502 (or, above 64 KiB, a cut-off stream), got status %d, err %v, body %q", status, err, harness.OneLine(body))
	}
}

// A zip breaking several rules: check-zip prints every violation on its own
// line; the 502 body is one line with the first, possibly "(and N more)".
func TestHostileZipEveryViolationReported(t *testing.T) {
	p := hostileModule + "@" + hostileVersion + "/"
	z := ziptest.Build([]ziptest.Entry{
		{Name: p + "go.mod", Data: []byte(ziptest.GoMod(hostileModule))},
		{Name: p + "a/../../x.go", Data: []byte("package x\n")},
		{Name: p + "sub/go.mod", Data: []byte("module " + hostileModule + "/sub\n")},
		{Name: p + "y.go", Data: []byte("package x\n")},
		{Name: p + "Y.go", Data: []byte("package x\n")},
	})
	dir := t.TempDir()
	zipFile := filepath.Join(dir, "multi.zip")
	if err := os.WriteFile(zipFile, z, 0o644); err != nil {
		t.Fatal(err)
	}
	r := harness.RunTool(t, time.Minute, "", "check-zip", zipFile, hostileModule, hostileVersion)
	if r.Code != 1 {
		t.Errorf("want exit 1\n%s", r)
	}
	out := r.Stdout + r.Stderr
	for _, want := range []string{"a/../../x.go", "sub/go.mod", "Y.go"} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("check-zip did not report the violation of %s on a line of its own:\n%s", want, out)
		}
	}

	tree := t.TempDir()
	writeModule(t, tree, hostileModule, hostileVersion, []byte(ziptest.GoMod(hostileModule)), z)
	up := harness.Upstream(t, tree)
	proxy := harness.Start(t, harness.Options{Upstream: up.URL})
	resp := proxy.Get("/" + hostileModule + "/@v/" + hostileVersion + ".zip")
	if resp.Status != 502 {
		t.Fatalf("want 502, got %d %q", resp.Status, harness.OneLine(resp.Body))
	}
	resp.ExpectOneLineError(t)
	body := strings.TrimSuffix(string(resp.Body), "\n")
	if !strings.HasPrefix(body, "invalid module zip from ") {
		t.Errorf("502 body should start \"invalid module zip from \": %q", body)
	}
	if m := regexp.MustCompile(`\(and (\d+) more\)$`).FindStringSubmatch(body); m != nil && m[1] != "2" {
		t.Errorf("3 violations but the body says (and %s more): %q", m[1], body)
	}
}
