package integration

// h1 hash vectors: `modproxy hash zip|mod` and `modproxy check-zip` against
// what the real go command computes (go mod download -json through a
// file:// GOPROXY with GOSUMDB=off), for the fixture modules and for zips
// generated here with unusual but valid shapes. The expectations always come
// from running go in the test, never from pasted values.

import (
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"modproxy/tests/internal/harness"
	"modproxy/tests/internal/ziptest"
)

type goDownload struct {
	Path, Version, Error string
	Sum, GoModSum        string
}

// goSums runs `go mod download -json` for path@version args against the
// file:// tree and returns the results by path@version.
func goSums(t *testing.T, tree string, mods []string) map[string]goDownload {
	t.Helper()
	env := harness.NewGoEnv(t, "file://"+tree, "off")
	out, errOut, err := env.RunErr(t.TempDir(), append([]string{"mod", "download", "-json"}, mods...)...)
	got := map[string]goDownload{}
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var r goDownload
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go mod download -json output: %v\n%s", err, out)
		}
		got[r.Path+"@"+r.Version] = r
	}
	if err != nil {
		t.Logf("go mod download: %v\n%s", err, errOut)
	}
	return got
}

var okLineRE = regexp.MustCompile(`^ok: (\S+)@(\S+), (\d+) files?, (h1:\S+)$`)

// checkHashes compares modproxy's hashes of the tree's files with go's.
func checkHashes(t *testing.T, tree, path, version, escPath, escVersion string, g goDownload, files int) {
	t.Helper()
	if g.Error != "" || g.Sum == "" || g.GoModSum == "" {
		t.Fatalf("the go command did not download %s@%s: %+v", path, version, g)
	}
	zipFile := filepath.Join(tree, filepath.FromSlash(escPath), "@v", escVersion+".zip")
	modFile := filepath.Join(tree, filepath.FromSlash(escPath), "@v", escVersion+".mod")
	for _, c := range []struct{ kind, file, want string }{{"zip", zipFile, g.Sum}, {"mod", modFile, g.GoModSum}} {
		r := harness.RunTool(t, time.Minute, "", "hash", c.kind, c.file)
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != c.want {
			t.Errorf("modproxy hash %s %s@%s = %q (exit %d, stderr %q), go says %s",
				c.kind, path, version, strings.TrimSpace(r.Stdout), r.Code, strings.TrimSpace(r.Stderr), c.want)
		}
	}
	r := harness.RunTool(t, time.Minute, "", "check-zip", zipFile, path, version)
	line := strings.TrimSpace(r.Stdout)
	m := okLineRE.FindStringSubmatch(line)
	switch {
	case r.Code != 0:
		t.Errorf("check-zip %s@%s: exit %d, want 0 for a zip the go command accepted\n%s", path, version, r.Code, r)
	case m == nil:
		t.Errorf("check-zip %s@%s: want one line \"ok: M@V, N files, h1:...\", got %q", path, version, line)
	case m[1] != path || m[2] != version || m[4] != g.Sum:
		t.Errorf("check-zip %s@%s: %q, want %s@%s and go's %s", path, version, line, path, version, g.Sum)
	case files >= 0 && m[3] != strconv.Itoa(files):
		t.Errorf("check-zip %s@%s: %q, want %d files", path, version, line, files)
	}
}

func TestHashOfFixtureModulesMatchesGoCommand(t *testing.T) {
	harness.SkipRepeatedDifferential(t)
	f := harness.Fixture(t)
	var mods []string
	for _, m := range f.Manifest.Modules {
		mods = append(mods, m.Path+"@"+m.Version)
	}
	got := goSums(t, f.Tree, mods)
	for _, m := range f.Manifest.Modules {
		m := m
		t.Run(m.Path+"@"+m.Version, func(t *testing.T) {
			checkHashes(t, f.Tree, m.Path, m.Version, m.EscPath, m.EscVersion, got[m.Path+"@"+m.Version], -1)
		})
	}
}

// vector is one generated module version for the hash comparison.
type vector struct {
	path, version string
	mod           string
	entries       []ziptest.Entry // names relative to the M@V/ prefix ("" for the prefix entry itself)
	files         int             // regular files check-zip should count; -1: do not check
}

func TestHashOfGeneratedModulesMatchesGoCommand(t *testing.T) {
	harness.SkipRepeatedDifferential(t)
	vectors := []vector{
		{path: "example.com/vectors/unicode", version: "v1.0.0", files: 4, entries: []ziptest.Entry{
			{Name: "go.mod"}, {Name: "héllo.go", Data: []byte("package héllo\n")},
			{Name: "日本/語.go", Data: []byte("package 日本\n")}, {Name: "Ünïcode.txt", Data: []byte("ünïcödé\n")}}},
		{path: "example.com/vectors/direntry", version: "v1.0.0", files: -1, entries: []ziptest.Entry{
			{Name: ""}, {Name: "go.mod"}, {Name: "sub/"}, {Name: "sub/x.go", Data: []byte("package sub\n")},
			{Name: "empty/"}}},
		{path: "example.com/vectors/empty", version: "v1.0.0", files: 4, entries: []ziptest.Entry{
			{Name: "go.mod"}, {Name: "empty.go"}, {Name: "e/.keep"}, {Name: "LICENSE"}}},
		{path: "example.com/vectors/stored", version: "v1.0.0", files: 4, entries: []ziptest.Entry{
			{Name: "z.go", Data: []byte("package z\n"), Store: true}, {Name: "go.mod", Store: true},
			{Name: "a/b/c.bin", Data: []byte{0, 1, 2, 0xff, '\n', '\r'}, Store: true},
			{Name: "a.go", Data: []byte("package z\n\n// a.go sorts before go.mod and z.go\n")}}},
		{path: "example.com/vectors/nogomod", version: "v1.0.0", files: 1,
			mod: "module example.com/vectors/nogomod\n", entries: []ziptest.Entry{
				{Name: "x.go", Data: []byte("package nogomod\n")}}},
		{path: "example.com/vectors/noeol", version: "v1.0.0", files: 2,
			mod: "module example.com/vectors/noeol\n\ngo 1.19", entries: []ziptest.Entry{
				{Name: "go.mod", Data: []byte("module example.com/vectors/noeol\n\ngo 1.19")},
				{Name: "x.go", Data: []byte("package noeol")}}},
	}
	tree := t.TempDir()
	var mods []string
	for i := range vectors {
		v := &vectors[i]
		if v.mod == "" {
			v.mod = "module " + v.path + "\n\ngo 1.19\n"
		}
		prefix := v.path + "@" + v.version + "/"
		var es []ziptest.Entry
		for _, e := range v.entries {
			if e.Name == "go.mod" && e.Data == nil {
				e.Data = []byte(v.mod)
			}
			e.Name = prefix + e.Name
			es = append(es, e)
		}
		writeModule(t, tree, v.path, v.version, []byte(v.mod), ziptest.Build(es))
		mods = append(mods, v.path+"@"+v.version)
	}
	got := goSums(t, tree, mods)
	for _, v := range vectors {
		v := v
		t.Run(strings.TrimPrefix(v.path, "example.com/vectors/"), func(t *testing.T) {
			checkHashes(t, tree, v.path, v.version, v.path, v.version, got[v.path+"@"+v.version], v.files)
		})
	}
}
