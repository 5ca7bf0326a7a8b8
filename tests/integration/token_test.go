package integration

// Tokens and the auth file (issue 6): Bearer and Basic credentials, 401
// with the challenge, --allow-anonymous, open health endpoints,
// --metrics-auth, allow/deny rules, the go command with a .netrc, reload on
// SIGHUP, and the `modproxy auth` subcommands.

import (
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"modproxy/tests/internal/certs"
	"modproxy/tests/internal/harness"
)

// tokens is an auth file with alice (allow example.com/*, deny
// example.com/legacy, metrics) and bob (two secrets, no rules, no metrics).
type tokens struct {
	file                    string
	alice, bob1, bob2, none string
}

func newTokens(t *testing.T) *tokens {
	t.Helper()
	k := &tokens{alice: newToken(), bob1: newToken(), bob2: newToken(), none: newToken()}
	k.file = writeFile(t, t.TempDir(), "auth.toml", `
[[identity]]
name = "alice"
secrets = ["`+tokenHash(k.alice)+`"]
allow = "example.com/*"
deny = "example.com/legacy"
metrics = true

[[identity]]
name = "bob"
secrets = ["`+tokenHash(k.bob1)+`", "`+tokenHash(k.bob2)+`"]
`)
	return k
}

// expect401 checks a refusal for missing or bad credentials.
func expect401(t *testing.T, r *harness.Response, what string) {
	t.Helper()
	if r.Status != http.StatusUnauthorized {
		t.Errorf("%s: %s, want 401", what, r)
		return
	}
	if got := r.Header.Get("WWW-Authenticate"); got != `Basic realm="modproxy"` {
		t.Errorf("%s: WWW-Authenticate %q, want %q", what, got, `Basic realm="modproxy"`)
	}
	r.ExpectOneLineError(t)
}

// Bearer and Basic (user = entry name) work, either of bob's secrets works;
// wrong token, wrong user, unknown scheme and no credentials get 401.
func TestTokenBearerAndBasic(t *testing.T) {
	k := newTokens(t)
	e := newEnv(t, "--auth-file", k.file)
	hello := e.mod(t, "example.com/hello", "v1.0.0")
	c := e.p.Client()

	c.Get(hello.URLPath("info"), bearer(k.alice)...).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, hello.URLPath("info"), 200, "alice")
	c.Get(hello.URLPath("mod"), basic("alice", k.alice)...).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, hello.URLPath("mod"), 200, "alice")
	c.Get(hello.URLPath("zip"), bearer(k.bob1)...).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, hello.URLPath("zip"), 200, "bob")
	c.Get("/example.com/hello/@v/list", basic("bob", k.bob2)...).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, "/example.com/hello/@v/list", 200, "bob")

	bad := []struct {
		what   string
		header []string
	}{
		{"no credentials", nil},
		{"unknown token", bearer(k.none)},
		{"token with a typo", bearer(k.alice[:len(k.alice)-1] + "x")},
		{"Basic with another entry's name", basic("bob", k.alice)},
		{"Basic with an unknown name", basic("mallory", k.alice)},
		{"Basic with a wrong password", basic("alice", k.bob1)},
		{"the hash instead of the token", bearer(tokenHash(k.alice))},
		{"unknown scheme", []string{"Authorization", "Token " + k.alice}},
		{"empty Bearer", []string{"Authorization", "Bearer "}},
	}
	for _, b := range bad {
		expect401(t, c.Get(hello.URLPath("info"), b.header...), b.what)
	}
	expect401(t, c.Get("/example.com/hello/@latest"), "@latest without credentials")
	for _, l := range accessEntries(t, e.p) {
		if l.Status == 401 && l.Identity != nil && *l.Identity != "" {
			t.Errorf("a refused request was logged with identity %q: %s", *l.Identity, l.raw)
		}
	}
}

// --allow-anonymous true: no credentials are served as anonymous, bad
// credentials are still 401.
func TestTokenAllowAnonymous(t *testing.T) {
	k := newTokens(t)
	e := newEnv(t, "--auth-file", k.file, "--allow-anonymous", "true")
	hello := e.mod(t, "example.com/hello", "v1.0.0")
	e.p.Get(hello.URLPath("info")).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, hello.URLPath("info"), 200, "")
	expect401(t, e.p.Get(hello.URLPath("mod"), bearer(k.none)...), "unknown token with --allow-anonymous")
	expect401(t, e.p.Get(hello.URLPath("mod"), basic("alice", k.bob1)...), "wrong Basic password with --allow-anonymous")
	e.p.Get(hello.URLPath("mod"), bearer(k.bob1)...).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, hello.URLPath("mod"), 200, "bob")
	// Anonymous has no allow/deny rules: paths alice may not fetch are open.
	e.p.Get("/"+e.mod(t, "example.com/legacy", "v2.0.0+incompatible").TreePath("info")).ExpectStatus(t, http.StatusOK)
}

// /healthz and /readyz are always open; /metrics is open without
// --metrics-auth, and with it needs an identity with metrics = true.
func TestTokenHealthAndMetrics(t *testing.T) {
	k := newTokens(t)
	open := newEnv(t, "--auth-file", k.file)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		open.p.Get(p).ExpectStatus(t, http.StatusOK)
	}
	expect401(t, open.p.Get("/example.com/hello/@v/list"), "module path without credentials")

	e := newEnv(t, "--auth-file", k.file, "--metrics-auth", "true")
	e.p.Get("/healthz").ExpectStatus(t, http.StatusOK)
	e.p.Get("/readyz").ExpectStatus(t, http.StatusOK)
	expect401(t, e.p.Get("/metrics"), "/metrics without credentials")
	expect401(t, e.p.Get("/metrics", bearer(k.none)...), "/metrics with an unknown token")
	if r := e.p.Get("/metrics", bearer(k.bob1)...); r.Status != http.StatusForbidden {
		t.Errorf("/metrics as bob (no metrics = true): %s, want 403", r)
	}
	r := e.p.Get("/metrics", bearer(k.alice)...)
	r.ExpectStatus(t, http.StatusOK)
	if !strings.Contains(string(r.Body), "# TYPE") {
		t.Errorf("/metrics as alice: body is not Prometheus text: %q", harness.OneLine(r.Body))
	}
	e.p.Get("/metrics", basic("alice", k.alice)...).ExpectStatus(t, http.StatusOK)

	// --metrics-auth with an auth file and --allow-anonymous: still 401.
	a := newEnv(t, "--auth-file", k.file, "--metrics-auth", "true", "--allow-anonymous", "true")
	expect401(t, a.p.Get("/metrics"), "/metrics anonymous with --allow-anonymous and --metrics-auth")
	a.p.Get("/example.com/hello/@v/list").ExpectStatus(t, http.StatusOK)
}

// allow/deny: a denied path is 403 (one line naming path and identity) for
// .info/.mod/.zip/list, @latest and sumdb lookups, and never reaches the
// upstream; allowed paths work.
func TestTokenAllowDeny(t *testing.T) {
	k := newTokens(t)
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	db := f.Manifest.Sumdb
	p := harness.Start(t, harness.Options{Upstream: up.URL, Sumdb: db.VKey, Args: []string{"--auth-file", k.file}})
	alice := bearer(k.alice)
	legacy := f.Module(t, "example.com/legacy", "v2.0.0+incompatible")
	pkgerr := f.Module(t, "github.com/pkg/errors", "v0.9.1")
	hello := f.Module(t, "example.com/hello", "v1.0.0")

	denied := []struct{ path, module string }{
		{legacy.URLPath("info"), "example.com/legacy"},
		{legacy.URLPath("mod"), "example.com/legacy"},
		{legacy.URLPath("zip"), "example.com/legacy"},
		{"/example.com/legacy/@v/list", "example.com/legacy"},
		{"/example.com/legacy/@latest", "example.com/legacy"},
		{"/sumdb/" + db.Name + "/lookup/example.com/legacy@v2.0.0+incompatible", "example.com/legacy"},
		{pkgerr.URLPath("info"), "github.com/pkg/errors"},           // outside allow
		{"/github.com/pkg/errors/@v/list", "github.com/pkg/errors"}, // outside allow
		{"/sumdb/" + db.Name + "/lookup/github.com/pkg/errors@v0.9.1", "github.com/pkg/errors"},
	}
	for _, d := range denied {
		r := p.Get(d.path, alice...)
		if r.Status != http.StatusForbidden {
			t.Errorf("alice: %s, want 403", r)
			continue
		}
		r.ExpectOneLineError(t)
		if !strings.Contains(string(r.Body), d.module) || !strings.Contains(string(r.Body), "alice") {
			t.Errorf("403 body %q does not name %s and alice", r.Body, d.module)
		}
	}
	if n := up.CountMatching("legacy|pkg/errors"); n != 0 {
		t.Errorf("denied requests reached the upstream %d times: %v", n, up.Requests())
	}
	// Allowed for alice; bob (no rules) may fetch everything.
	p.Get(hello.URLPath("info"), alice...).ExpectStatus(t, http.StatusOK)
	p.Get("/example.com/hello/@latest", alice...).ExpectStatus(t, http.StatusOK)
	p.Get("/example.com/hello/v2/@v/list", alice...).ExpectStatus(t, http.StatusOK)
	p.Get("/sumdb/"+db.Name+"/lookup/example.com/hello@v1.0.0", alice...).ExpectStatus(t, http.StatusOK)
	p.Get(legacy.URLPath("info"), bearer(k.bob1)...).ExpectStatus(t, http.StatusOK)
	p.Get(pkgerr.URLPath("info"), bearer(k.bob2)...).ExpectStatus(t, http.StatusOK)
	// Cached now, and still denied to alice.
	if r := p.Get(legacy.URLPath("info"), alice...); r.Status != http.StatusForbidden {
		t.Errorf("alice, cached denied path: %s, want 403", r)
	}
	// The sumdb endpoints that are not about a module are not subject to rules.
	p.Get("/sumdb/"+db.Name+"/supported", alice...).ExpectStatus(t, http.StatusOK)
}

// The go command sends .netrc credentials (Basic) to an https GOPROXY and
// downloads through an auth-file modproxy; over plain http it sends none
// (cmd/go/internal/web only calls auth.AddCredentials for https URLs), so
// the same setup gets 401.
func TestTokenGoCommandNetrc(t *testing.T) {
	k := newTokens(t)
	pki := certs.New(t)
	e := newTLSEnv(t, pki, "--auth-file", k.file)
	hello := e.mod(t, "example.com/hello", "v1.0.0")
	dir := t.TempDir()
	netrc := writeFile(t, dir, "netrc", "machine 127.0.0.1 login alice password "+k.alice+"\n")
	wrong := writeFile(t, dir, "netrc-wrong", "machine 127.0.0.1 login alice password "+k.none+"\n")

	g := harness.NewGoEnv(t, e.p.URL, "off")
	g.Extra = []string{"SSL_CERT_FILE=" + pki.CA.Cert, "SSL_CERT_DIR=" + t.TempDir(), "NETRC=" + netrc}
	g.Download(t, hello, e.mod(t, "example.com/hello/v2", "v2.0.0"))
	expectIdentity(t, e.p, hello.URLPath("zip"), 200, "alice")
	// alice's deny rule applies to the go command too.
	if stdout, stderr, err := g.RunErr(t.TempDir(), "mod", "download", "-json", "example.com/legacy@v2.0.0+incompatible"); err == nil {
		t.Errorf("go mod download of a denied module succeeded")
	} else if !strings.Contains(stdout+stderr, "403 Forbidden") {
		t.Errorf("go mod download of a denied module failed, but not with 403 Forbidden: %s %s", stdout, stderr)
	}

	for _, c := range []struct{ name, netrc string }{{"wrong password", wrong}, {"no netrc", filepath.Join(dir, "absent")}} {
		b := harness.NewGoEnv(t, e.p.URL, "off")
		b.Extra = []string{"SSL_CERT_FILE=" + pki.CA.Cert, "SSL_CERT_DIR=" + t.TempDir(), "NETRC=" + c.netrc}
		stdout, stderr, err := b.RunErr(t.TempDir(), "mod", "download", "-json", "example.com/hello@v1.1.0")
		if err == nil {
			t.Errorf("go mod download with %s succeeded", c.name)
		} else if !strings.Contains(stdout+stderr, "401") {
			t.Errorf("go mod download with %s failed without a 401: %s %s", c.name, stdout, stderr)
		}
	}

	// Plain http: the go command keeps the netrc to itself.
	plain := newEnv(t, "--auth-file", k.file)
	h := harness.NewGoEnv(t, plain.p.URL, "off")
	h.Extra = []string{"NETRC=" + netrc}
	stdout, stderr, err := h.RunErr(t.TempDir(), "mod", "download", "-json", "example.com/hello@v1.0.0")
	if err == nil {
		t.Errorf("go mod download over plain http with an auth file succeeded (did the go command send the netrc?)")
	} else if !strings.Contains(stdout+stderr, "401") {
		t.Errorf("go mod download over plain http: failed without a 401: %s %s", stdout, stderr)
	}
	for _, l := range accessEntries(t, plain.p) {
		if l.Status == 200 && strings.Contains(l.Path, "example.com/hello") {
			t.Errorf("plain http: served %s", l.raw)
		}
	}
}

// SIGHUP reloads the auth file: a removed token stops working, an added
// one works; a broken file is logged and the last good one kept.
func TestTokenReloadOnSIGHUP(t *testing.T) {
	alice, carol := newToken(), newToken()
	dir := t.TempDir()
	file := writeFile(t, dir, "auth.toml", "[[identity]]\nname = \"alice\"\nsecrets = [\""+tokenHash(alice)+"\"]\n")
	e := newEnv(t, "--auth-file", file)
	path := "/example.com/hello/@v/list"
	e.p.Get(path, bearer(alice)...).ExpectStatus(t, http.StatusOK)
	expect401(t, e.p.Get(path, bearer(carol)...), "carol before she is added")

	if err := certs.WriteAtomic(file, []byte("[[identity]]\nname = \"carol\"\nsecrets = [\""+tokenHash(carol)+"\"]\n")); err != nil {
		t.Fatal(err)
	}
	e.p.Signal(syscall.SIGHUP)
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := e.p.Get(path, bearer(carol)...)
		return r.Status == http.StatusOK, "carol after SIGHUP: " + r.String()
	})
	expect401(t, e.p.Get(path, bearer(alice)...), "alice after she was removed and SIGHUP")

	problems := len(logLevelLines(e.p))
	if err := certs.WriteAtomic(file, []byte("[[identity]\nname = \n")); err != nil {
		t.Fatal(err)
	}
	e.p.Signal(syscall.SIGHUP)
	t.Logf("broken auth file logged: %q", waitNewProblemLine(t, e.p, problems, "SIGHUP with a broken auth file"))
	for i := 0; i < 5; i++ {
		e.p.Get(path, bearer(carol)...).ExpectStatus(t, http.StatusOK)
		expect401(t, e.p.Get(path), "no credentials after a broken auth file")
		time.Sleep(100 * time.Millisecond)
	}
	// A file with a bad hash is broken too.
	problems = len(logLevelLines(e.p))
	if err := certs.WriteAtomic(file, []byte("[[identity]]\nname = \"dave\"\nsecrets = [\"sha256:1234\"]\n")); err != nil {
		t.Fatal(err)
	}
	e.p.Signal(syscall.SIGHUP)
	waitNewProblemLine(t, e.p, problems, "SIGHUP with an auth file holding a short hash")
	e.p.Get(path, bearer(carol)...).ExpectStatus(t, http.StatusOK)
	if e.p.Exited() {
		t.Fatalf("modproxy exited after SIGHUP with a broken auth file")
	}
}

// `modproxy auth token NAME` prints a token and its [[identity]] block;
// that block, as an auth file, lets the token in; `modproxy auth hash`
// prints the same sha256 for the token read from stdin.
func TestTokenAuthSubcommands(t *testing.T) {
	r := harness.RunTool(t, 30*time.Second, "", "auth", "token", "ci-fleet")
	if r.Code != 0 {
		t.Fatalf("%s", r)
	}
	lines := strings.SplitN(r.Stdout, "\n", 2)
	token := strings.TrimSpace(lines[0])
	if len(token) < 20 || strings.ContainsAny(token, " \t\"") {
		t.Fatalf("auth token: first line %q is not a token\n%s", lines[0], r)
	}
	if len(lines) < 2 || !strings.Contains(lines[1], "[[identity]]") || !strings.Contains(lines[1], `name = "ci-fleet"`) ||
		!strings.Contains(lines[1], tokenHash(token)) {
		t.Fatalf("auth token: the rest is not an [[identity]] block for ci-fleet with %s:\n%s", tokenHash(token), r.Stdout)
	}
	again := harness.RunTool(t, 30*time.Second, "", "auth", "token", "ci-fleet")
	if strings.SplitN(again.Stdout, "\n", 2)[0] == lines[0] {
		t.Errorf("auth token printed the same token twice: %q", lines[0])
	}
	if r := harness.RunTool(t, 30*time.Second, "", "auth", "token", "bad name!"); r.Code == 0 {
		t.Errorf("auth token with an invalid name succeeded:\n%s", r)
	}

	for _, in := range []string{token + "\n", token} {
		stdout, stderr, code := runModproxyStdin(t, in, "auth", "hash")
		if code != 0 || strings.TrimSpace(stdout) != tokenHash(token) {
			t.Errorf("auth hash <<< %q: exit %d, stdout %q (want %s), stderr %q", in, code, stdout, tokenHash(token), stderr)
		}
	}

	file := writeFile(t, t.TempDir(), "auth.toml", lines[1])
	e := newEnv(t, "--auth-file", file)
	e.p.Get("/example.com/hello/@v/list", bearer(token)...).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, "/example.com/hello/@v/list", 200, "ci-fleet")
	e.p.Get("/example.com/hello/@latest", basic("ci-fleet", token)...).ExpectStatus(t, http.StatusOK)
	expect401(t, e.p.Get("/example.com/hello/@v/list", bearer(token+"x")...), "auth token's token with a suffix")
}

// runModproxyStdin runs `modproxy args...` with stdin.
func runModproxyStdin(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return runCmd(t, stdin, harness.Binary(t), args...)
}
