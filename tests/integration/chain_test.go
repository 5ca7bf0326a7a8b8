package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// GOPROXY chain semantics between two fixture upstreams A and B: ',' falls
// through only on 404/410, '|' on any error; 'off' ends the chain.
func TestUpstreamChains(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/hello", "v1.0.0")
	info := "/" + m.TreePath("info")
	cases := []struct {
		name       string
		sep        string
		ruleA      *upstream.Rule
		wantStatus int
		wantB      int // requests B must see for the file
	}{
		{"comma falls through on 404", ",", &upstream.Rule{Fault: upstream.Status, Status: 404, Body: []byte("not found")}, 200, 1},
		{"comma falls through on 410", ",", &upstream.Rule{Fault: upstream.Status, Status: 410, Body: []byte("gone")}, 200, 1},
		{"comma stops on 500", ",", &upstream.Rule{Fault: upstream.Status, Status: 500, Body: []byte("boom")}, 502, 0},
		{"comma stops on invalid answer", ",", &upstream.Rule{Fault: upstream.HTML}, 502, 0},
		{"comma stops on 403", ",", &upstream.Rule{Fault: upstream.Status, Status: 403, Body: []byte("forbidden")}, 502, 0},
		{"pipe falls through on 500", "|", &upstream.Rule{Fault: upstream.Status, Status: 500, Body: []byte("boom")}, 200, 1},
		{"pipe falls through on invalid answer", "|", &upstream.Rule{Fault: upstream.HTML}, 200, 1},
		{"pipe falls through on timeout", "|", &upstream.Rule{Fault: upstream.Hang}, 200, 1},
		{"pipe falls through on 404", "|", &upstream.Rule{Fault: upstream.Status, Status: 404, Body: []byte("not found")}, 200, 1},
		{"first answer wins", ",", nil, 200, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := harness.Upstream(t, f.Tree), harness.Upstream(t, f.Tree)
			if c.ruleA != nil {
				a.Handle(`\.info$`, *c.ruleA)
			}
			p := harness.Start(t, harness.Options{Upstream: a.URL + c.sep + b.URL, Args: []string{"--upstream-timeout", "1s"}})
			r := p.Get(m.URLPath("info"))
			if r.Status != c.wantStatus {
				t.Fatalf("upstream %q: want %d, got %s", a.URL+c.sep+b.URL, c.wantStatus, r)
			}
			if n := a.Count(info); n != 1 {
				t.Errorf("A saw %d requests, want 1", n)
			}
			if n := b.Count(info); n != c.wantB {
				t.Errorf("B saw %d requests, want %d", n, c.wantB)
			}
			if c.wantStatus == 200 {
				if v, _ := infoOf(t, r); v != m.Version {
					t.Errorf("Version %q", v)
				}
			}
		})
	}
}

func TestChainAllNotFoundIs404(t *testing.T) {
	f := harness.Fixture(t)
	a, b := harness.Upstream(t, f.Tree), harness.Upstream(t, f.Tree)
	p := harness.Start(t, harness.Options{Upstream: a.URL + "," + b.URL})
	r := p.Get("/example.com/missing/@v/list")
	if r.Status != 404 {
		t.Fatalf("want 404, got %s", r)
	}
	r.ExpectOneLineError(t)
	if a.Total() != 1 || b.Total() != 1 {
		t.Errorf("A saw %d, B saw %d requests, want 1 each", a.Total(), b.Total())
	}
}

// A connection refused by A is an error: '|' moves on to B.
func TestPipeFallsThroughOnConnectionRefused(t *testing.T) {
	f := harness.Fixture(t)
	b := harness.Upstream(t, f.Tree)
	p := harness.Start(t, harness.Options{Upstream: harness.RefusedURL(t) + "|" + b.URL})
	m := f.Module(t, "example.com/hello", "v1.1.0")
	p.Get(m.URLPath("zip")).ExpectBody(t, f.Read(t, m.TreePath("zip")))
}

// "off" answers not found without contacting anything, alone or ending a chain.
func TestOffEndsTheChain(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/hello", "v1.0.0")

	alone := harness.Start(t, harness.Options{Upstream: "off"})
	if r := alone.Get(m.URLPath("info")); r.Status != 404 {
		t.Errorf("upstream off: want 404, got %s", r)
	}

	a, b := harness.Upstream(t, f.Tree), harness.Upstream(t, f.Tree)
	a.Handle(`.`, upstream.Rule{Fault: upstream.Status, Status: 404, Body: []byte("not here")})
	p := harness.Start(t, harness.Options{Upstream: a.URL + ",off," + b.URL})
	if r := p.Get(m.URLPath("info")); r.Status != 404 {
		t.Errorf("A,off,B with A 404: want 404, got %s", r)
	}
	if b.Total() != 0 {
		t.Errorf("B after off was contacted %d times", b.Total())
	}
}

// "direct" for a path whose host does not exist (.invalid never resolves,
// RFC 6761): 404 naming the path, like the go command's "unrecognized import
// path", so a ','-chain moves on; nothing is cached.
func TestDirectUnknownHostIsNotFound(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/hello", "v1.0.0")
	p := harness.Start(t, harness.Options{Upstream: "direct"})
	for _, path := range []string{"/modproxy-test.invalid/hello/@v/v1.0.0.info",
		"/modproxy-test.invalid/hello/@v/v1.0.0.zip", "/modproxy-test.invalid/hello/@v/list"} {
		r := p.Get(path)
		if r.Status != 404 || !strings.Contains(string(r.Body), "modproxy-test.invalid/hello") {
			t.Errorf("upstream direct: want 404 naming the path, got %s", r)
		}
		r.ExpectCacheHitHeader(t, "")
	}
	harness.ExpectLayout(t, p.CacheDir)

	a := harness.Upstream(t, f.Tree)
	chain := harness.Start(t, harness.Options{Upstream: a.URL + ",direct"})
	if r := chain.Get(m.URLPath("info")); r.Status != 200 {
		t.Errorf("A,direct with A serving: want 200, got %s", r)
	}
	if r := chain.Get("/modproxy-test.invalid/missing/@v/list"); r.Status != 404 {
		t.Errorf("A,direct with A 404: want 404, got %s", r)
	}
}

// file:// upstreams serve a tree; a missing file is not found and falls through.
func TestFileUpstream(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/Upper", "v1.0.1-RC1")
	p := harness.Start(t, harness.Options{Upstream: "file://" + f.Tree})
	for _, ext := range []string{"mod", "zip"} {
		p.Get(m.URLPath(ext)).ExpectBody(t, f.Read(t, m.TreePath(ext)))
	}
	if got := versions(p.Get("/example.com/%21upper/@v/list").Body); len(got) != 2 {
		t.Errorf("list via file:// = %v", got)
	}
	if r := p.Get("/example.com/missing/@v/v1.0.0.info"); r.Status != 404 {
		t.Errorf("missing file via file://: want 404, got %s", r)
	}

	// A tree that lacks the module, then an HTTP upstream that has it.
	b := harness.Upstream(t, f.Tree)
	chain := harness.Start(t, harness.Options{Upstream: "file://" + t.TempDir() + "," + b.URL})
	chain.Get(m.URLPath("zip")).ExpectBody(t, f.Read(t, m.TreePath("zip")))
	if b.Count("/"+m.TreePath("zip")) != 1 {
		t.Errorf("HTTP upstream after an empty file:// tree: %v", b.Requests())
	}
}

// An upstream URL with a base path (and a trailing slash) is a prefix of every request.
func TestUpstreamWithBasePath(t *testing.T) {
	f := harness.Fixture(t)
	root := t.TempDir()
	if err := os.Symlink(f.Tree, filepath.Join(root, "mirror")); err != nil {
		t.Fatal(err)
	}
	up := harness.Upstream(t, root)
	p := harness.Start(t, harness.Options{Upstream: up.URL + "/mirror/"})
	m := f.Module(t, "example.com/Upper", "v1.0.0")
	p.Get(m.URLPath("mod")).ExpectBody(t, f.Read(t, m.TreePath("mod")))
	if n := up.Count("/mirror/" + m.TreePath("mod")); n != 1 {
		t.Errorf("upstream requests %v, want one for /mirror/%s", up.Requests(), m.TreePath("mod"))
	}
}
