package integration

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// `modproxy probe` run as a user would: the real binary against a modproxy in
// front of the fixture upstream, fixture upstreams misbehaving on purpose,
// closed ports and a TLS front end with a test CA.

// probeFile and probeReport mirror the --json output (pointers where the
// output has null).
type probeFile struct {
	URL            *string             `json:"url"`
	Attempted      bool                `json:"attempted"`
	Status         *int                `json:"status"`
	Failure        *string             `json:"failure"`
	Error          *string             `json:"error"`
	Problem        *string             `json:"problem"`
	CacheHit       *bool               `json:"cache_hit"`
	Bytes          *int64              `json:"bytes"`
	BytesPerSecond *float64            `json:"bytes_per_second"`
	Redirects      *int                `json:"redirects"`
	TimingsMs      map[string]*float64 `json:"timings_ms"`
	Headers        map[string]string   `json:"headers"`
}

type probeReport struct {
	Proxy       string               `json:"proxy"`
	Module      string               `json:"module"`
	Requested   string               `json:"requested"`
	Version     *string              `json:"version"`
	Usable      bool                 `json:"usable"`
	RateLimited bool                 `json:"rate_limited"`
	Verdict     string               `json:"verdict"`
	Detail      *string              `json:"detail"`
	Files       map[string]probeFile `json:"files"`
}

type probeRun struct {
	args   []string
	stdout string
	stderr string
	code   int
}

func (r probeRun) String() string {
	return "modproxy probe " + strings.Join(r.args, " ") + "\n--- stdout ---\n" + r.stdout +
		"--- stderr ---\n" + r.stderr
}

// runProbe runs `modproxy probe args...` with env added to an environment
// free of proxy and CA variables, and returns what it printed and its exit code.
func runProbe(t *testing.T, env []string, args ...string) probeRun {
	t.Helper()
	cmd := harness.Command(harness.Binary(t), append([]string{"probe"}, args...)...)
	for _, kv := range harness.ChildEnv() {
		if !strings.HasPrefix(kv, "SSL_CERT_") && !strings.HasPrefix(kv, "CURL_CA_BUNDLE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var err error
	harness.Within(t, 30*time.Second, "modproxy probe", func() { err = cmd.Run() })
	run := probeRun{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		run.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running modproxy probe: %v", err)
	}
	return run
}

// probeJSON runs probe with --json and decodes its output.
func probeJSON(t *testing.T, env []string, args ...string) ([]probeReport, probeRun) {
	t.Helper()
	run := runProbe(t, env, append(args, "--json")...)
	var reports []probeReport
	if err := json.Unmarshal([]byte(run.stdout), &reports); err != nil {
		t.Fatalf("--json output is not a JSON array of reports: %v\n%s", err, run)
	}
	return reports, run
}

func expectCode(t *testing.T, run probeRun, want int) {
	t.Helper()
	if run.code != want {
		t.Fatalf("exit code %d, want %d\n%s", run.code, want, run)
	}
}

func onlyReport(t *testing.T, reports []probeReport, run probeRun) probeReport {
	t.Helper()
	if len(reports) != 1 {
		t.Fatalf("want 1 report, got %d\n%s", len(reports), run)
	}
	return reports[0]
}

func moduleArg(m harness.Module) string { return m.Path + "@" + m.Version }

// A modproxy answers from its upstream the first time and from its cache the
// second; probe shows both, with every phase of a plain-HTTP request.
func TestProbeShowsCacheMissThenCacheHit(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/Upper", "v1.0.1-RC1") // escaping in path and version
	for i, wantHit := range []bool{false, true} {
		reports, run := probeJSON(t, nil, e.p.URL, "--module", moduleArg(m))
		expectCode(t, run, 0)
		r := onlyReport(t, reports, run)
		if !r.Usable || r.Verdict != "ok" || r.RateLimited || r.Proxy != e.p.URL {
			t.Fatalf("run %d: want a usable proxy %s with verdict ok\n%s", i+1, e.p.URL, run)
		}
		if r.Module != m.Path || r.Version == nil || *r.Version != m.Version {
			t.Errorf("run %d: module %q version %v\n%s", i+1, r.Module, r.Version, run)
		}
		for _, ext := range []string{"info", "mod", "zip"} {
			f, ok := r.Files[ext]
			if !ok || !f.Attempted || f.Status == nil || *f.Status != 200 {
				t.Fatalf("run %d: .%s not fetched with 200\n%s", i+1, ext, run)
			}
			if f.URL == nil || *f.URL != e.p.URL+"/"+m.TreePath(ext) {
				t.Errorf("run %d: .%s url %v, want %s", i+1, ext, f.URL, e.p.URL+"/"+m.TreePath(ext))
			}
			if f.CacheHit == nil || *f.CacheHit != wantHit {
				t.Errorf("run %d: .%s cache_hit %v, want %v", i+1, ext, f.CacheHit, wantHit)
			}
			if got := f.Headers["x-go-proxy-cache-hit"]; got != map[bool]string{false: "false", true: "true"}[wantHit] {
				t.Errorf("run %d: .%s X-Go-Proxy-Cache-Hit header %q", i+1, ext, got)
			}
			for _, phase := range []string{"dns", "connect", "wait", "ttfb", "transfer", "total"} {
				if v, ok := f.TimingsMs[phase]; !ok || v == nil || *v < 0 {
					t.Errorf("run %d: .%s timings_ms.%s = %v, want a duration", i+1, ext, phase, v)
				}
			}
			if v, ok := f.TimingsMs["tls"]; !ok || v != nil {
				t.Errorf("run %d: .%s timings_ms.tls = %v, want null on plain HTTP", i+1, ext, v)
			}
			if *f.TimingsMs["ttfb"] > *f.TimingsMs["total"] {
				t.Errorf("run %d: .%s ttfb after total", i+1, ext)
			}
		}
		if zip := r.Files["zip"]; zip.Bytes == nil || *zip.Bytes != m.ZipSize || zip.BytesPerSecond == nil {
			t.Errorf("run %d: zip bytes %v (want %d), bytes_per_second %v", i+1, zip.Bytes, m.ZipSize, zip.BytesPerSecond)
		}
	}
	for _, ext := range []string{"info", "mod", "zip"} {
		if n := e.up.Count("/" + m.TreePath(ext)); n != 1 {
			t.Errorf("upstream saw .%s %d times, want 1 (the second probe is served from the cache)", ext, n)
		}
	}

	// The table says the same.
	run := runProbe(t, nil, e.p.URL, "--module", moduleArg(m))
	expectCode(t, run, 0)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\s+\.info\s+status\s+200 \(cache hit\)$`),
		regexp.MustCompile(`(?m)^\s+\.zip\s+status\s+200 \(cache hit\)$`),
		regexp.MustCompile(`(?m)^\s+ttfb\s+\d+\.\d ms$`),
		regexp.MustCompile(`(?m)^\s+tls\s+-$`),
		regexp.MustCompile(`(?m)^\s+size\s+\d+(\.\d)? (B|KiB)$`),
		regexp.MustCompile(`(?m)^\s+verdict\s+ok$`),
	} {
		if !want.MatchString(run.stdout) {
			t.Errorf("table has no line matching %s\n%s", want, run)
		}
	}
}

// A 429 with Retry-After and X-RateLimit-* makes the proxy unusable, says so
// with the Retry-After value, and stops probing it.
func TestProbeReportsRateLimiting(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	up.Handle(`/@v/`, upstream.Rule{Fault: upstream.Status, Status: 429, Body: []byte("slow down\n"),
		Header: http.Header{"Retry-After": {"30"}, "X-Ratelimit-Limit": {"60"}, "X-Ratelimit-Remaining": {"0"}}})
	m := f.Module(t, "example.com/hello", "v1.0.0")

	reports, run := probeJSON(t, nil, up.URL, "--module", moduleArg(m))
	expectCode(t, run, 1)
	r := onlyReport(t, reports, run)
	if r.Usable || !r.RateLimited {
		t.Fatalf("want unusable and rate_limited\n%s", run)
	}
	if r.Verdict != "rate limited (429, Retry-After: 30, remaining 0/60)" {
		t.Errorf("verdict %q", r.Verdict)
	}
	info := r.Files["info"]
	if info.Status == nil || *info.Status != 429 || info.Headers["retry-after"] != "30" ||
		info.Headers["x-ratelimit-remaining"] != "0" || info.Headers["x-ratelimit-limit"] != "60" {
		t.Errorf("info: status %v headers %v", info.Status, info.Headers)
	}
	if r.Files["mod"].Attempted || r.Files["zip"].Attempted {
		t.Errorf("probe went on asking a rate-limited proxy\n%s", run)
	}
	if n := up.Total(); n != 1 {
		t.Errorf("upstream saw %d requests, want 1", n)
	}

	run = runProbe(t, nil, up.URL, "--module", moduleArg(m))
	expectCode(t, run, 1)
	if !regexp.MustCompile(`(?m)^\s+verdict\s+rate limited \(429, Retry-After: 30`).MatchString(run.stdout) ||
		!regexp.MustCompile(`(?m)^\s+\.info\s+status\s+429 \(rate limited\)$`).MatchString(run.stdout) {
		t.Errorf("table does not show the rate limit\n%s", run)
	}
}

// Nothing listening: unusable, and the verdict names the connection failure.
func TestProbeClosedPortIsAConnectionFailure(t *testing.T) {
	refused := harness.RefusedURL(t)
	reports, run := probeJSON(t, nil, refused)
	expectCode(t, run, 1)
	r := onlyReport(t, reports, run)
	if r.Usable || r.Verdict != "unusable: connection failed" {
		t.Fatalf("verdict %q usable %v\n%s", r.Verdict, r.Usable, run)
	}
	info := r.Files["info"]
	if info.Status != nil || info.Failure == nil || *info.Failure != "connection failed" || info.Error == nil {
		t.Errorf("info: status %v failure %v error %v", info.Status, info.Failure, info.Error)
	}
	if r.Detail == nil || !strings.Contains(*r.Detail, "connect") {
		t.Errorf("detail %v does not say what failed", r.Detail)
	}

	run = runProbe(t, nil, refused)
	expectCode(t, run, 1)
	if !regexp.MustCompile(`(?m)^\s+verdict\s+unusable: connection failed$`).MatchString(run.stdout) {
		t.Errorf("table verdict\n%s", run)
	}
}

// Two proxies in one run: one column each, in the order given, credentials
// sent to the proxy but never printed.
func TestProbeTwoProxiesSideBySide(t *testing.T) {
	e := newEnv(t)
	direct := harness.Upstream(t, e.f.Tree)
	withCreds := strings.Replace(direct.URL, "http://", "http://probe-user:s3cret-pw@", 1)
	shown := strings.Replace(direct.URL, "http://", "http://***@", 1)
	m := e.mod(t, "github.com/pkg/errors", "v0.9.1")

	run := runProbe(t, nil, e.p.URL, withCreds+"/")
	expectCode(t, run, 0)
	if strings.Contains(run.stdout+run.stderr, "s3cret") {
		t.Fatalf("output shows the password\n%s", run)
	}
	lines := strings.Split(run.stdout, "\n")
	header := -1
	for i, l := range lines {
		if strings.Contains(l, e.p.URL) {
			header = i
			break
		}
	}
	if header < 0 || !regexp.MustCompile(`^\s+`+regexp.QuoteMeta(e.p.URL)+`\s+`+regexp.QuoteMeta(shown)+`$`).MatchString(lines[header]) {
		t.Fatalf("no header line with both proxies, in order\n%s", run)
	}
	col := strings.Index(lines[header], shown)
	for _, row := range []string{`\.info\s+status`, `ttfb`, `total`, `size`, `speed`, `verdict`} {
		re := regexp.MustCompile(`^\s+` + row + `\s`)
		n := 0
		for _, l := range lines[header+1:] {
			if !re.MatchString(l) {
				continue
			}
			n++
			if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
				t.Errorf("row %q has no second column at offset %d: %q", row, col, l)
			}
		}
		if n == 0 {
			t.Errorf("no %q row\n%s", row, run)
		}
	}
	if !regexp.MustCompile(`(?m)^\s+verdict\s+ok\s+ok$`).MatchString(run.stdout) ||
		!regexp.MustCompile(`(?m)^\s+\.info\s+status\s+200 \(cache miss\)\s+200$`).MatchString(run.stdout) {
		t.Errorf("want 200 (cache miss) from modproxy, 200 from the fixture, ok twice\n%s", run)
	}
	if !strings.Contains(run.stdout, moduleArg(m)) {
		t.Errorf("the table does not name the module probed (%s)\n%s", moduleArg(m), run)
	}
	// The credentials did reach the proxy.
	for _, req := range direct.Requests() {
		if user, pass, ok := (&http.Request{Header: req.Header}).BasicAuth(); !ok || user != "probe-user" || pass != "s3cret-pw" {
			t.Errorf("%s reached the proxy without its credentials", req.Path)
		}
	}

	reports, run := probeJSON(t, nil, e.p.URL, withCreds)
	expectCode(t, run, 0)
	if len(reports) != 2 || reports[0].Proxy != e.p.URL || reports[1].Proxy != shown {
		t.Fatalf("want reports for %s then %s\n%s", e.p.URL, shown, run)
	}
	if strings.Contains(run.stdout, "s3cret") {
		t.Errorf("JSON shows the password\n%s", run)
	}
}

// Bad arguments: exit 2 with one line on stderr, and no request to anyone.
func TestProbeUsageErrorsExit2(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no URL", nil, "proxy URL"},
		{"module without version", []string{up.URL, "--module", "example.com/hello"}, "module@version"},
		{"bad module path", []string{up.URL, "--module", "Example.com/hello@v1.0.0"}, "Example.com/hello"},
		{"non-canonical version", []string{up.URL, "--module", "example.com/hello@v1.0"}, "use v1.0.0"},
		{"invalid version", []string{up.URL, "--module", "example.com/hello@main"}, "main"},
		{"major version mismatch", []string{up.URL, "--module", "example.com/hello@v2.0.0"}, "v2.0.0"},
		{"not an http URL", []string{"ftp://127.0.0.1/"}, "http:// or https://"},
		{"bare host", []string{"proxy.golang.org"}, "http:// or https://"},
		{"bad URL among good ones", []string{up.URL, "http://user:hidden@bad host/"}, "invalid proxy URL"},
		{"bad timeout", []string{up.URL, "--timeout", "soon"}, "--timeout"},
		{"unknown flag", []string{up.URL, "--frobnicate"}, "frobnicate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := runProbe(t, nil, c.args...)
			expectCode(t, run, 2)
			if !strings.Contains(run.stderr, c.want) || strings.Count(strings.TrimSpace(run.stderr), "\n") != 0 {
				t.Errorf("want one line on stderr naming %q\n%s", c.want, run)
			}
			if run.stdout != "" || strings.Contains(run.stderr, "hidden") {
				t.Errorf("unexpected output\n%s", run)
			}
		})
	}
	if n := up.Total(); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

// A captive portal answering HTML with 200 is unusable; the other files are
// still probed.
func TestProbeHTMLInfoIsUnusable(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	up.Handle(`\.info$`, upstream.Rule{Fault: upstream.HTML})
	m := f.Module(t, "example.com/hello", "v1.0.0")

	reports, run := probeJSON(t, nil, up.URL, "--module", moduleArg(m))
	expectCode(t, run, 1)
	r := onlyReport(t, reports, run)
	if r.Usable || r.RateLimited || !strings.HasPrefix(r.Verdict, "unusable: .info is not") ||
		!strings.Contains(r.Verdict, "JSON") {
		t.Fatalf("verdict %q usable %v\n%s", r.Verdict, r.Usable, run)
	}
	info := r.Files["info"]
	if info.Status == nil || *info.Status != 200 || info.Problem == nil ||
		!strings.HasPrefix(info.Headers["content-type"], "text/html") {
		t.Errorf("info: status %v problem %v headers %v", info.Status, info.Problem, info.Headers)
	}
	for _, ext := range []string{"mod", "zip"} {
		if g := r.Files[ext]; !g.Attempted || g.Status == nil || *g.Status != 200 || g.Problem != nil {
			t.Errorf(".%s: attempted %v status %v problem %v", ext, g.Attempted, g.Status, g.Problem)
		}
	}
	run = runProbe(t, nil, up.URL, "--module", moduleArg(m))
	expectCode(t, run, 1)
	if !regexp.MustCompile(`(?m)^\s+\.info\s+status\s+200 \(bad answer\)$`).MatchString(run.stdout) {
		t.Errorf("table does not flag the .info answer\n%s", run)
	}
}

// Other bad answers: a 404 .zip, a .zip that is not a zip, and a proxy that
// hangs past --timeout.
func TestProbeOtherUnusableAnswers(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/hello", "v1.0.0")
	cases := []struct {
		name    string
		pattern string
		rule    upstream.Rule
		verdict string
	}{
		{"zip 404", `\.zip$`, upstream.Rule{Fault: upstream.Status, Status: 404, Body: []byte("not found")}, "unusable: .zip answered 404"},
		{"zip not a zip", `\.zip$`, upstream.Rule{Fault: upstream.Body, Body: []byte("<html>")}, "unusable: .zip is not a zip file (no PK signature)"},
		{"mod without module", `\.mod$`, upstream.Rule{Fault: upstream.Body, Body: []byte("hello\n")}, "unusable: .mod has no module directive"},
		{"hang", `\.mod$`, upstream.Rule{Fault: upstream.Hang}, "unusable: timed out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up := harness.Upstream(t, f.Tree)
			up.Handle(c.pattern, c.rule)
			var reports []probeReport
			var run probeRun
			harness.Within(t, 10*time.Second, "probe with --timeout 500ms", func() {
				reports, run = probeJSON(t, nil, up.URL, "--module", moduleArg(m), "--timeout", "500ms")
			})
			expectCode(t, run, 1)
			if r := onlyReport(t, reports, run); r.Usable || r.Verdict != c.verdict {
				t.Errorf("verdict %q, want %q\n%s", r.Verdict, c.verdict, run)
			}
		})
	}
}

// module@latest asks the proxy's @latest first and probes the version it names.
func TestProbeLatestResolvesFirst(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	reports, run := probeJSON(t, nil, up.URL, "--module", "example.com/hello@latest")
	expectCode(t, run, 0)
	r := onlyReport(t, reports, run)
	if r.Requested != "latest" || r.Version == nil || *r.Version != "v1.1.0" {
		t.Fatalf("requested %q version %v, want latest -> v1.1.0\n%s", r.Requested, r.Version, run)
	}
	if l := r.Files["latest"]; !l.Attempted || l.Status == nil || *l.Status != 200 {
		t.Errorf("@latest not fetched\n%s", run)
	}
	if up.Count("/example.com/hello/@latest") != 1 || up.Count("/example.com/hello/@v/v1.1.0.zip") != 1 {
		t.Errorf("requests: %+v", up.Requests())
	}
}

// HTTPS: a TLS front end whose certificate only a test CA vouches for. With
// SSL_CERT_FILE naming that CA the proxy is usable and the TLS phase is
// timed; without it the certificate is refused.
func TestProbeHTTPSWithTestCA(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	target, _ := url.Parse(up.URL)
	front := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
	front.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	front.StartTLS()
	t.Cleanup(front.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	m := f.Module(t, "example.com/hello", "v1.0.0")

	reports, run := probeJSON(t, []string{"SSL_CERT_FILE=" + ca}, front.URL, "--module", moduleArg(m))
	expectCode(t, run, 0)
	r := onlyReport(t, reports, run)
	for _, ext := range []string{"info", "mod", "zip"} {
		if tls := r.Files[ext].TimingsMs["tls"]; tls == nil || *tls <= 0 {
			t.Errorf(".%s: timings_ms.tls = %v, want a TLS handshake time", ext, tls)
		}
	}

	reports, run = probeJSON(t, nil, front.URL, "--module", moduleArg(m))
	expectCode(t, run, 1)
	if r := onlyReport(t, reports, run); r.Verdict != "unusable: TLS failed" {
		t.Errorf("verdict %q, want unusable: TLS failed\n%s", r.Verdict, run)
	}
}
