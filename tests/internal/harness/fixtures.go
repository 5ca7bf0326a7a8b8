package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Manifest is what tests/fixtures/gen computed with x/mod (keep in sync with gen's copy).
type Manifest struct {
	Sumdb   SumdbInfo `json:"sumdb"`
	Modules []Module  `json:"modules"`
}

// SumdbInfo describes the static checksum database snapshot under <tree>/sumdb/<Name>/.
type SumdbInfo struct {
	Name     string `json:"name"`
	VKey     string `json:"vkey"`
	TreeSize int64  `json:"treeSize"`
}

// Module is one fixture module version.
type Module struct {
	Path       string `json:"path"`
	Version    string `json:"version"`
	EscPath    string `json:"escPath"`
	EscVersion string `json:"escVersion"`
	Time       string `json:"time"`
	ZipHash    string `json:"zipHash"`
	ModHash    string `json:"modHash"`
	ZipSize    int64  `json:"zipSize"`
	HasGoMod   bool   `json:"hasGoMod"`
}

// URLPath is the request path of one of the module's files as the go command
// sends it: escaped, then percent-encoded ("!" becomes "%21"). ext is "info",
// "mod" or "zip".
func (m Module) URLPath(ext string) string {
	return "/" + pctBang(m.EscPath) + "/@v/" + pctBang(m.EscVersion) + "." + ext
}

// TreePath is the same file's path inside a GOPROXY tree (escaped, not percent-encoded).
func (m Module) TreePath(ext string) string {
	return m.EscPath + "/@v/" + m.EscVersion + "." + ext
}

func pctBang(s string) string { return strings.ReplaceAll(s, "!", "%21") }

// Fixtures is the generated tree plus the fixture tools, shared (read-only) by
// every test of a test binary.
type Fixtures struct {
	Tree         string // GOPROXY tree written by gen
	Manifest     Manifest
	ManifestPath string
	SumdbBin     string // tests/fixtures/sumdb, built
}

var (
	fixturesOnce sync.Once
	fixtures     *Fixtures
	fixturesErr  error
	workDir      string // process-wide scratch dir, removed by Main
)

// Fixture returns the shared fixtures, building the tools and generating the
// tree on first use (a fraction of a second once the Go build cache is warm).
func Fixture(t testing.TB) *Fixtures {
	t.Helper()
	fixturesOnce.Do(func() { fixtures, fixturesErr = buildFixtures() })
	if fixturesErr != nil {
		t.Fatalf("fixtures: %v", fixturesErr)
	}
	return fixtures
}

// Main wraps m.Run so that the shared scratch directory goes away
// afterwards, and runs the AtExit functions.
func Main(m *testing.M) {
	code := m.Run()
	for _, f := range atExit {
		f()
	}
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

var atExit []func()

// AtExit registers f to run after all tests of the binary (from an init
// function; Main runs them in order): for other packages' shared fixtures,
// such as gitserver.Cleanup.
func AtExit(f func()) { atExit = append(atExit, f) }

func buildFixtures() (*Fixtures, error) {
	dir, err := os.MkdirTemp("", "modproxy-tests-")
	if err != nil {
		return nil, err
	}
	workDir = dir
	gen := filepath.Join(dir, "gen")
	sumdb := filepath.Join(dir, "sumdb")
	for bin, pkg := range map[string]string{gen: "./fixtures/gen", sumdb: "./fixtures/sumdb"} {
		if err := buildTool(bin, pkg); err != nil {
			return nil, err
		}
	}
	manifest := filepath.Join(dir, "manifest.json")
	f := &Fixtures{Tree: filepath.Join(dir, "tree"), ManifestPath: manifest, SumdbBin: sumdb}
	out, err := exec.Command(gen, "-out", f.Tree, "-manifest", manifest).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("gen: %v\n%s", err, out)
	}
	data, err := os.ReadFile(manifest)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &f.Manifest); err != nil {
		return nil, err
	}
	return f, nil
}

// buildTool builds a fixture tool in GOPATH mode against Debian's x/mod (see
// tests/fixtures/gen/main.go for why it cannot be a module-mode build).
func buildTool(out, pkg string) error {
	cmd := exec.Command("go", "build", "-tags", "fixturetool", "-o", out, pkg)
	cmd.Dir = TestsDir()
	cmd.Env = append(filteredEnv(os.Environ(), "GO111MODULE", "GOPATH", "GOFLAGS", "GOPROXY"),
		"GO111MODULE=off", "GOPATH="+xmodGOPATH(), "GOFLAGS=", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// xmodGOPATH is where golang.org/x/mod lives (Debian's golang-golang-x-mod-dev).
func xmodGOPATH() string {
	if p := os.Getenv("MODPROXY_TEST_XMOD_GOPATH"); p != "" {
		return p
	}
	return "/usr/share/gocode"
}

// TestsDir is the absolute path of tests/ (the Go module of this suite).
func TestsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Module returns the manifest entry for path@version.
func (f *Fixtures) Module(t testing.TB, path, version string) Module {
	t.Helper()
	for _, m := range f.Manifest.Modules {
		if m.Path == path && m.Version == version {
			return m
		}
	}
	t.Fatalf("no fixture module %s@%s", path, version)
	return Module{}
}

// Read returns a file of the tree by its tree-relative (escaped) path.
func (f *Fixtures) Read(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(f.Tree, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("fixture file: %v", err)
	}
	return data
}

// filteredEnv drops the named variables (and, with a trailing "*", prefixes).
func filteredEnv(env []string, drop ...string) []string {
	var out []string
next:
	for _, kv := range env {
		name := kv
		if i := strings.IndexByte(kv, '='); i >= 0 {
			name = kv[:i]
		}
		for _, d := range drop {
			if name == d || (strings.HasSuffix(d, "*") && strings.HasPrefix(name, strings.TrimSuffix(d, "*"))) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
