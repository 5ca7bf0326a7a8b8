package gitserver_test

import (
	"archive/zip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"modproxy/tests/internal/gitserver"
	"modproxy/tests/internal/godirect"
	"modproxy/tests/internal/ziptest"
)

// These tests check the fixture with the real go command in direct mode and
// nothing else: if they fail, every differential test built on them is moot.
// They assert what the repositories were built to show (which tags count,
// which files a zip drops), not the go command's exact answers, which the
// differential tests take from the go command at run time.

func TestMain(m *testing.M) {
	code := m.Run()
	gitserver.Cleanup()
	godirect.Cleanup()
	os.Exit(code)
}

func mod(rel string) string { return gitserver.Module(gitserver.Host, rel) }

// commitTime is the committer time of a commit of a repository, in UTC, as
// git itself reports it.
func commitTime(t *testing.T, r *gitserver.Repo, hash string) time.Time {
	t.Helper()
	out, err := exec(r.Dir, "log", "-n1", "--format=%ct", hash)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(sec, 0).UTC()
}

func exec(dir string, args ...string) (string, error) {
	return gitserver.Git(dir, args...)
}

// pseudo is the pseudo-version shape for a commit: base prefix, UTC
// committer time, 12-hex prefix.
func pseudo(t *testing.T, r *gitserver.Repo, label, prefix, suffix string) string {
	h := r.Commits[label]
	if h == "" {
		t.Fatalf("%s has no commit %q", r.Name, label)
	}
	return prefix + commitTime(t, r, h).Format("20060102150405") + "-" + h[:12] + suffix
}

func TestDirectModeGoodRepositories(t *testing.T) {
	srv := gitserver.Shared(t)
	res := godirect.DirectResults(t, srv, "good")
	t.Logf("go command, direct mode: %d modules in %v", len(res.Modules), res.Elapsed.Round(time.Millisecond))
	for path, m := range res.Modules {
		if m.ListError != "" || m.Latest.Error != "" {
			t.Errorf("%s: list error %q, @latest error %q", path, m.ListError, m.Latest.Error)
		}
		for q, info := range m.Queries {
			if info.Error != "" {
				t.Errorf("%s@%s: %s", path, q, info.Error)
			}
		}
		for v, d := range m.Downloads {
			if d.Error != "" || !strings.HasPrefix(d.Sum, "h1:") || !strings.HasPrefix(d.GoModSum, "h1:") {
				t.Errorf("%s@%s: download %+v", path, v, d)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	set := srv.Set
	tags, major, majorsub, legacy, retract := set.Repo("tags"), set.Repo("major"), set.Repo("majorsub"), set.Repo("legacy"), set.Repo("retract")

	expectList := func(path string, want ...string) {
		t.Helper()
		if got := res.Module(path).Versions; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: go lists %v, the repository was built for %v", path, got, want)
		}
	}
	// v1.2 and v1.2.3+meta are not versions; sub/ tags belong to tags/sub only.
	expectList(mod("tags"), "v0.1.0", "v1.0.0", "v1.1.0", "v1.2.0-rc.1", "v1.2.0", "v1.3.0-rc.1")
	expectList(mod("tags/sub"), "v0.1.0", "v0.2.0")
	expectList(mod("major"), "v1.0.0")
	expectList(mod("major/v2"), "v2.0.0", "v2.1.0")
	expectList(mod("majorsub"), "v1.0.0", "v1.1.0")
	expectList(mod("majorsub/v2"), "v2.0.0")
	expectList(mod("legacy"), "v1.0.0", "v2.0.0+incompatible", "v3.0.0+incompatible")
	expectList(mod("retract"), "v1.0.0", "v1.1.0", "v1.2.0")

	expectQuery := func(path, query, want string) {
		t.Helper()
		got := res.Module(path).Latest
		if query != "latest" {
			got = res.Module(path).Queries[query]
		}
		if got.Version != want {
			t.Errorf("%s@%s = %q, the repository was built for %q", path, query, got.Version, want)
		}
	}
	expectQuery(mod("tags"), "latest", "v1.2.0")
	// main is two commits past v1.2.0, the commit before it carries
	// v1.2.3+meta: that tag is a pseudo-version base (v1.2.4-0), though not
	// a version. main was committed at +0530: the time is UTC.
	expectQuery(mod("tags"), "main", pseudo(t, tags, "main", "v1.2.4-0.", ""))
	expectQuery(mod("tags"), tags.Commits["main"][:9], pseudo(t, tags, "main", "v1.2.4-0.", ""))
	expectQuery(mod("tags"), tags.Commits["meta"][:12], pseudo(t, tags, "meta", "v1.2.4-0.", ""))
	expectQuery(mod("tags"), tags.Commits["v1.1.0"][:7], "v1.1.0")
	expectQuery(mod("tags"), "feature", pseudo(t, tags, "feature", "v1.0.1-0.", ""))
	expectQuery(mod("tags"), "next", pseudo(t, tags, "next", "v1.3.0-rc.1.0.", ""))
	expectQuery(mod("tags/sub"), "main", pseudo(t, tags, "main", "v0.2.1-0.", ""))
	expectQuery(mod("major"), "maint-v1", pseudo(t, major, "maint-v1", "v1.0.1-0.", ""))
	expectQuery(mod("major/v2"), "main", pseudo(t, major, "main", "v2.1.1-0.", ""))
	expectQuery(mod("majorsub/v2"), "main", pseudo(t, majorsub, "main", "v2.0.1-0.", ""))
	expectQuery(mod("legacy"), "latest", "v3.0.0+incompatible")
	expectQuery(mod("legacy"), "main", pseudo(t, legacy, "main", "v3.0.1-0.", "+incompatible"))
	// v1.2.0 retracts v1.1.0 and itself: latest is v1.0.0, and main (at
	// v1.2.0) gets a pseudo-version on the last unretracted tag.
	expectQuery(mod("retract"), "latest", "v1.0.0")
	expectQuery(mod("retract"), "main", pseudo(t, retract, "v1.2.0", "v1.0.1-0.", ""))
	if r := res.Module(mod("retract")).Listed["v1.1.0"].Retracted; len(r) != 1 || r[0] != "broken" {
		t.Errorf("retract@v1.1.0 retractions %q, want [broken]", r)
	}
	// .info times are committer times.
	for _, v := range []string{"v1.0.0", "v1.2.0"} {
		want := commitTime(t, tags, tags.Commits[v]).Format(time.RFC3339)
		if got := res.Module(mod("tags")).Listed[v].Time; got != want {
			t.Errorf("tags@%s time %s, committed %s", v, got, want)
		}
	}

	// The zips: what the zip rules drop and what git archive converts.
	files := zipFiles(t, res.Module(mod("tags")).Downloads["v1.1.0"].Zip)
	prefix := mod("tags") + "@v1.1.0/"
	for _, name := range []string{"vendor/example.com/dep/d.go", "nested/go.mod", "nested/n.go", "link.go"} {
		if _, ok := files[prefix+name]; ok {
			t.Errorf("tags@v1.1.0 zip has %s", name)
		}
	}
	if _, ok := files[prefix+"vendor/modules.txt"]; !ok {
		t.Errorf("tags@v1.1.0 zip lacks vendor/modules.txt (only vendored packages are dropped)")
	}
	if got := files[prefix+"notes.txt"]; got != "line one\r\nline two\r\n" {
		t.Errorf("notes.txt (eol=crlf) in the zip: %q", got)
	}
	if got := files[prefix+"blob.dat"]; got != "keep\r\nas is\n" {
		t.Errorf("blob.dat (-text) in the zip: %q", got)
	}
	if got := files[prefix+"ident.go"]; !regexp.MustCompile(`\$Id: [0-9a-f]{40} \$`).MatchString(got) {
		t.Errorf("ident.go (ident) in the zip: %q", got)
	}
	sub := zipFiles(t, res.Module(mod("tags/sub")).Downloads["v0.2.0"].Zip)
	if !strings.Contains(sub[mod("tags/sub")+"@v0.2.0/LICENSE"], "Tags Authors") {
		t.Errorf("tags/sub@v0.2.0 zip lacks the root LICENSE: %v", keys(sub))
	}
	ms := zipFiles(t, res.Module(mod("majorsub")).Downloads["v1.1.0"].Zip)
	for name := range ms {
		if strings.Contains(name, "/v2/") {
			t.Errorf("majorsub@v1.1.0 zip has the v2 module's %s", name)
		}
	}
	ms2 := zipFiles(t, res.Module(mod("majorsub/v2")).Downloads["v2.0.0"].Zip)
	if _, ok := ms2[mod("majorsub/v2")+"@v2.0.0/LICENSE"]; !ok {
		t.Errorf("majorsub/v2@v2.0.0 zip lacks the root LICENSE: %v", keys(ms2))
	}

	// How the go command got there: https refused at CONNECT, then plain http
	// through the proxy; git over smart HTTP on the fake host.
	if len(srv.RequestsMatching(`^CONNECT git\.example\.test`)) == 0 {
		t.Errorf("the go command never tried https first")
	}
	if len(srv.RequestsMatching(`^GET git\.example\.test/tags\?go-get=1$`)) == 0 ||
		len(srv.RequestsMatching(`^POST git\.example\.test/tags\.git/git-upload-pack$`)) == 0 {
		t.Errorf("no discovery or upload-pack requests for tags; got %v", srv.Requests())
	}
}

func TestDirectModeBadRepositories(t *testing.T) {
	srv := gitserver.Shared(t)
	res := godirect.DirectResults(t, srv, "bad")
	bad := res.Module(mod("badname"))
	if want := []string{"v1.0.0", "v1.1.0", "v1.2.0"}; !reflect.DeepEqual(bad.Versions, want) {
		t.Errorf("badname list %v, want %v", bad.Versions, want)
	}
	if d := bad.Downloads["v1.0.0"]; d.Error != "" {
		t.Errorf("badname@v1.0.0: %s", d.Error)
	}
	if d := bad.Downloads["v1.1.0"]; !strings.Contains(d.Error, "a:b.go") {
		t.Errorf("badname@v1.1.0 (a:b.go): %+v", d)
	}
	if d := bad.Downloads["v1.2.0"]; !strings.Contains(d.Error, "case-insensitive file name collision") {
		t.Errorf("badname@v1.2.0 (Case.go, case.go): %+v", d)
	}
	for _, rel := range []string{"large", "ssrf"} {
		if d := res.Module(mod(rel)).Downloads["v1.0.0"]; d.Error != "" || d.Sum == "" {
			t.Errorf("%s@v1.0.0: %+v", rel, d)
		}
	}
	// The go command has no SSRF rule: it fetched from the loopback address.
	if len(srv.RequestsMatching(`^POST 127\.0\.0\.1/ssrf\.git/git-upload-pack$`)) == 0 {
		t.Errorf("no direct request for ssrf.git; got %v", srv.RequestsMatching(`ssrf`))
	}
}

// A repository that vanishes: the go command, with a fresh module cache,
// fails naming it.
func TestVanishedRepository(t *testing.T) {
	srv := gitserver.Shared(t)
	e, err := godirect.Direct(t.TempDir(), srv)
	if err != nil {
		t.Fatal(err)
	}
	if out, _, err := e.Run("", "list", "-m", "-versions", mod("vanish")); err != nil || !strings.Contains(out, "v1.0.0") {
		t.Fatalf("before removal: %q %v", out, err)
	}
	if err := srv.Remove("vanish"); err != nil {
		t.Fatal(err)
	}
	e2, _ := godirect.Direct(t.TempDir(), srv)
	_, stderr, err := e2.Run("", "list", "-m", "-versions", mod("vanish"))
	if err == nil || !strings.Contains(stderr, "vanish") {
		t.Errorf("after removal: err %v, stderr %q", err, stderr)
	}
	t.Logf("go command on a vanished repository: %s", strings.TrimSpace(stderr))
}

// The file:// variant, the two ways the go command can reach a file://
// repository (it refuses file: URLs in go-import pages): a go-import page
// announcing https://files.example.test/<name>.git, or the .git qualifier
// form without any page; git's url.<file:///DIR/>.insteadOf rewrites both.
func TestFileVariant(t *testing.T) {
	srv := gitserver.Shared(t)
	good := godirect.DirectResults(t, srv, "good").Module(mod("tags"))
	tags := srv.Set.Repo("tags")
	e, err := godirect.Direct(t.TempDir(), srv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.Home, ".gitconfig"), []byte(srv.Set.FileGitConfig()), 0o644); err != nil {
		t.Fatal(err)
	}
	// The qualifier form never asks an HTTP server; keep GOINSECURE for the
	// page form only, so the qualifier form really probes https first.
	e.Set("GOINSECURE=" + gitserver.FileHost + "/tags")
	paths := []string{gitserver.FileHost + "/tags", gitserver.FileHost + "/tags.git"}
	before := len(srv.Requests())
	res, err := godirect.Collect(e, []godirect.Spec{
		{Path: paths[0], Queries: []string{"main", tags.Commits["meta"][:12]}},
		{Path: paths[1], Queries: []string{"main"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		m := res.Module(p)
		if !reflect.DeepEqual(m.Versions, good.Versions) || m.Latest.Version != good.Latest.Version ||
			m.Queries["main"].Version != good.Queries["main"].Version {
			t.Errorf("%s over file://: list %v latest %q main %q; over http: %v %q %q", p, m.Versions,
				m.Latest.Version, m.Queries["main"].Version, good.Versions, good.Latest.Version, good.Queries["main"].Version)
		}
		for v, d := range m.Downloads {
			if d.Error != "" {
				t.Errorf("%s@%s: %s", p, v, d.Error)
			}
		}
	}
	for _, r := range srv.Requests()[before:] {
		if r.Host == gitserver.FileHost && r.Method != "CONNECT" && !strings.HasSuffix(r.Query, "go-get=1") {
			t.Errorf("the file variant sent git traffic to the server: %v", r)
		}
		if strings.Contains(r.Path, "tags.git") {
			t.Errorf("the qualifier form asked the server: %v", r)
		}
	}
}

func zipFiles(t *testing.T, file string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	es, err := ziptest.Read(&zr.Reader)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range es {
		out[e.Name] = string(e.Data)
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
