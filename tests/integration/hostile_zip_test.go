package integration

// Hostile module zips (tests/internal/ziptest, generated at test time): each
// is refused by `modproxy check-zip` and, served by an upstream, answered
// 502 "invalid module zip from <upstream>: <violation>", never cached, and
// with modproxy's peak memory bounded whatever the zip declares or holds.

import (
	"fmt"
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
	// Peak RSS allowed to modproxy (server or check-zip) around one hostile zip.
	rssLimit = 150 << 20
)

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
			if r.PeakRSS > rssLimit {
				t.Errorf("check-zip peak RSS %d bytes, want < %d", r.PeakRSS, rssLimit)
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
			writeCase(t, c, filepath.Join(tree, escPath, "@v"))
			up := harness.Upstream(t, tree)
			p := harness.Start(t, harness.Options{Upstream: up.URL, Args: []string{"--upstream-timeout", "60s"}})
			zipURL := "/" + escPath + "/@v/" + hostileVersion + ".zip"
			start := time.Now()
			r := p.Get(zipURL)
			took := time.Since(start)
			rss := p.PeakRSS(t)
			what := harness.OneLine(r.Body)
			if r.Status == 200 {
				what = fmt.Sprintf("%d-byte body (the hostile zip itself)", len(r.Body))
			}
			t.Logf("%s: %d in %v, modproxy peak RSS %.1f MB: %s", c.Name, r.Status, took.Round(time.Millisecond),
				float64(rss)/1e6, what)
			if r.Status != 502 {
				t.Errorf("want 502, got %d", r.Status)
			} else {
				r.ExpectOneLineError(t)
				prefix := "invalid module zip from "
				if !strings.HasPrefix(string(r.Body), prefix) {
					t.Errorf("502 body should start %q: %q", prefix, r.Body)
				} else if !strings.Contains(string(r.Body), strings.TrimPrefix(up.URL, "http://")) {
					t.Errorf("502 body should name the upstream %s: %q", up.URL, r.Body)
				}
				msg := strings.TrimSuffix(string(r.Body), "\n")
				if i := strings.Index(msg, ": "); i >= 0 {
					msg = msg[i+2:]
				}
				expectViolation(t, "502 body", msg, c.Reason)
			}
			harness.ExpectNoFile(t, p.CacheDir, escPath+"/@v/"+hostileVersion+".zip")
			if n := integrityFailures(t, p, "zip", "zip_rules"); n != 1 {
				t.Errorf(`modproxy_integrity_failures_total{endpoint="zip",reason="zip_rules"} = %v, want 1`, n)
			}
			if rss > rssLimit {
				t.Errorf("modproxy peak RSS %d bytes after a hostile zip, want < %d", rss, rssLimit)
			}
			// Still refused the second time (nothing remembered as good), and the server is fine.
			if r := p.Get(zipURL); r.Status != 502 {
				t.Errorf("second request: want 502 again, got %d", r.Status)
			}
			p.Get("/healthz").ExpectStatus(t, 200)
		})
	}
}
