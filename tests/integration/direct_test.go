package integration

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode"

	"modproxy/tests/internal/gitserver"
	"modproxy/tests/internal/godirect"
	"modproxy/tests/internal/harness"
)

// Direct mode (issue 5): modproxy with `--upstream direct` fetching from git
// must give the go command exactly what the go command computes itself in
// direct mode (GOPROXY=direct) from the same repositories: the same lists,
// @latest, pseudo-versions for branches and hash prefixes, .info times,
// retractions and h1 sums of every .zip and .mod. The expectations are the
// go command's own answers, taken at run time (godirect); the repositories
// come from tests/internal/gitserver, served over smart HTTP on loopback
// under fake hosts (git.example.test) that modproxy, like the go command,
// reaches through the gitserver as its HTTP proxy.

func init() {
	harness.AtExit(gitserver.Cleanup)
	harness.AtExit(godirect.Cleanup)
}

// gitViaProxy says whether modproxy's git traffic can go through the
// gitserver as an HTTP proxy like the go command's (repository URLs
// http://git.example.test/<name>.git). It cannot with libgit2 1.5, which
// proxies only https (CONNECT) and resolves plain-http hosts itself, so the
// discovery pages announce the gitserver's loopback address instead
// (gitserver.LoopbackGit), and modproxy is allowed to reach it
// (--direct-private-networks true) except where a test is about that.
// The discovery pages themselves go through the proxy either way.
const gitViaProxy = false

// directArgs are the flags every direct-mode modproxy here gets (plus
// --upstream direct and --sumdb off from harness.Start).
var directArgs = []string{"--insecure", "*.example.test"}

// sharedGitserver is gitserver.Shared set up for modproxy (see gitViaProxy).
func sharedGitserver(t *testing.T) *gitserver.Server {
	srv := gitserver.Shared(t)
	if !gitViaProxy {
		srv.LoopbackGit()
	}
	return srv
}

// startDirect starts modproxy in direct mode with the gitserver as its
// HTTP proxy and a clean HOME (no user git config), allowed to reach the
// gitserver's loopback address unless gitViaProxy.
func startDirect(t *testing.T, srv *gitserver.Server, args ...string) *harness.Proxy {
	t.Helper()
	if !gitViaProxy {
		args = append([]string{"--direct-private-networks", "true"}, args...)
	}
	return startDirectStrict(t, srv, args...)
}

// startDirectStrict is startDirect without --direct-private-networks.
func startDirectStrict(t *testing.T, srv *gitserver.Server, args ...string) *harness.Proxy {
	t.Helper()
	env := append(srv.ProxyEnv(), "HOME="+t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "XDG_CONFIG_HOME=")
	return harness.Start(t, harness.Options{Upstream: "direct", Env: env,
		Args: append(append([]string(nil), directArgs...), args...)})
}

// proxiedResults runs the same go commands as godirect.DirectResults, with
// GOPROXY=modproxy.
func proxiedResults(t *testing.T, p *harness.Proxy, specs []godirect.Spec) *godirect.Results {
	t.Helper()
	e, err := godirect.Proxy(t.TempDir(), p.URL)
	if err != nil {
		t.Fatal(err)
	}
	res, err := godirect.Collect(e, specs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// prefetchDirect starts every go-command-alone collection these tests
// compare with, in the background: they overlap with the same go commands
// running through modproxy (both wait on git processes a lot).
func prefetchDirect(srv *gitserver.Server) {
	godirect.PrefetchDirect(srv, "good")
	godirect.PrefetchDirect(srv, "bad")
	godirect.Prefetch("direct-file", fileCollector(srv))
}

func fileSpecs(srv *gitserver.Server) []godirect.Spec {
	tags := srv.Set.Repo("tags")
	return []godirect.Spec{
		{Path: gitserver.FileHost + "/tags", Queries: []string{"main", "next", tags.Commits["meta"][:12]}},
		{Path: gitserver.FileHost + "/tags/sub", Queries: []string{"main"}},
	}
}

// fileCollector: the go command reaching the repositories under FileHost
// over file:// (see TestDirectFileRewrite).
func fileCollector(srv *gitserver.Server) func() (*godirect.Results, error) {
	return func() (*godirect.Results, error) {
		e, err := scratchDirect(srv)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(e.Home, ".gitconfig"), []byte(srv.Set.FileGitConfig()), 0o644); err != nil {
			return nil, err
		}
		return godirect.Collect(e, fileSpecs(srv))
	}
}

func TestDirectDifferential(t *testing.T) {
	harness.SkipRepeatedDifferential(t)
	srv := sharedGitserver(t)
	prefetchDirect(srv)
	p := startDirect(t, srv)
	got := proxiedResults(t, p, godirect.Specs(srv.Set, gitserver.Host))
	want := godirect.DirectResults(t, srv, "good")
	n := compareResults(t, want, got)
	// The raw lists: exactly the go command's versions, retracted ones
	// included (the go command filters retractions itself).
	for path, m := range want.Modules {
		r := p.Get("/" + escapePath(path) + "/@v/list")
		if r.Status != http.StatusOK {
			t.Errorf("%s", r)
			continue
		}
		if raw, w := sortedFields(r.Body), sortedCopy(m.Versions); !reflect.DeepEqual(raw, w) {
			t.Errorf("%s/@v/list = %v; go -versions -retracted (direct) = %v", path, raw, w)
		} else {
			n++
		}
	}
	harness.ExpectLayout(t, p.CacheDir)
	t.Logf("direct differential: %d repository/version cases matched (go direct %v, through modproxy %v)",
		n, want.Elapsed.Round(1e6), got.Elapsed.Round(1e6))
}

// The file:// variant: modproxy reads the same repositories through a
// [[rewrite]] to file:// URLs; the go command reaches them through a
// go-import page announcing https://files.example.test/<name>.git and git's
// url.<file:///DIR/>.insteadOf (it refuses file: URLs in go-import pages).
func TestDirectFileRewrite(t *testing.T) {
	srv := sharedGitserver(t)
	prefetchDirect(srv)
	specs := fileSpecs(srv)
	want := godirect.Memo(t, "direct-file", fileCollector(srv))
	config := filepath.Join(t.TempDir(), "modproxy.toml")
	toml := fmt.Sprintf("[[rewrite]]\nmodule = %q\nurl = %q\n",
		gitserver.FileHost+"/*", "file://"+srv.Set.Dir+"/{path}.git")
	if err := os.WriteFile(config, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Requests())
	// No HTTP proxy: a rewritten module never needs the network.
	p := harness.Start(t, harness.Options{Upstream: "direct", Env: []string{"HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1"},
		Args: []string{"--config", config}})
	got := proxiedResults(t, p, specs)
	n := compareResults(t, want, got)
	for _, r := range srv.Requests()[before:] {
		if r.Host == gitserver.FileHost {
			t.Errorf("modproxy reached the gitserver for a file:// rewrite: %v", r)
		}
	}
	t.Logf("direct differential (file://): %d repository/version cases matched", n)
}

// Bad input: each a clear non-200 answer and nothing cached.
func TestDirectBadInput(t *testing.T) {
	srv := sharedGitserver(t)
	prefetchDirect(srv)
	bad := godirect.DirectResults(t, srv, "bad")
	p := startDirect(t, srv, "--list-ttl", "100ms")

	t.Run("vanished", func(t *testing.T) {
		mp := gitserver.Module(gitserver.Host, "vanish")
		// First proof that it works while the repository exists.
		if r := p.Get("/" + mp + "/@v/list"); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "v1.0.0") {
			t.Fatalf("before the repository vanished: %s", r)
		}
		if err := srv.Remove("vanish"); err != nil {
			t.Fatal(err)
		}
		// A modproxy that never saw it (a mirror fetched before may keep
		// serving what it has, as the go command's own cache would).
		fresh := startDirect(t, srv)
		for _, file := range []string{"@v/list", "@v/v1.0.0.info", "@v/v1.0.0.mod", "@v/v1.0.0.zip"} {
			r := fresh.Get("/" + mp + "/" + file)
			t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
			body := string(r.Body)
			named := strings.Contains(body, "vanish.git") || (strings.Contains(body, "repository") && strings.Contains(body, "vanish"))
			if (r.Status != http.StatusNotFound && r.Status != http.StatusBadGateway) || !named {
				t.Errorf("vanished repository: %s; want 404 or 502 naming the repository", r)
			}
		}
		expectNothingCached(t, fresh, mp)
	})

	t.Run("invalid-file-name", func(t *testing.T) {
		mp := gitserver.Module(gitserver.Host, "badname")
		m := bad.Module(mp)
		r := p.Get("/" + mp + "/@v/list")
		if r.Status != http.StatusOK || !reflect.DeepEqual(sortedFields(r.Body), sortedCopy(m.Versions)) {
			t.Errorf("%s; go (direct) lists %v", r, m.Versions)
		}
		for _, v := range []string{"v1.1.0", "v1.2.0"} {
			goErr := m.Downloads[v].Error
			if goErr == "" {
				t.Fatalf("the go command built %s@%s; the fixture is broken", mp, v)
			}
			// The go command says "create zip: <file>: <what is wrong>".
			why := goErr[strings.LastIndex(goErr, "create zip: ")+len("create zip: "):]
			r := p.Get("/" + mp + "/@v/" + v + ".zip")
			t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
			// Any non-200 status: 404 is what proxy.golang.org answers for
			// versions it cannot build, and a client falling through to
			// direct mode gets the same error.
			if r.Status == http.StatusOK || !strings.Contains(string(r.Body), why) {
				t.Errorf("%s; want an error saying %q (the go command: %q)", r, why, goErr)
			}
			harness.ExpectNoFile(t, p.CacheDir, mp+"/@v/"+v+".zip")
			// .info and .mod do not need the zip.
			for _, ext := range []string{"info", "mod"} {
				if r := p.Get("/" + mp + "/@v/" + v + "." + ext); r.Status != http.StatusOK {
					t.Errorf("%s", r)
				}
			}
		}
		if r := p.Get("/" + mp + "/@v/v1.0.0.zip"); r.Status != http.StatusOK {
			t.Errorf("%s", r)
		}
	})

	t.Run("repository-too-large", func(t *testing.T) {
		small := startDirect(t, srv, "--git-max-repo-size", "1MiB")
		mp := gitserver.Module(gitserver.Host, "large")
		if d := bad.Module(mp).Downloads["v1.0.0"]; d.Error != "" {
			t.Fatalf("the go command could not download %s@v1.0.0 (%s); the fixture is broken", mp, d.Error)
		}
		r := small.Get("/" + mp + "/@v/v1.0.0.zip")
		t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
		if r.Status == http.StatusOK || r.Status == http.StatusNotFound || !mentionsLimit(string(r.Body)) {
			t.Errorf("%s; want an error naming the 1MiB limit", r)
		}
		expectNothingCached(t, small, mp)
		// The list may come from the refs alone (no fetch): then it must be
		// right; if it needs the fetch, it fails the same way.
		r = small.Get("/" + mp + "/@v/list")
		if r.Status == http.StatusOK {
			if got, want := sortedFields(r.Body), sortedCopy(bad.Module(mp).Versions); !reflect.DeepEqual(got, want) {
				t.Errorf("%s; go (direct) lists %v", r, want)
			}
		} else if r.Status == http.StatusNotFound || !mentionsLimit(string(r.Body)) {
			t.Errorf("%s; want 200 or an error naming the 1MiB limit", r)
		}
	})

	t.Run("discovery-to-private-address", func(t *testing.T) {
		mp := gitserver.SSRFRoot
		strict := startDirectStrict(t, srv)
		before := len(srv.Requests())
		for _, file := range []string{"@v/list", "@v/v1.0.0.info", "@v/v1.0.0.zip"} {
			r := strict.Get("/" + mp + "/" + file)
			t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
			body := strings.ToLower(string(r.Body))
			if (r.Status != http.StatusForbidden && r.Status != http.StatusBadGateway) ||
				!(strings.Contains(body, "private address") || strings.Contains(body, "internal address")) {
				t.Errorf("%s; want 403 or 502 about a private address", r)
			}
		}
		expectNothingCached(t, strict, mp)
		for _, r := range srv.Requests()[before:] {
			if strings.HasPrefix(r.Path, "/ssrf.git") {
				t.Errorf("modproxy fetched from the private address: %v", r)
			}
		}
		// A --private path may use a private address.
		priv := startDirectStrict(t, srv, "--private", mp)
		want := bad.Module(mp)
		r := priv.Get("/" + mp + "/@v/list")
		if r.Status != http.StatusOK || !reflect.DeepEqual(sortedFields(r.Body), sortedCopy(want.Versions)) {
			t.Errorf("--private %s: %s; go (direct) lists %v", mp, r, want.Versions)
		}
		got := proxiedResults(t, priv, []godirect.Spec{{Path: mp}})
		compareResults(t, &godirect.Results{Modules: map[string]*godirect.Module{mp: want}}, got)
	})
}

// compareResults reports every difference between the go command's direct
// answers and its answers through modproxy, and returns how many cases
// matched (a list, an @latest, a query, a version's .info or sums).
func compareResults(t *testing.T, want, got *godirect.Results) int {
	t.Helper()
	n := 0
	check := func(ok bool, format string, args ...any) {
		t.Helper()
		if ok {
			n++
		} else {
			t.Errorf(format, args...)
		}
	}
	for _, path := range sortedKeys(want.Modules) {
		w, g := want.Modules[path], got.Modules[path]
		if g == nil {
			t.Errorf("%s: no answers through modproxy", path)
			continue
		}
		if len(g.Versions) == 0 && len(w.Versions) > 0 && len(g.Downloads) == 0 {
			// Nothing worked: one line instead of one per version.
			t.Errorf("%s: nothing through modproxy (list error %q, @latest error %q); direct lists %v",
				path, g.ListError, g.Latest.Error, w.Versions)
			continue
		}
		check(reflect.DeepEqual(w.Versions, g.Versions) && (w.ListError == "") == (g.ListError == ""),
			"%s: list through modproxy %v (error %q); direct %v (error %q)", path, g.Versions, g.ListError, w.Versions, w.ListError)
		check(sameInfo(w.Latest, g.Latest), "%s@latest through modproxy %+v; direct %+v", path, g.Latest, w.Latest)
		for q, wi := range w.Queries {
			check(sameInfo(wi, g.Queries[q]), "%s@%s through modproxy %+v; direct %+v", path, q, g.Queries[q], wi)
		}
		for v, wi := range w.Listed {
			_, asked := g.Listed[v]
			check(asked && sameInfo(wi, g.Listed[v]), "%s@%s .info through modproxy %+v; direct %+v", path, v, g.Listed[v], wi)
		}
		for v, wd := range w.Downloads {
			gd, asked := g.Downloads[v]
			if !asked {
				t.Errorf("%s@%s: never downloaded through modproxy (not listed nor a query result there)", path, v)
				continue
			}
			check(wd.Sum == gd.Sum && wd.GoModSum == gd.GoModSum && (wd.Error == "") == (gd.Error == ""),
				"%s@%s through modproxy: zip %s mod %s error %q; direct: zip %s mod %s error %q",
				path, v, gd.Sum, gd.GoModSum, gd.Error, wd.Sum, wd.GoModSum, wd.Error)
		}
	}
	return n
}

// sameInfo: same version, time and retractions; an error on both sides
// counts as the same (the messages differ by design: one names git, the
// other the proxy).
func sameInfo(a, b godirect.Info) bool {
	if a.Error != "" || b.Error != "" {
		return a.Error != "" && b.Error != ""
	}
	return a.Version == b.Version && a.Time == b.Time && reflect.DeepEqual(a.Retracted, b.Retracted)
}

// expectNothingCached fails if the cache holds any file of module path mp
// (outside .modproxy/, where git mirrors may live).
func expectNothingCached(t *testing.T, p *harness.Proxy, mp string) {
	t.Helper()
	for _, f := range harness.CacheFiles(t, p.CacheDir) {
		if strings.HasPrefix(f, escapePath(mp)+"/") {
			t.Errorf("cache holds %s after a failed fetch", f)
		}
	}
}

func mentionsLimit(body string) bool {
	for _, s := range []string{"1MiB", "1 MiB", "1048576"} {
		if strings.Contains(body, s) {
			return true
		}
	}
	return false
}

// escapePath is the go command's case encoding of a module path.
func escapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func sortedFields(body []byte) []string { return sortedCopy(strings.Fields(string(body))) }

func sortedCopy(v []string) []string {
	out := append([]string{}, v...)
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
