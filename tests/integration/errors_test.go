package integration

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// Not found: 404 with a one-line text/plain reason (the go command prints it),
// never cached under a final name.
func TestNotFoundIs404WithOneLineReason(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{
		"/example.com/missing/@v/list",
		"/example.com/missing/@v/v1.0.0.info",
		"/example.com/missing/@v/v1.0.0.mod",
		"/example.com/missing/@v/v1.0.0.zip",
		"/example.com/missing/@latest",
		"/example.com/hello/@v/v1.9.9.info",
		"/example.com/hello/@v/v1.9.9.mod",
		"/example.com/hello/@v/v1.9.9.zip",
	} {
		r := e.p.Get(path)
		if r.Status != 404 {
			t.Errorf("want 404, got %s", r)
			continue
		}
		r.ExpectOneLineError(t)
		r.ExpectCacheHitHeader(t, "")
	}
	for _, f := range []string{"example.com/missing/@v/list", "example.com/hello/@v/v1.9.9.zip", "example.com/hello/@v/v1.9.9.info"} {
		if data := harness.ReadCache(e.p.CacheDir, f); data != nil {
			t.Errorf("a not-found answer left %s in the cache: %q", f, data)
		}
	}
}

// 410 from the upstream stays 410 (the go command treats both as not found,
// but a client may care).
func TestUpstream410IsPassedThrough(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/hello", "v1.0.0")
	e.up.Handle(`^/example.com/hello/@v/v1.0.0.info$`, upstream.Rule{Fault: upstream.Status, Status: 410, Body: []byte("gone: removed by policy")})
	r := e.p.Get(m.URLPath("info"))
	if r.Status != 410 {
		t.Fatalf("want 410, got %s", r)
	}
	r.ExpectOneLineError(t)
	r.ExpectCacheHitHeader(t, "")
}

// Bad requests: 400 before any upstream traffic.
func TestBadRequestsAre400WithoutUpstreamTraffic(t *testing.T) {
	e := newEnv(t)
	// Build paths of exact lengths around the 2048-byte limit with a valid module path.
	sized := func(n int) string {
		const head, tail = "/example.com/", "/@v/list"
		return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
	}
	cases := []struct{ name, path string }{
		{"dotdot in module", "/example.com/../hello/@v/list"},
		{"dotdot escaping the tree", "/example.com/hello/@v/../../../../etc/passwd.info"},
		{"percent-encoded dotdot", "/example.com/%2e%2e/hello/@v/list"},
		{"encoded slash in module", "/example.com%2Fhello/@v/list"},
		{"encoded slash in version", "/example.com/hello/@v/v1.0.0%2F..%2Fx.info"},
		{"double bang", "/example.com/%21%21upper/@v/list"},
		{"double bang literal", "/example.com/!!upper/@v/list"},
		{"trailing bang", "/example.com/upper%21/@v/list"},
		{"bang before digit", "/example.com/%211upper/@v/list"},
		{"literal uppercase in module", "/example.com/Upper/@v/list"},
		{"literal uppercase in version", "/example.com/%21upper/@v/v1.0.1-RC1.info"},
		{"path over 2048 bytes", sized(2049)},
		{"mod version without v", "/example.com/hello/@v/1.0.0.mod"},
		{"mod version not canonical", "/example.com/hello/@v/v1.0.mod"},
		{"zip version with build metadata", "/example.com/hello/@v/v1.0.0+build.zip"},
		{"zip version with leading zero", "/example.com/hello/@v/v01.0.0.zip"},
		{"zip branch name", "/example.com/hello/@v/master.zip"},
		{"mod query word", "/example.com/hello/@v/latest.mod"},
	}
	for _, c := range cases {
		r := e.p.Get(c.path)
		if r.Status != 400 {
			t.Errorf("%s: want 400, got %d for %.120s (body %q)", c.name, r.Status, c.path, r.Body)
			continue
		}
		r.ExpectContentType(t, "text/plain", "utf-8")
		r.ExpectCacheHitHeader(t, "")
	}
	if n := e.up.Total(); n != 0 {
		var paths []string
		for _, r := range e.up.Requests() {
			paths = append(paths, r.Path)
		}
		t.Errorf("bad requests reached the upstream %d times: %.500q", n, paths)
	}
	// Exactly 2048 bytes is allowed: a plain not-found, not a 400.
	if r := e.p.Get(sized(2048)); r.Status != 404 {
		t.Errorf("a 2048-byte path: want 404 (allowed length, unknown module), got %d %q", r.Status, r.Body)
	}
}

// Bytes that are not HTTP, and headers past the size limit, get a 400 with a
// reason before the connection closes, and are counted as bad requests.
func TestMalformedHTTPIs400(t *testing.T) {
	e := newEnv(t)
	for name, payload := range map[string]string{
		"not HTTP":    "GARBAGE\r\n\r\n",
		"huge header": "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n",
		"bad version": "GET /healthz HTTP/9\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", e.p.Addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := conn.Write([]byte(payload)); err != nil {
				t.Fatal(err)
			}
			reply, _ := io.ReadAll(conn)
			if !strings.HasPrefix(string(reply), "HTTP/1.1 400 ") {
				t.Fatalf("want a 400 status line, got %q", harness.OneLine(reply))
			}
		})
	}
	expectReason(t, e.p, []string{"bad_request"})
}
