// Package e2e runs the real go command (Go 1.19, GOPROXY protocol client and
// checksum-database verifier) against a running modproxy.
package e2e

import (
	"reflect"
	"testing"

	"modproxy/tests/internal/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// e2eModules are the versions the go command downloads in every scenario:
// plain, case-escaped, +incompatible, /v2 and two real modules.
func e2eModules(t *testing.T, f *harness.Fixtures) []harness.Module {
	return []harness.Module{
		f.Module(t, "example.com/hello", "v1.0.0"),
		f.Module(t, "example.com/hello", "v1.1.0"),
		f.Module(t, "example.com/Upper", "v1.0.1-RC1"),
		f.Module(t, "example.com/legacy", "v2.0.0+incompatible"),
		f.Module(t, "example.com/hello/v2", "v2.0.0"),
		f.Module(t, "github.com/pkg/errors", "v0.9.1"),
		f.Module(t, "github.com/google/uuid", "v1.3.0"),
	}
}

// exercise runs the go command scenarios against one GOPROXY setting.
func exercise(t *testing.T, env *harness.GoEnv, f *harness.Fixtures) {
	t.Helper()
	env.Download(t, e2eModules(t, f)...)
	if got, want := env.Versions(t, "example.com/hello"), []string{"v1.0.0", "v1.1.0", "v1.2.0-rc.1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("go list -m -versions example.com/hello = %v, want %v", got, want)
	}
	if got, want := env.Versions(t, "example.com/Upper"), []string{"v1.0.0", "v1.0.1-RC1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("go list -m -versions example.com/Upper = %v, want %v", got, want)
	}
	if v := env.Latest(t, "example.com/hello"); v != "v1.1.0" {
		t.Errorf("go list -m example.com/hello@latest = %s, want v1.1.0", v)
	}
	if out := env.BuildConsumer(t); out != harness.ConsumerOutput {
		t.Errorf("consumer printed %q, want %q", out, harness.ConsumerOutput)
	}
}

// Through modproxy with the live checksum database proxied by modproxy, then
// with the upstream and the database stopped and a fresh client: everything
// still works from modproxy's cache (lists served stale after their TTL).
func TestGoCommandOnlineThenOffline(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := harness.StartSumdb(t, f)
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey + " " + db.URL,
		Args: []string{"--list-ttl", "100ms", "--upstream-timeout", "2s"}})

	t.Run("online", func(t *testing.T) {
		// GOSUMDB without a URL: the go command asks modproxy whether it
		// proxies the database (/sumdb/<name>/supported) and sends it every lookup.
		exercise(t, harness.NewGoEnv(t, p.URL, db.VKey), f)
		if up.Total() == 0 {
			t.Errorf("the fixture upstream was never used")
		}
		// The go command's lookups went through modproxy, which kept them.
		lookup := "sumdb/" + db.Name + "/lookup/example.com/hello@v1.0.0"
		if harness.ReadCache(p.CacheDir, lookup) == nil {
			t.Errorf("modproxy's cache lacks %s; it has %v", lookup, harness.CacheFiles(t, p.CacheDir))
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	up.Close()
	db.Stop()
	t.Run("offline", func(t *testing.T) {
		exercise(t, harness.NewGoEnv(t, p.URL, db.VKey), f)
	})
}

// --sumdb with only a key: modproxy forwards the database to the first
// upstream's /sumdb/<name>/ (here the static snapshot in the fixture tree).
func TestGoCommandWithSumdbBehindUpstream(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := f.Manifest.Sumdb
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey})
	env := harness.NewGoEnv(t, p.URL, db.VKey)
	env.Download(t, f.Module(t, "example.com/hello", "v1.0.0"), f.Module(t, "github.com/pkg/errors", "v0.9.1"))
	if n := up.Count("/sumdb/" + db.Name + "/lookup/example.com/hello@v1.0.0"); n != 1 {
		t.Errorf("upstream got %d lookups for example.com/hello@v1.0.0, want 1", n)
	}
	if n := up.Count("/sumdb/" + db.Name + "/supported"); n != 0 {
		t.Errorf("upstream got %d /supported requests; modproxy must answer them itself", n)
	}
}

// A file:// upstream, as an air-gapped mirror would use.
func TestGoCommandThroughFileUpstream(t *testing.T) {
	f := harness.Fixture(t)
	p := harness.Start(t, harness.Options{Upstream: "file://" + f.Tree})
	exercise(t, harness.NewGoEnv(t, p.URL, "off"), f)
}

// modproxy's cache directory is itself a valid GOPROXY=file:// tree.
func TestCacheDirWorksAsFileProxy(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	p := harness.Start(t, harness.Options{Upstream: up.URL})
	exercise(t, harness.NewGoEnv(t, p.URL, "off"), f)
	if code := p.Stop(); code != 0 {
		t.Errorf("modproxy exit code %d after SIGTERM", code)
	}
	up.Close()
	exercise(t, harness.NewGoEnv(t, "file://"+p.CacheDir, "off"), f)
}
