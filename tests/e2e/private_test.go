package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"modproxy/tests/internal/gitserver"
	"modproxy/tests/internal/godirect"
	"modproxy/tests/internal/harness"
)

func init() {
	harness.AtExit(gitserver.Cleanup)
	harness.AtExit(godirect.Cleanup)
}

// A consumer importing a private module (git.example.test/private, which
// modproxy fetches from git itself: --private) and a public one (from the
// fixture upstream, verified against the checksum database through
// modproxy). The private path must never reach the upstream proxy or the
// checksum database: their request logs are checked.
func TestPrivateModuleNeverLeaves(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := harness.StartSumdb(t, f)
	srv := gitserver.Shared(t)
	// libgit2 1.5 cannot fetch plain http through a proxy: the pages name
	// the loopback address, which --private paths may use (see
	// integration/direct_test.go, gitViaProxy).
	srv.LoopbackGit()
	private := gitserver.Module(gitserver.Host, "private")
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey + " " + db.URL,
		Args: []string{"--private", gitserver.Host, "--insecure", "*.example.test"},
		Env:  append(srv.ProxyEnv(), "HOME="+t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "XDG_CONFIG_HOME=")})

	env := harness.NewGoEnv(t, p.URL, db.VKey)
	// What a user of a private module sets: no checksum database for it.
	env.Extra = []string{"GONOSUMDB=" + gitserver.Host}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/privateconsumer\n\ngo 1.19\n\nrequire (\n" +
			"\texample.com/hello v1.1.0\n\t" + private + " v1.0.0\n)\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/hello\"\n\t\"" + private + "\"\n)\n\n" +
			"func main() { fmt.Println(private.Secret() + \" + \" + hello.Hello()) }\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "consumer")
	env.Run(t, dir, "build", "-o", bin, ".")
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("consumer: %v\n%s", err, out)
	}
	if got, want := string(out), "private v1.0.0 + hello v1.1.0\n"; got != want {
		t.Errorf("consumer printed %q, want %q", got, want)
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil || !strings.Contains(string(sum), private+" v1.0.0 h1:") {
		t.Errorf("go.sum lacks %s: %q %v", private, sum, err)
	}

	// A lookup of the private path sent to modproxy's checksum-database
	// proxy is refused, not forwarded.
	if r := p.Get("/sumdb/" + db.Name + "/lookup/" + private + "@v1.0.0"); r.Status == 200 {
		t.Errorf("modproxy answered a checksum-database lookup for the private module: %s", r)
	}

	if len(srv.RequestsMatching(`^POST (git\.example\.test|127\.0\.0\.1)/private\.git/git-upload-pack$`)) == 0 {
		t.Errorf("the private module did not come from git: gitserver saw %v", srv.RequestsMatching("private"))
	}
	if up.Total() == 0 {
		t.Errorf("the fixture upstream was never used (the public module must come from it)")
	}
	for _, r := range up.Requests() {
		if strings.Contains(r.Path, gitserver.Host) {
			t.Errorf("the upstream proxy was asked for the private path: %s %s", r.Method, r.Path)
		}
	}
	if leaked := db.RequestsContaining(t, gitserver.Host); len(leaked) > 0 {
		t.Errorf("the checksum database was asked about the private path: %v", leaked)
	}
	if len(db.RequestsContaining(t, "example.com/hello")) == 0 {
		t.Errorf("the public module was never looked up in the checksum database (the check above proves nothing)")
	}
}
