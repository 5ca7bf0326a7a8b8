package integration

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"modproxy/tests/internal/harness"
)

const (
	immutable = "public, max-age=31536000, immutable"
	shortLive = "public, max-age=60"
)

// resource is one protocol endpoint with what the contract says about it.
type resource struct {
	name     string
	path     string
	ctype    string // media type
	charset  string // "" when not checked
	cache    string // Cache-Control
	cachesOn bool   // second GET must be a cache hit
	check    func(t *testing.T, r *harness.Response)
}

func helloResources(t *testing.T, e *env) []resource {
	m := e.mod(t, "example.com/hello", "v1.0.0")
	return []resource{
		{"list", "/example.com/hello/@v/list", "text/plain", "utf-8", shortLive, true, func(t *testing.T, r *harness.Response) {
			if got, want := versions(r.Body), sorted("v1.0.0", "v1.1.0", "v1.2.0-rc.1"); !reflect.DeepEqual(got, want) {
				t.Errorf("list = %v, want %v", got, want)
			}
		}},
		{"info", m.URLPath("info"), "application/json", "", immutable, true, func(t *testing.T, r *harness.Response) {
			if v, tm := infoOf(t, r); v != m.Version || tm != m.Time {
				t.Errorf(".info = %s %s, want %s %s", v, tm, m.Version, m.Time)
			}
		}},
		{"mod", m.URLPath("mod"), "text/plain", "utf-8", immutable, true, func(t *testing.T, r *harness.Response) {
			r.ExpectBody(t, e.f.Read(t, m.TreePath("mod")))
		}},
		{"zip", m.URLPath("zip"), "application/zip", "", immutable, true, func(t *testing.T, r *harness.Response) {
			r.ExpectBody(t, e.f.Read(t, m.TreePath("zip")))
		}},
		{"latest", "/example.com/hello/@latest", "application/json", "", shortLive, true, func(t *testing.T, r *harness.Response) {
			if v, _ := infoOf(t, r); v != "v1.1.0" {
				t.Errorf("@latest = %s, want v1.1.0", v)
			}
		}},
		// A branch query: the answer can change, so it must not be immutable.
		{"noncanonical-info", "/example.com/hello/@v/master.info", "application/json", "", shortLive, false, func(t *testing.T, r *harness.Response) {
			if v, _ := infoOf(t, r); v != "v1.1.0" {
				t.Errorf("master.info = %s, want v1.1.0", v)
			}
		}},
	}
}

func normCC(s string) string { return strings.ReplaceAll(strings.ToLower(s), " ", "") }

func expectHeaders(t *testing.T, rs resource, r *harness.Response) {
	t.Helper()
	r.ExpectContentType(t, rs.ctype, rs.charset)
	if got := r.Header.Get("Cache-Control"); normCC(got) != normCC(rs.cache) {
		t.Errorf("%s: Cache-Control %q, want %q", rs.path, got, rs.cache)
	}
	if got := r.Header.Get("Content-Length"); got != strconv.Itoa(len(r.Body)) {
		t.Errorf("%s: Content-Length %q, body has %d bytes", rs.path, got, len(r.Body))
	}
}

// Every endpoint: status, body, Content-Type, Cache-Control, Content-Length,
// and X-Go-Proxy-Cache-Hit false on the fill, true afterwards.
func TestEndpointsServeBodiesAndHeaders(t *testing.T) {
	e := newEnv(t)
	for _, rs := range helloResources(t, e) {
		t.Run(rs.name, func(t *testing.T) {
			first := e.p.Get(rs.path)
			first.ExpectStatus(t, 200)
			rs.check(t, first)
			expectHeaders(t, rs, first)
			first.ExpectCacheHitHeader(t, "false")

			second := e.p.Get(rs.path)
			second.ExpectStatus(t, 200)
			rs.check(t, second)
			expectHeaders(t, rs, second)
			if rs.cachesOn {
				second.ExpectCacheHitHeader(t, "true")
			} else {
				second.ExpectCacheHitHeader(t, "")
			}
		})
	}
	if n := e.up.Count("/example.com/hello/@v/v1.0.0.zip"); n != 1 {
		t.Errorf("upstream saw %d requests for the zip, want 1 (second GET must be a cache hit)", n)
	}
}

// HEAD answers the same status and headers as GET and sends no body, both for
// a cached file and for one that has to be fetched first.
func TestHeadSendsHeadersWithoutBody(t *testing.T) {
	e := newEnv(t)
	rsByName := map[string]resource{}
	for _, rs := range helloResources(t, e) {
		rsByName[rs.name] = rs
	}
	upper := e.mod(t, "example.com/Upper", "v1.0.0")
	cases := []struct {
		name, path string
		size       int
		rs         resource
		warm       bool
	}{
		{"uncached zip", upper.URLPath("zip"), int(upper.ZipSize), resource{ctype: "application/zip", cache: immutable}, false},
		{"cached list", rsByName["list"].path, -1, rsByName["list"], true},
		{"cached info", rsByName["info"].path, -1, rsByName["info"], true},
		{"cached zip", rsByName["zip"].path, -1, rsByName["zip"], true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.size
			if c.warm {
				want = len(e.p.Get(c.path).Body)
			}
			raw := harness.RawExchange(t, e.p.Addr, "HEAD "+c.path+" HTTP/1.1\r\nHost: modproxy\r\nConnection: close\r\n\r\n")
			resp, rest := harness.SplitRaw(t, raw, "HEAD")
			if resp.StatusCode != 200 {
				t.Fatalf("HEAD %s: %s", c.path, resp.Status)
			}
			if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(want) {
				t.Errorf("HEAD %s: Content-Length %q, want %d", c.path, got, want)
			}
			if len(rest) != 0 {
				t.Errorf("HEAD %s: %d body bytes sent", c.path, len(rest))
			}
			hr := &harness.Response{Method: "HEAD", Path: c.path, Status: resp.StatusCode, Header: resp.Header}
			hr.ExpectContentType(t, c.rs.ctype, c.rs.charset)
			hr.ExpectCacheHitHeader(t, "")
			if got := resp.Header.Get("Cache-Control"); normCC(got) != normCC(c.rs.cache) {
				t.Errorf("HEAD %s: Cache-Control %q, want %q", c.path, got, c.rs.cache)
			}
		})
	}
}

// Any method but GET and HEAD: 405 with an Allow header, upstream untouched.
func TestOtherMethodsAre405WithAllow(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/hello", "v1.0.0")
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		for _, path := range []string{"/example.com/hello/@v/list", m.URLPath("info"), m.URLPath("zip"), "/example.com/hello/@latest"} {
			r := e.p.Client().Do(method, path)
			if r.Status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", method, path, r.Status)
				continue
			}
			allow := strings.ToUpper(r.Header.Get("Allow"))
			if !strings.Contains(allow, "GET") || !strings.Contains(allow, "HEAD") {
				t.Errorf("%s %s: Allow %q, want GET and HEAD", method, path, r.Header.Get("Allow"))
			}
			r.ExpectContentType(t, "text/plain", "utf-8")
			r.ExpectCacheHitHeader(t, "")
		}
	}
	if n := e.up.Total(); n != 0 {
		t.Errorf("upstream got %d requests for rejected methods: %v", n, e.up.Requests())
	}
	if r := e.p.Client().Do("POST", "/healthz"); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d, want 405", r.Status)
	}
}

// Case-encoding: "!" arrives as %21 (how the go command sends it) or literally;
// the upstream is asked for the escaped path; the list holds real versions.
func TestUppercaseModuleAndVersionEscaping(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/Upper", "v1.0.1-RC1")
	for _, ext := range []string{"info", "mod", "zip"} {
		r := e.p.Get(m.URLPath(ext))
		r.ExpectStatus(t, 200)
		if ext == "info" {
			if v, _ := infoOf(t, r); v != "v1.0.1-RC1" {
				t.Errorf(".info Version = %q, want v1.0.1-RC1", v)
			}
		} else {
			r.ExpectBody(t, e.f.Read(t, m.TreePath(ext)))
		}
		if n := e.up.Count("/" + m.TreePath(ext)); n != 1 {
			t.Errorf("upstream got %d requests for /%s, want 1; all: %v", n, m.TreePath(ext), e.up.Requests())
		}
		if got := harness.ReadCache(e.p.CacheDir, m.TreePath(ext)); got == nil {
			t.Errorf("cache lacks %s", m.TreePath(ext))
		}
	}
	// The literal "!" form is the same resource: a cache hit now.
	r := e.p.Get("/example.com/!upper/@v/v1.0.1-!r!c1.mod")
	r.ExpectBody(t, e.f.Read(t, m.TreePath("mod")))
	r.ExpectCacheHitHeader(t, "true")

	list := e.p.Get("/example.com/%21upper/@v/list")
	list.ExpectStatus(t, 200)
	if got, want := versions(list.Body), sorted("v1.0.0", "v1.0.1-RC1"); !reflect.DeepEqual(got, want) {
		t.Errorf("list = %v, want %v (unescaped versions)", got, want)
	}
	latest := e.p.Get("/example.com/%21upper/@latest")
	latest.ExpectStatus(t, 200)
	if v, _ := infoOf(t, latest); v != "v1.0.0" {
		t.Errorf("@latest = %s, want v1.0.0", v)
	}
}

// "+incompatible" arrives with a literal "+" (never decoded as a space), or
// as %2B; modules without go.mod get the synthesized one from upstream.
func TestIncompatibleVersionAndSynthesizedGoMod(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/legacy", "v2.0.0+incompatible")
	r := e.p.Get("/example.com/legacy/@v/v2.0.0+incompatible.mod")
	r.ExpectBody(t, []byte("module example.com/legacy\n"))
	e.p.Get("/example.com/legacy/@v/v2.0.0%2Bincompatible.zip").ExpectBody(t, e.f.Read(t, m.TreePath("zip")))
	info := e.p.Get("/example.com/legacy/@v/v2.0.0+incompatible.info")
	info.ExpectStatus(t, 200)
	if v, _ := infoOf(t, info); v != "v2.0.0+incompatible" {
		t.Errorf(".info Version = %q", v)
	}
	if got := harness.ReadCache(e.p.CacheDir, "example.com/legacy/@v/v2.0.0+incompatible.zip"); got == nil {
		t.Errorf("cache lacks example.com/legacy/@v/v2.0.0+incompatible.zip; has %v", harness.CacheFiles(t, e.p.CacheDir))
	}
}

// Real modules and a /v2 module come through byte for byte.
func TestRealAndMajorVersionModules(t *testing.T) {
	e := newEnv(t)
	for _, mv := range [][2]string{{"github.com/pkg/errors", "v0.9.1"}, {"github.com/google/uuid", "v1.3.0"}, {"example.com/hello/v2", "v2.0.0"}} {
		m := e.mod(t, mv[0], mv[1])
		for _, ext := range []string{"mod", "zip"} {
			e.p.Get(m.URLPath(ext)).ExpectBody(t, e.f.Read(t, m.TreePath(ext)))
		}
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	e := newEnv(t)
	h := e.p.Get("/healthz")
	h.ExpectStatus(t, 200)
	if strings.TrimSpace(string(h.Body)) != "ok" {
		t.Errorf("/healthz body %q, want ok", h.Body)
	}
	e.p.Get("/readyz").ExpectStatus(t, 200)
	m := e.p.Get("/metrics")
	m.ExpectStatus(t, 200)
	m.ExpectContentType(t, "text/plain", "")
	if !strings.Contains(string(m.Body), "modproxy_") {
		t.Errorf("/metrics has no modproxy_ metric:\n%s", harness.OneLine(m.Body))
	}
}

// The cache dir is a GOPROXY tree: final names exactly where a file:// proxy
// looks, nothing else outside .modproxy/.
func TestCacheLayoutIsAGoproxyTree(t *testing.T) {
	e := newEnv(t)
	var want []string
	for _, mv := range [][2]string{{"example.com/hello", "v1.0.0"}, {"example.com/Upper", "v1.0.1-RC1"}, {"example.com/legacy", "v2.0.0+incompatible"}} {
		m := e.mod(t, mv[0], mv[1])
		e.p.Get("/"+strings.ReplaceAll(m.EscPath, "!", "%21")+"/@v/list").ExpectStatus(t, 200)
		for _, ext := range []string{"info", "mod", "zip"} {
			e.p.Get(m.URLPath(ext)).ExpectStatus(t, 200)
			want = append(want, m.TreePath(ext))
		}
		want = append(want, m.EscPath+"/@v/list")
	}
	e.p.Get("/example.com/hello/@latest").ExpectStatus(t, 200)
	want = append(want, "example.com/hello/@latest")

	for _, rel := range want {
		got := harness.ReadCache(e.p.CacheDir, rel)
		if got == nil {
			t.Errorf("cache lacks %s; has %v", rel, harness.CacheFiles(t, e.p.CacheDir))
			continue
		}
		switch {
		case strings.HasSuffix(rel, ".mod") || strings.HasSuffix(rel, ".zip"):
			if string(got) != string(e.f.Read(t, rel)) {
				t.Errorf("cached %s differs from upstream's", rel)
			}
		case strings.HasSuffix(rel, "/list"):
			if !reflect.DeepEqual(versions(got), versions(e.f.Read(t, rel))) {
				t.Errorf("cached %s = %q, upstream %q", rel, got, e.f.Read(t, rel))
			}
		default:
			r := &harness.Response{Path: rel, Body: got}
			v, _ := infoOf(t, r)
			w, _ := infoOf(t, &harness.Response{Path: rel, Body: e.f.Read(t, rel)})
			if v != w {
				t.Errorf("cached %s has Version %q, want %q", rel, v, w)
			}
		}
	}
	harness.ExpectLayout(t, e.p.CacheDir)
}

// Served from the cache once the upstream is gone, also after a restart.
func TestCachedFilesSurviveUpstreamLossAndRestart(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/hello", "v1.1.0")
	for _, ext := range []string{"info", "mod", "zip"} {
		e.p.Get(m.URLPath(ext)).ExpectStatus(t, 200)
	}
	e.up.Close()
	check := func(p *harness.Proxy, when string) {
		for _, ext := range []string{"info", "mod", "zip"} {
			r := p.Get(m.URLPath(ext))
			if r.Status != 200 {
				t.Errorf("%s: %s", when, r)
				continue
			}
			r.ExpectCacheHitHeader(t, "true")
			if ext != "info" {
				r.ExpectBody(t, e.f.Read(t, m.TreePath(ext)))
			}
		}
	}
	check(e.p, "upstream down")
	if code := e.p.Stop(); code != 0 {
		t.Errorf("SIGTERM exit code %d", code)
	}
	p2 := harness.Start(t, harness.Options{Upstream: e.up.URL, CacheDir: e.p.CacheDir})
	check(p2, fmt.Sprintf("restarted on %s, upstream down", e.p.CacheDir))
}
