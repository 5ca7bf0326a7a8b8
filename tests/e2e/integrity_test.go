package e2e

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// The go command with GOSUMDB=off behind a modproxy that verifies against a
// database: only modproxy can catch a lie, and the go command shows its
// SECURITY line (from the 403 body, after "server response:").
func TestGoCommandThroughVerifyingProxy(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := harness.StartSumdbArgs(t, f,
		"-tamper", "example.com/hello@v1.0.0:zip", "-tamper", "example.com/hello@v1.1.0:mod")
	// A refusal may be remembered for --negative-ttl; keep that short so the
	// last case can see the honest zip again.
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey + " " + db.URL,
		Args: []string{"--negative-ttl", "200ms"}})
	env := harness.NewGoEnv(t, p.URL, "off")

	t.Run("good", func(t *testing.T) {
		env.Download(t, f.Module(t, "example.com/Upper", "v1.0.1-RC1"),
			f.Module(t, "example.com/legacy", "v2.0.0+incompatible"),
			f.Module(t, "github.com/pkg/errors", "v0.9.1"), f.Module(t, "github.com/google/uuid", "v1.3.0"),
			f.Module(t, "example.com/big", "v1.0.0"))
	})
	for _, c := range []struct{ name, mod string }{
		{"zip-record-differs", "example.com/hello@v1.0.0"},
		{"gomod-record-differs", "example.com/hello@v1.1.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectGoSecurity(t, env, c.mod)
		})
	}
	t.Run("upstream-serves-other-zip", func(t *testing.T) {
		m := f.Module(t, "example.com/hello/v2", "v2.0.0")
		up.Handle("^/"+m.TreePath("zip")+"$", upstream.Rule{Fault: upstream.Body, Body: otherZip(t, f.Read(t, m.TreePath("zip")))})
		expectGoSecurity(t, env, m.Path+"@"+m.Version)
		up.ClearRules()
		harness.Eventually(t, 10*time.Second, func() (bool, string) {
			r := p.Get(m.URLPath("zip"))
			return r.Status == 200, fmt.Sprintf("honest zip still answered %d", r.Status)
		})
		env.Download(t, m)
	})
}

// expectGoSecurity runs `go mod download -json mod` and expects it to fail
// with modproxy's SECURITY line, leaving no zip in the module cache.
func expectGoSecurity(t *testing.T, env *harness.GoEnv, mod string) {
	t.Helper()
	out, errOut, err := env.RunErr(t.TempDir(), "mod", "download", "-json", mod)
	if err == nil {
		t.Fatalf("go mod download %s succeeded through a verifying modproxy:\n%s", mod, out)
	}
	if !strings.Contains(out+errOut, "SECURITY") {
		t.Errorf("go mod download %s failed without modproxy's SECURITY line:\nstdout:\n%s\nstderr:\n%s", mod, out, errOut)
	}
	if !strings.Contains(out+errOut, "server response") {
		t.Errorf("go mod download %s: expected the go command to show the server response:\n%s%s", mod, out, errOut)
	}
	path, version, _ := strings.Cut(mod, "@")
	zips, _ := filepath.Glob(filepath.Join(env.ModPath, "cache", "download", filepath.FromSlash(path), "@v", version+".zip"))
	if len(zips) != 0 {
		t.Errorf("the go command stored %v", zips)
	}
}

// otherZip is z with one more comment line in every .go file.
func otherZip(t *testing.T, z []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if strings.HasSuffix(f.Name, ".go") {
			data = append(data, "\n// changed upstream\n"...)
		}
		fw, err := w.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
