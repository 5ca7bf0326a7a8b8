package integration

// `modproxy pack` against the go command's own code: for directories built
// here, the zip must hash (dirhash.HashZip) exactly like the one x/mod's
// zip.CreateFromDir makes from the same directory, and where CreateFromDir
// refuses a directory, pack must refuse it too. Then a cache filled with
// `pack --into` is served to the real go command as a file:// GOPROXY.
//
// x/mod is not a requirement of this module (no network): the reference
// tool is built in GOPATH mode against Debian's copy, as the fixture tools are.

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"modproxy/tests/internal/harness"
)

const xmodZipTool = `package main

import (
	"fmt"
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func main() {
	switch os.Args[1] {
	case "create": // DIR MODULE VERSION OUT
		f, err := os.Create(os.Args[5])
		if err == nil {
			err = modzip.CreateFromDir(f, module.Version{Path: os.Args[3], Version: os.Args[4]}, os.Args[2])
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "hash": // ZIP
		h, err := dirhash.HashZip(os.Args[2], dirhash.Hash1)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(h)
	}
}
`

var (
	xmodToolOnce sync.Once
	xmodToolPath string
	xmodToolErr  error
)

// xmodTool builds the reference tool once per test binary.
func xmodTool(t *testing.T) string {
	t.Helper()
	xmodToolOnce.Do(func() {
		dir, err := os.MkdirTemp("", "modproxy-pack-xmod-")
		if err != nil {
			xmodToolErr = err
			return
		}
		harness.AtExit(func() { os.RemoveAll(dir) })
		src := filepath.Join(dir, "main.go")
		if err := os.WriteFile(src, []byte(xmodZipTool), 0o644); err != nil {
			xmodToolErr = err
			return
		}
		gopath := os.Getenv("MODPROXY_TEST_XMOD_GOPATH")
		if gopath == "" {
			gopath = "/usr/share/gocode"
		}
		xmodToolPath = filepath.Join(dir, "xmodzip")
		cmd := exec.Command("go", "build", "-o", xmodToolPath, "main.go")
		cmd.Dir = dir
		var env []string
		for _, kv := range os.Environ() {
			switch strings.SplitN(kv, "=", 2)[0] {
			case "GO111MODULE", "GOPATH", "GOFLAGS", "GOPROXY":
				continue
			}
			env = append(env, kv)
		}
		cmd.Env = append(env, "GO111MODULE=off", "GOPATH="+gopath, "GOFLAGS=", "GOPROXY=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			xmodToolErr = fmt.Errorf("building the x/mod reference tool (GOPATH=%s): %v\n%s", gopath, err, out)
		}
	})
	if xmodToolErr != nil {
		t.Fatal(xmodToolErr)
	}
	return xmodToolPath
}

// runXmod runs the reference tool; err is its message when it fails.
func runXmod(t *testing.T, args ...string) (stdout string, failure string) {
	t.Helper()
	cmd := harness.Command(xmodTool(t), args...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("x/mod tool %v: %v", args, err)
		}
		return o.String(), strings.TrimSpace(e.String()) + " (" + err.Error() + ")"
	}
	return o.String(), ""
}

// tree describes a module directory: files by slash path ("" content is an
// empty file), plus symlinks and FIFOs.
type tree struct {
	files    map[string]string
	sized    map[string]int // files of N bytes ('x' after a "// " start), for the size limits
	symlinks map[string]string
	fifos    []string
	many     int // this many extra empty files in many/ (zip64 end records from 65535 entries)
}

func (tr tree) write(t *testing.T, dir string) {
	t.Helper()
	mk := func(rel string) string {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for rel, content := range tr.files {
		if err := os.WriteFile(mk(rel), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for rel, n := range tr.sized {
		data := []byte("// " + strings.Repeat("x", n-4) + "\n")
		if rel == "go.mod" {
			data = []byte("module example.com/pack/bigmod\n" + string(data[:n-len("module example.com/pack/bigmod\n")]))
		}
		if err := os.WriteFile(mk(rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for rel, target := range tr.symlinks {
		if err := os.Symlink(target, mk(rel)); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range tr.fifos {
		if err := syscall.Mkfifo(mk(rel), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < tr.many; i++ {
		if err := os.WriteFile(mk(fmt.Sprintf("many/%05d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type packCase struct {
	name, module, version string
	tree                  tree
	refused               bool // CreateFromDir refuses the directory
}

const mib = 1 << 20

func packCases() []packCase {
	gomod := func(m string) string { return "module " + m + "\n\ngo 1.19\n" }
	return []packCase{
		{name: "plain", module: "example.com/pack/plain", version: "v1.0.0", tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/plain"), "plain.go": "package plain\n", "LICENSE": "MIT\n",
			"sub/sub.go": "package sub\n", "empty.go": "", "a/b/c/d.txt": "deep\n", "a.go": "package plain\n",
			".gitignore": "*.o\n", "sub/.hg_archival.txt": "kept below the root\n"}}},
		{name: "vendor", module: "example.com/pack/vendor", version: "v1.1.0", tree: tree{files: map[string]string{
			"go.mod": "module example.com/pack/vendor\n\ngo 1.20\n", "v.go": "package vendor\n",
			"vendor/modules.txt": "# vendored\n", "vendor/x.go": "package vendor\n",
			"vendor/a/b.go": "package a\n", "pkg/vendor/x.go": "package vendor\n",
			"pkg/vendor/a/b.go": "package a\n", "vendor/a/b:c.go": "omitted before the name check\n",
			"Vendor2/a/b.go": "package a\n"}}},
		{name: "nested", module: "example.com/pack/nested", version: "v0.1.0", tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/nested"), "n.go": "package nested\n",
			"sub/go.mod": gomod("example.com/pack/nested/sub"), "sub/x.go": "package sub\n",
			"sub/deep/y.go": "package deep\n", "sub/a:b.go": "never checked\n",
			"other/GO.MOD": "module other\n", "other/x.go": "package other\n",
			"notmod/go.mod/keep.go": "package keep\n"}}},
		{name: "vcs", module: "example.com/pack/vcs", version: "v1.0.0", tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/vcs"), "v.go": "package vcs\n", ".git/config": "[core]\n",
			".git/objects/ab/cdef": "blob\n", ".hg/store": "x\n", ".svn/entries": "x\n", ".bzr/branch": "x\n",
			"sub/.git": "gitdir: ../.git/modules/sub\n", ".hg_archival.txt": "repo: 123\n"}}},
		{name: "symlink", module: "example.com/pack/symlink", version: "v1.0.0", tree: tree{
			files: map[string]string{"go.mod": gomod("example.com/pack/symlink"), "a.go": "package symlink\n",
				"dir/x.go": "package dir\n"},
			symlinks: map[string]string{"link.go": "a.go", "linkdir": "dir", "bad:link": "a.go",
				"dangling": "nowhere", "dir/LICENSE": "../a.go"},
			fifos: []string{"fifo"}}},
		{name: "unicode", module: "example.com/pack/unicode", version: "v1.2.3-pre.1", tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/unicode"), "héllo.go": "package héllo\n",
			"日本/語.go": "package 日本\n", "Ünïcode.txt": "ünïcödé\n", "ſ/x.go": "package x\n"}}},
		{name: "nogomod", module: "example.com/pack/nogomod", version: "v2.0.0+incompatible", tree: tree{files: map[string]string{
			"x.go": "package nogomod\n", "LICENSE": "BSD\n"}}},
		{name: "bigfiles", module: "example.com/pack/bigfiles", version: "v1.0.0", tree: tree{
			files: map[string]string{"go.mod": gomod("example.com/pack/bigfiles")},
			sized: map[string]int{"LICENSE": 16 * mib, "sub/LICENSE": 16*mib + 1, "data.txt": 3 * mib}}},
		{name: "many", module: "example.com/pack/many", version: "v1.0.0", tree: tree{
			files: map[string]string{"go.mod": gomod("example.com/pack/many")}, many: 65535}},
		// Directories CreateFromDir refuses: the version cannot exist.
		{name: "badname", module: "example.com/pack/badname", version: "v1.0.0", refused: true, tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/badname"), "a:b.go": "package bad\n"}}},
		{name: "casefold", module: "example.com/pack/casefold", version: "v1.0.0", refused: true, tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/casefold"), "a.go": "package a\n", "A.go": "package a\n"}}},
		{name: "casefolddir", module: "example.com/pack/casefolddir", version: "v1.0.0", refused: true, tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/casefolddir"), "Dir/x.go": "package dir\n", "dir/y.go": "package dir\n"}}},
		{name: "kelvin", module: "example.com/pack/kelvin", version: "v1.0.0", refused: true, tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/kelvin"), "k.go": "package k\n", "\u212a.go": "package k\n"}}},
		{name: "gomodcase", module: "example.com/pack/gomodcase", version: "v1.0.0", refused: true, tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/gomodcase"), "GO.MOD": "module x\n"}}},
		{name: "bigmod", module: "example.com/pack/bigmod", version: "v1.0.0", refused: true, tree: tree{
			sized: map[string]int{"go.mod": 16*mib + 1}}},
		{name: "biglicense", module: "example.com/pack/biglicense", version: "v1.0.0", refused: true, tree: tree{
			files: map[string]string{"go.mod": gomod("example.com/pack/biglicense")},
			sized: map[string]int{"LICENSE": 16*mib + 1}}},
		{name: "badvendorname", module: "example.com/pack/badvendorname", version: "v1.0.0", refused: true, tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/badvendorname"), "vendor/a:b.go": "directly in vendor: checked\n"}}},
		{name: "majormismatch", module: "example.com/pack/major/v2", version: "v1.0.0", refused: true, tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/major/v2")}}},
		{name: "noncanonical", module: "example.com/pack/noncanonical", version: "v1.0", refused: true, tree: tree{files: map[string]string{
			"go.mod": gomod("example.com/pack/noncanonical")}}},
	}
}

// zipNames lists a zip's entry names, sorted.
func zipNames(t *testing.T, file string) []string {
	t.Helper()
	r, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("archive/zip cannot read %s: %v", file, err)
	}
	defer r.Close()
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return names
}

type packResult struct {
	harness.ToolResult
	zipSum, modSum string // h1 from the printed go.sum lines
}

// pack runs `modproxy pack DIR M V args...` in a fresh directory.
func pack(t *testing.T, work, dir, module, version string, args ...string) packResult {
	t.Helper()
	r := packResult{ToolResult: harness.RunTool(t, 3*time.Minute, work,
		append([]string{"pack", dir, module, version}, args...)...)}
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == module && f[1] == version:
			r.zipSum = f[2]
		case len(f) == 3 && f[0] == module && f[1] == version+"/go.mod":
			r.modSum = f[2]
		}
	}
	return r
}

func TestPackMatchesXmodCreateFromDir(t *testing.T) {
	harness.SkipRepeatedDifferential(t)
	for _, c := range packCases() {
		c := c
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "src")
			c.tree.write(t, dir)
			refZip := filepath.Join(t.TempDir(), "ref.zip")
			_, refFailure := runXmod(t, "create", dir, c.module, c.version, refZip)
			out := t.TempDir()
			r := pack(t, out, dir, c.module, c.version, "--time", "2023-01-02T03:04:05Z")
			if c.refused != (refFailure != "") {
				t.Fatalf("test expects refused=%v, but x/mod CreateFromDir says: %q", c.refused, refFailure)
			}
			if refFailure != "" {
				if r.Code == 0 {
					t.Fatalf("x/mod refuses the directory but modproxy pack accepts it\nx/mod: %s\n%s", refFailure, r)
				}
				t.Logf("both refuse\nx/mod: %s\nmodproxy: %s", refFailure, strings.TrimSpace(r.Stderr))
				return
			}
			if r.Code != 0 {
				t.Fatalf("x/mod accepts the directory, modproxy pack does not\n%s", r)
			}
			gotZip := filepath.Join(out, c.version+".zip")
			if want, got := zipNames(t, refZip), zipNames(t, gotZip); !reflect.DeepEqual(want, got) {
				t.Errorf("entries differ\nx/mod:    %q\nmodproxy: %q", want, got)
			}
			wantH1, failure := runXmod(t, "hash", refZip)
			if failure != "" {
				t.Fatalf("hashing x/mod's zip: %s", failure)
			}
			gotH1, failure := runXmod(t, "hash", gotZip)
			if failure != "" {
				t.Fatalf("x/mod's dirhash cannot hash modproxy's zip: %s", failure)
			}
			wantH1, gotH1 = strings.TrimSpace(wantH1), strings.TrimSpace(gotH1)
			if gotH1 != wantH1 || r.zipSum != wantH1 {
				t.Errorf("h1: x/mod zip %s, modproxy zip %s, modproxy printed %q", wantH1, gotH1, r.zipSum)
			}
			info, err := os.ReadFile(filepath.Join(out, c.version+".info"))
			if err != nil || string(info) != `{"Version":"`+c.version+`","Time":"2023-01-02T03:04:05Z"}` {
				t.Errorf(".info = %q, %v", info, err)
			}
			mod, err := os.ReadFile(filepath.Join(out, c.version+".mod"))
			if err != nil {
				t.Fatal(err)
			}
			wantMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if os.IsNotExist(err) {
				wantMod = []byte("module " + c.module + "\n")
			}
			if string(mod) != string(wantMod) {
				t.Errorf(".mod = %q, want %q", mod, wantMod)
			}
		})
	}
}

func TestPackRefusesBadArguments(t *testing.T) {
	dir := t.TempDir()
	(tree{files: map[string]string{"go.mod": "module example.com/pack/args\n"}}).write(t, dir)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{dir, "example.com/pack/args", "v1.0"}, 2, `version "v1.0" is not canonical (should be "v1.0.0")`},
		{[]string{dir, "example.com/pack/args", "v2.0.0"}, 2, "invalid version: should be v0 or v1, not v2"},
		{[]string{dir, "Example.com/pack/args", "v1.0.0"}, 2, "malformed module path"},
		{[]string{dir, "example.com/pack/other", "v1.0.0"}, 1, `declares module "example.com/pack/args", not "example.com/pack/other"`},
		{[]string{dir, "example.com/pack/args", "v2.0.0+incompatible"}, 1, "module contains a go.mod file"},
		{[]string{dir, "example.com/pack/args", "v1.0.0", "--time", "yesterday"}, 2, "RFC 3339"},
		{[]string{filepath.Join(dir, "missing"), "example.com/pack/args", "v1.0.0"}, 2, "not a directory"},
		{[]string{dir, "example.com/pack/args"}, 2, ""},
	} {
		r := harness.RunTool(t, time.Minute, t.TempDir(), append([]string{"pack"}, c.args...)...)
		if r.Code != c.code || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("want exit %d and %q in stderr\n%s", c.code, c.want, r)
		}
	}
}

func TestPackIntoCacheServesTheGoCommand(t *testing.T) {
	cache := t.TempDir()
	byName := map[string]packCase{}
	for _, c := range packCases() {
		byName[c.name] = c
	}
	sums := map[string]packResult{}
	var mods []string
	for _, name := range []string{"plain", "vendor", "unicode", "nogomod", "nested"} {
		c := byName[name]
		dir := filepath.Join(t.TempDir(), "src")
		c.tree.write(t, dir)
		r := pack(t, t.TempDir(), dir, c.module, c.version, "--into", cache)
		if r.Code != 0 || r.zipSum == "" || r.modSum == "" {
			t.Fatalf("pack --into: want exit 0 and two go.sum lines\n%s", r)
		}
		sums[c.module+"@"+c.version] = r
		mods = append(mods, c.module+"@"+c.version)
		list, err := os.ReadFile(filepath.Join(cache, c.module, "@v", "list"))
		if err != nil || !strings.Contains(string(list), c.version+"\n") {
			t.Errorf("@v/list of %s = %q, %v; want %s listed", c.module, list, err, c.version)
		}
	}
	got := goSums(t, cache, mods)
	for m, r := range sums {
		g := got[m]
		if g.Error != "" || g.Sum != r.zipSum || g.GoModSum != r.modSum {
			t.Errorf("%s: go mod download says %+v; modproxy pack printed %s and %s", m, g, r.zipSum, r.modSum)
		}
	}

	// Packing the same content again changes nothing; other content is refused.
	c := byName["plain"]
	dir := filepath.Join(t.TempDir(), "src")
	c.tree.write(t, dir)
	zipFile := filepath.Join(cache, c.module, "@v", c.version+".zip")
	before, err := os.Stat(zipFile)
	if err != nil {
		t.Fatal(err)
	}
	again := pack(t, t.TempDir(), dir, c.module, c.version, "--into", cache)
	after, _ := os.Stat(zipFile)
	if again.Code != 0 || again.zipSum != sums[c.module+"@"+c.version].zipSum || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("packing identical content again: want exit 0, the same sums, the zip untouched\n%s", again)
	}
	if err := os.WriteFile(filepath.Join(dir, "plain.go"), []byte("package plain // changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := pack(t, t.TempDir(), dir, c.module, c.version, "--into", cache)
	if changed.Code != 1 || !strings.Contains(changed.Stderr, "already in") || !strings.Contains(changed.Stderr, "refusing to overwrite") {
		t.Errorf("packing other content over a cached version: want exit 1 and a refusal\n%s", changed)
	}
	if g := goSums(t, cache, []string{c.module + "@" + c.version})[c.module+"@"+c.version]; g.Sum != sums[c.module+"@"+c.version].zipSum {
		t.Errorf("after the refusal the go command gets %+v, want the first sum %s", g, sums[c.module+"@"+c.version].zipSum)
	}
	// Without --into, the files land in the current directory.
	work := t.TempDir()
	plain := pack(t, work, dir, c.module, "v1.0.1")
	for _, ext := range []string{".info", ".mod", ".zip"} {
		if _, err := os.Stat(filepath.Join(work, "v1.0.1"+ext)); err != nil || plain.Code != 0 {
			t.Errorf("pack without --into: v1.0.1%s: %v\n%s", ext, err, plain)
		}
	}
	var info struct{ Version, Time string }
	data, _ := os.ReadFile(filepath.Join(work, "v1.0.1.info"))
	if err := json.Unmarshal(data, &info); err != nil || info.Version != "v1.0.1" {
		t.Errorf(".info = %q: %v", data, err)
	} else if ts, err := time.Parse(time.RFC3339, info.Time); err != nil || time.Since(ts) > time.Hour || ts.Location() != time.UTC {
		t.Errorf(".info Time %q: want now in UTC (%v)", info.Time, err)
	}
}
