package integration

// `modproxy verify [--cache-dir DIR] [--online]`: re-verifies every cached
// version (zip rules, h1, the sums recorded when fetched; --online also asks
// the checksum database), exit 1 on any problem.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"modproxy/tests/internal/harness"
	"modproxy/tests/internal/ziptest"
)

func TestVerifyCommand(t *testing.T) {
	v := newVerifying(t, nil)
	mods := []harness.Module{
		v.f.Module(t, "example.com/hello", "v1.0.0"),
		v.f.Module(t, "example.com/Upper", "v1.0.1-RC1"),
		v.f.Module(t, "example.com/legacy", "v2.0.0+incompatible"),
		v.f.Module(t, "example.com/big", "v1.0.0"),
	}
	for _, m := range mods {
		v.p.Get(m.URLPath("mod")).ExpectBody(t, v.f.Read(t, m.TreePath("mod")))
		v.p.Get(m.URLPath("zip")).ExpectBody(t, v.f.Read(t, m.TreePath("zip")))
	}
	if code := v.p.Stop(); code != 0 {
		t.Fatalf("modproxy exit %d after SIGTERM", code)
	}
	dir := v.p.CacheDir
	verify := func(args ...string) harness.ToolResult {
		t.Helper()
		r := harness.RunTool(t, 2*time.Minute, "", append([]string{"verify", "--cache-dir", dir}, args...)...)
		t.Logf("verify %v: exit %d\n%s%s", args, r.Code, r.Stdout, r.Stderr)
		return r
	}

	if r := verify(); r.Code != 0 {
		t.Fatalf("verify of a good cache: want exit 0\n%s", r)
	} else if strings.TrimSpace(r.Stdout+r.Stderr) == "" {
		t.Errorf("verify printed no summary")
	}

	// --online asks the database (named in the environment, as for serve).
	v.db.Control(t, "reset=requests")
	r := harness.RunToolEnv(t, 2*time.Minute, "", []string{"MODPROXY_SUMDB=" + v.db.VKey + " " + v.db.URL},
		"verify", "--cache-dir", dir, "--online")
	t.Logf("verify --online: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	if r.Code != 0 {
		t.Errorf("verify --online of a good cache: want exit 0\n%s", r)
	}
	if len(v.db.Requests(t)) == 0 {
		t.Errorf("verify --online never asked the checksum database (copies of its answers in the cache are not the database)")
	}

	hello, upper, big := mods[0], mods[1], mods[3]
	corruptions := []struct {
		name string
		m    harness.Module
		rel  string
		data func([]byte) []byte
	}{
		{"zip-replaced", hello, hello.TreePath("zip"), func(b []byte) []byte { return tamperedZip(t, v.f, hello) }},
		{"mod-changed", hello, hello.TreePath("mod"), func(b []byte) []byte { return append(b, "\n// changed\n"...) }},
		{"zip-hostile", upper, upper.TreePath("zip"), func(b []byte) []byte {
			p := upper.Path + "@" + upper.Version + "/"
			return ziptest.Build([]ziptest.Entry{{Name: p + "go.mod", Data: v.f.Read(t, upper.TreePath("mod"))},
				{Name: p + "../../evil.go", Data: []byte("package evil\n")}})
		}},
		{"zip-truncated", big, big.TreePath("zip"), func(b []byte) []byte { return b[:len(b)/2] }},
	}
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, filepath.FromSlash(c.rel))
			orig, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("cache lacks %s: %v", c.rel, err)
			}
			defer os.WriteFile(file, orig, 0o644)
			if err := os.WriteFile(file, c.data(orig), 0o644); err != nil {
				t.Fatal(err)
			}
			r := verify()
			if r.Code != 1 {
				t.Errorf("verify with %s %s: want exit 1\n%s", c.rel, c.name, r)
			}
			out := r.Stdout + r.Stderr
			if !(strings.Contains(out, c.m.Path) || strings.Contains(out, c.m.EscPath)) || !(strings.Contains(out, c.m.Version) || strings.Contains(out, c.m.EscVersion)) {
				t.Errorf("verify output does not name %s@%s:\n%s", c.m.Path, c.m.Version, out)
			}
		})
	}
	if r := verify(); r.Code != 0 {
		t.Errorf("verify after restoring every file: want exit 0\n%s", r)
	}
}

// verify --online against a database that has since forked (a tree
// inconsistent with the one verified at fetch time) reports the misbehaviour.
func TestVerifyOnlineDetectsForkedDatabase(t *testing.T) {
	v := newVerifying(t, nil)
	m := v.f.Module(t, "example.com/hello", "v1.0.0")
	v.p.Get(m.URLPath("mod")).ExpectBody(t, v.f.Read(t, m.TreePath("mod")))
	v.p.Get(m.URLPath("zip")).ExpectBody(t, v.f.Read(t, m.TreePath("zip")))
	v.p.Stop()
	v.db.Control(t, "tree=extend")
	r := harness.RunToolEnv(t, 2*time.Minute, "", []string{"MODPROXY_SUMDB=" + v.db.VKey + " " + v.db.URL},
		"verify", "--cache-dir", v.p.CacheDir, "--online")
	t.Logf("verify --online: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	if r.Code != 1 {
		t.Errorf("verify --online with a forked database: want exit 1\n%s", r)
	}
	if !strings.Contains(r.Stdout+r.Stderr, "SECURITY") && !strings.Contains(strings.ToLower(r.Stdout+r.Stderr), "misbehav") {
		t.Errorf("verify --online should report the database's misbehaviour:\n%s", r)
	}
}
