package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"modproxy/tests/internal/gitserver"
	"modproxy/tests/internal/godirect"
	"modproxy/tests/internal/harness"
)

// Direct mode is verified like any other upstream (issue 5 with issue 4):
// what modproxy builds from git is checked against the checksum database
// before it is cached or served. The database (tests/fixtures/sumdb) holds
// the sums the go command itself computes from the same repositories in
// direct mode, so a modproxy that built a different zip or go.mod than the
// go command would be refused here too. A record that lies (-tamper) makes
// the zip or go.mod a 403 SECURITY with nothing cached, and a --private
// path is served without the database ever hearing of it.

// verifyQueries are the module versions (or queries, resolved by the go
// command) the database knows, under gitserver.Host: few, because the go
// command is slow at them (TestDirectDifferential covers the rest).
var verifyQueries = []string{
	"tags@v1.0.0",                // annotated tag
	"tags@main",                  // a pseudo-version
	"retract@v1.0.0",             // lightweight tag
	"legacy@v2.0.0+incompatible", // no go.mod: a synthesized one
}

const (
	zipTampered = "tags@v1.0.0"    // -tamper M@V:zip
	modTampered = "retract@v1.0.0" // -tamper M@V:mod
)

// verifyVersion is one version the database knows.
type verifyVersion struct {
	Path, Version string
	Sum, GoModSum string
}

func (v verifyVersion) String() string { return v.Path + "@" + v.Version }

// tree is the cache path of one of its files (ext "mod" or "zip").
func (v verifyVersion) tree(ext string) string {
	return escapePath(v.Path) + "/@v/" + v.Version + "." + ext
}

func (v verifyVersion) url(ext string) string { return "/" + v.tree(ext) }

// verifySums are the go command's answers for verifyQueries, once per test
// binary.
func verifySums(t *testing.T, srv *gitserver.Server) []verifyVersion {
	t.Helper()
	res := godirect.Memo(t, "direct-verify", verifyCollector(srv))
	var out []verifyVersion
	for _, q := range verifyQueries {
		path, _, _ := strings.Cut(gitserver.Host+"/"+q, "@")
		d := res.Module(path).Downloads[gitserver.Host+"/"+q]
		if d.Error != "" || d.Sum == "" || d.GoModSum == "" {
			t.Fatalf("the go command could not download %s (%q); the fixture is broken", q, d.Error)
		}
		out = append(out, verifyVersion{Path: path, Version: d.Version, Sum: d.Sum, GoModSum: d.GoModSum})
	}
	return out
}

// verifyCollector asks the go command (direct mode) for verifyQueries:
// results by module path, Downloads keyed by "M@query".
func verifyCollector(srv *gitserver.Server) func() (*godirect.Results, error) {
	return func() (*godirect.Results, error) {
		e, err := scratchDirect(srv)
		if err != nil {
			return nil, err
		}
		var args []string
		for _, q := range verifyQueries {
			args = append(args, gitserver.Host+"/"+q)
		}
		dls, err := goDownloads(e, args)
		if err != nil {
			return nil, err
		}
		res := &godirect.Results{Env: e.Name, Modules: map[string]*godirect.Module{}}
		for q, d := range dls {
			path, _, _ := strings.Cut(q, "@")
			m := res.Modules[path]
			if m == nil {
				m = &godirect.Module{Path: path, Downloads: map[string]godirect.Download{}}
				res.Modules[path] = m
			}
			m.Downloads[q] = d // by query: "tags@main" -> its pseudo-version
		}
		return res, nil
	}
}

// goDownloads is `go mod download -json args...`, by argument ("M@query").
func goDownloads(e *godirect.Env, args []string) (map[string]godirect.Download, error) {
	out, stderr, runErr := e.Run("", append([]string{"mod", "download", "-json"}, args...)...)
	res := map[string]godirect.Download{}
	dec := json.NewDecoder(strings.NewReader(out))
	for i := 0; dec.More(); i++ {
		var d struct{ Path, Version, Error, Sum, GoModSum string }
		if err := dec.Decode(&d); err != nil {
			return nil, fmt.Errorf("go mod download: %v\n%s", err, out)
		}
		// The go command reports in argument order.
		if i >= len(args) || !strings.HasPrefix(args[i], d.Path+"@") {
			return nil, fmt.Errorf("go mod download %v: results out of order:\n%s", args, out)
		}
		res[args[i]] = godirect.Download{Version: d.Version, Sum: d.Sum, GoModSum: d.GoModSum, Error: d.Error}
	}
	if len(res) != len(args) {
		return nil, fmt.Errorf("go mod download: %d results for %d arguments (%v)\nstderr:\n%s", len(res), len(args), runErr, stderr)
	}
	return res, nil
}

// verifyingSumdb starts the fixture database holding versions (with
// dbArgs such as -tamper).
func verifyingSumdb(t *testing.T, versions []verifyVersion, dbArgs ...string) *harness.LiveSumdb {
	t.Helper()
	type entry struct {
		Path    string `json:"path"`
		Version string `json:"version"`
		ZipHash string `json:"zipHash"`
		ModHash string `json:"modHash"`
	}
	var man struct {
		Modules []entry `json:"modules"`
	}
	for _, v := range versions {
		man.Modules = append(man.Modules, entry{v.Path, v.Version, v.Sum, v.GoModSum})
	}
	data, err := json.Marshal(man)
	if err != nil {
		t.Fatal(err)
	}
	f := *harness.Fixture(t) // for the sumdb tool
	f.ManifestPath = filepath.Join(t.TempDir(), "direct-manifest.json")
	if err := os.WriteFile(f.ManifestPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return harness.StartSumdbArgs(t, &f, dbArgs...)
}

// startDirectVerified is startDirect checking every public path against db.
func startDirectVerified(t *testing.T, srv *gitserver.Server, db *harness.LiveSumdb, args ...string) *harness.Proxy {
	t.Helper()
	if !gitViaProxy {
		args = append([]string{"--direct-private-networks", "true"}, args...)
	}
	env := append(srv.ProxyEnv(), "HOME="+t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "XDG_CONFIG_HOME=")
	return harness.Start(t, harness.Options{Upstream: "direct", Sumdb: db.VKey + " " + db.URL, Env: env,
		Args: append(append([]string(nil), directArgs...), args...)})
}

func TestDirectVerified(t *testing.T) {
	harness.SkipRepeatedDifferential(t)
	srv := sharedGitserver(t)
	godirect.Prefetch("direct-verify", verifyCollector(srv))
	harness.Fixture(t) // builds the sumdb tool meanwhile
	versions := verifySums(t, srv)
	byName := map[string]verifyVersion{}
	for _, v := range versions {
		byName[strings.TrimPrefix(v.String(), gitserver.Host+"/")] = v
	}
	private := gitserver.Module(gitserver.Host, "private")

	// Both at once: each waits for git and its database most of the time.
	t.Run("good", func(t *testing.T) {
		t.Parallel()
		db := verifyingSumdb(t, versions)
		p := startDirectVerified(t, srv, db, "--private", private)
		for _, v := range versions {
			for _, ext := range []string{"mod", "zip"} {
				r := p.Get(v.url(ext))
				if r.Status != http.StatusOK {
					t.Errorf("%s", r)
					continue
				}
				r.ExpectCacheHitHeader(t, "false")
				want, got := v.GoModSum, modH1(r.Body)
				if ext == "zip" {
					var err error
					want = v.Sum
					if got, err = zipH1(r.Body, v.String()+"/"); err != nil {
						t.Errorf("%s: %v", r.Path, err)
					}
				}
				if got != want {
					t.Errorf("%s: h1 %s; the go command: %s", r.Path, got, want)
				}
				if cached := harness.ReadCache(p.CacheDir, v.tree(ext)); string(cached) != string(r.Body) {
					t.Errorf("%s: cache holds %d bytes, want the %d bytes served", v.tree(ext), len(cached), len(r.Body))
				}
				p.Get(v.url(ext)).ExpectCacheHitHeader(t, "true")
			}
			if got := db.RequestsContaining(t, "/lookup/"+escapePath(v.Path)+"@"+v.Version); len(got) == 0 {
				t.Errorf("%s served without a lookup in the checksum database", v)
			}
		}
		for _, ep := range []string{"mod", "zip"} {
			if n := integrityFailures(t, p, ep, "checksum_mismatch"); n != 0 {
				t.Errorf("integrity failures {%s,checksum_mismatch} = %v after good versions", ep, n)
			}
		}

		// The --private path: served from git, never looked up.
		for _, file := range []string{"@v/list", "@v/v1.0.0.info", "@v/v1.0.0.mod", "@v/v1.0.0.zip"} {
			if r := p.Get("/" + private + "/" + file); r.Status != http.StatusOK {
				t.Errorf("--private %s: %s", private, r)
			}
		}
		if got := db.RequestsContaining(t, private); len(got) != 0 {
			t.Errorf("the checksum database heard of the --private path %s: %v", private, got)
		}
		harness.ExpectLayout(t, p.CacheDir)
	})

	t.Run("tampered", func(t *testing.T) {
		t.Parallel()
		zv, mv := byName[zipTampered], byName[modTampered]
		db := verifyingSumdb(t, versions, "-tamper", zv.String()+":zip", "-tamper", mv.String()+":mod")
		p := startDirectVerified(t, srv, db, "--negative-ttl", "200ms")

		before := integrityFailures(t, p, "zip", "checksum_mismatch")
		r := p.Get(zv.url("zip"))
		t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
		expectSecurity(t, p, r, "zip", "checksum_mismatch", before, zv.tree("zip"))
		if r := p.Get(zv.url("zip")); r.Status != http.StatusForbidden {
			t.Errorf("second request for a zip the database disowns: want 403, got %s", r)
		}
		harness.ExpectNoFile(t, p.CacheDir, zv.tree("zip"))
		// Its go.mod matches the record's /go.mod line.
		if r := p.Get(zv.url("mod")); r.Status != http.StatusOK || modH1(r.Body) != zv.GoModSum {
			t.Errorf("%s; want the go.mod with %s", r, zv.GoModSum)
		}

		before = integrityFailures(t, p, "mod", "checksum_mismatch")
		r = p.Get(mv.url("mod"))
		t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
		expectSecurity(t, p, r, "mod", "checksum_mismatch", before, mv.tree("mod"))
		if r := p.Get(mv.url("mod")); r.Status != http.StatusForbidden {
			t.Errorf("second request for a go.mod the database disowns: want 403, got %s", r)
		}
		harness.ExpectNoFile(t, p.CacheDir, mv.tree("mod"))

		// The other versions are unaffected.
		for _, v := range versions {
			if v == zv || v == mv {
				continue
			}
			if r := p.Get(v.url("zip")); r.Status != http.StatusOK {
				t.Errorf("%s", r)
			}
		}
	})
}
