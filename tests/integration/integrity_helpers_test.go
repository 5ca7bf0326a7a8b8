package integration

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
	"modproxy/tests/internal/ziptest"
)

// verifying is a fixture upstream, a live checksum database and a modproxy
// that verifies every fetch against that database (--sumdb "<vkey> <url>").
type verifying struct {
	f  *harness.Fixtures
	up *upstream.Server
	db *harness.LiveSumdb
	p  *harness.Proxy
}

// newVerifying starts the three; dbArgs go to tests/fixtures/sumdb, proxyArgs to modproxy.
func newVerifying(t *testing.T, dbArgs []string, proxyArgs ...string) *verifying {
	t.Helper()
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := harness.StartSumdbArgs(t, f, dbArgs...)
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey + " " + db.URL, Args: proxyArgs})
	return &verifying{f: f, up: up, db: db, p: p}
}

// restart starts another modproxy on the same cache directory and database.
func (v *verifying) restart(t *testing.T, proxyArgs ...string) *harness.Proxy {
	t.Helper()
	return harness.Start(t, harness.Options{Upstream: v.up.URL, Sumdb: v.db.VKey + " " + v.db.URL,
		CacheDir: v.p.CacheDir, Args: proxyArgs})
}

// integrityFailures is modproxy_integrity_failures_total for endpoint and reason.
func integrityFailures(t *testing.T, p *harness.Proxy, endpoint, reason string) float64 {
	t.Helper()
	return metric(t, p, "modproxy_integrity_failures_total", harness.L("endpoint", endpoint, "reason", reason))
}

// errorLevelRE matches modproxy's log lines at error level or above
// ("<timestamp> <level> <message>").
var errorLevelRE = regexp.MustCompile(`^\S+ (error|critical|err|crit)\b`)

// expectLogLine waits until modproxy logged an error-level line containing sub.
func expectLogLine(t *testing.T, p *harness.Proxy, sub string) {
	t.Helper()
	harness.Eventually(t, 5*time.Second, func() (bool, string) {
		for _, l := range p.Stderr.Lines() {
			if strings.Contains(l, sub) && errorLevelRE.MatchString(l) {
				return true, ""
			}
		}
		return false, "no error-level log line containing " + sub + " on stderr"
	})
}

// expectSecurity checks a refusal for a checksum mismatch or a misbehaving
// database: 403, one text line starting "SECURITY", nothing cached under
// m's .mod or .zip name (rel are the tree paths that must be absent), an
// error-level SECURITY log line, and the counter for endpoint and reason one
// higher than before.
func expectSecurity(t *testing.T, p *harness.Proxy, r *harness.Response, endpoint, reason string, before float64, rel ...string) {
	t.Helper()
	if r.Status != 403 {
		t.Errorf("want 403 SECURITY, got %d %q", r.Status, harness.OneLine(r.Body))
		for _, f := range rel {
			harness.ExpectNoFile(t, p.CacheDir, f)
		}
		return // no refusal: no log line or counter to wait for
	} else {
		r.ExpectOneLineError(t)
		if !strings.HasPrefix(string(r.Body), "SECURITY") {
			t.Errorf("403 body must start with SECURITY: %q", r.Body)
		}
	}
	for _, f := range rel {
		harness.ExpectNoFile(t, p.CacheDir, f)
	}
	expectLogLine(t, p, "SECURITY")
	if got := integrityFailures(t, p, endpoint, reason); got != before+1 {
		t.Errorf("modproxy_integrity_failures_total{endpoint=%q,reason=%q} = %v, want %v",
			endpoint, reason, got, before+1)
	}
}

// rewriteZip returns z with every entry's content passed through change
// (entries in the same order, deflated afresh): a well-formed zip with other
// contents, as a compromised upstream would serve.
func rewriteZip(t testing.TB, z []byte, change func(name string, data []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	es, err := ziptest.Read(zr)
	if err != nil {
		t.Fatal(err)
	}
	for i := range es {
		es[i].Data = change(es[i].Name, es[i].Data)
	}
	return ziptest.Build(es)
}

// tamperedZip is m's fixture zip with its .go files (and data.bin) changed.
func tamperedZip(t testing.TB, f *harness.Fixtures, m harness.Module) []byte {
	t.Helper()
	out := rewriteZip(t, f.Read(t, m.TreePath("zip")), func(name string, data []byte) []byte {
		if strings.HasSuffix(name, ".go") {
			return append(data, []byte("\nfunc Backdoor() {}\n")...)
		}
		if strings.HasSuffix(name, ".bin") {
			data = append([]byte(nil), data...)
			data[len(data)/2] ^= 0xff
		}
		return data
	})
	if bytes.Equal(out, f.Read(t, m.TreePath("zip"))) {
		t.Fatal("tampering changed nothing")
	}
	return out
}

// writeModule writes one module version into a GOPROXY tree at root.
func writeModule(t testing.TB, root, escPath, version string, mod, zipData []byte) {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": []byte(`{"Version":"` + version + `","Time":"2023-01-02T03:04:05Z"}`),
		version + ".mod":  mod,
		version + ".zip":  zipData,
	}
	for name, data := range files {
		if data == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// brief describes a response for a failure message without dumping a zip.
func brief(r *harness.Response) string {
	if bytes.HasPrefix(r.Body, []byte("PK")) || r.Header.Get("Content-Type") == "application/zip" {
		return fmt.Sprintf("%d with a %d-byte zip body", r.Status, len(r.Body))
	}
	return fmt.Sprintf("%d %q", r.Status, harness.OneLine(r.Body))
}

// eventuallyServed waits until m's file is served whole again once the
// upstream or the database behaves: a refusal may be remembered for
// --negative-ttl (tests set it short), never stored as good or bad on disk.
func eventuallyServed(t *testing.T, p *harness.Proxy, m harness.Module, ext string, want []byte) {
	t.Helper()
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := p.Get(m.URLPath(ext))
		return r.Status == 200 && bytes.Equal(r.Body, want), fmt.Sprintf("%s still answers %s", m.URLPath(ext), brief(r))
	})
}
