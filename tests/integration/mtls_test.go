package integration

// Mutual TLS (issue 6): --tls-client-auth require|optional with
// --tls-client-ca; the certificate's CN (else first SAN) is the identity.

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"modproxy/tests/internal/certs"
	"modproxy/tests/internal/harness"
)

// require: a certificate of the client CA gets in (curl and a Go client),
// with the access log naming the identity; no certificate, an expired one
// and one from another CA fail the handshake (no HTTP response at all).
func TestMutualTLSRequire(t *testing.T) {
	pki := certs.New(t)
	e := newTLSEnvWith(t, pki, pki.Server, harness.Options{ClientCert: pki.Alice.Cert, ClientKey: pki.Alice.Key},
		"--tls-client-ca", pki.CA.Cert, "--tls-client-auth", "require")
	hello := e.mod(t, "example.com/hello", "v1.0.0")
	upper := e.mod(t, "example.com/Upper", "v1.0.1-RC1")
	pkgerr := e.mod(t, "github.com/pkg/errors", "v0.9.1")

	// curl with alice's certificate.
	stdout, stderr, code := runCmd(t, "", "curl", "-sS", "--noproxy", "*", "--cacert", pki.CA.Cert,
		"--cert", pki.Alice.Cert, "--key", pki.Alice.Key, e.p.URL+hello.URLPath("info"))
	if code != 0 || !strings.Contains(stdout, `"Version":"v1.0.0"`) {
		t.Errorf("curl --cert alice: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	expectIdentity(t, e.p, hello.URLPath("info"), 200, "alice")

	// Our own Go client with alice's certificate (the harness client), and
	// another with build01's.
	e.p.Get(upper.URLPath("mod")).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, upper.URLPath("mod"), 200, "alice")
	r, err := oneShotGet(t, e.p.URL, tlsConfig(t, pki.CA.Cert, pki.Build01), pkgerr.URLPath("info"))
	if err != nil || r.Status != 200 {
		t.Fatalf("Go client with build01's certificate: %v %v", r, err)
	}
	expectIdentity(t, e.p, pkgerr.URLPath("info"), 200, "build01.corp.example")
	// No CN: the first SAN.
	r, err = oneShotGet(t, e.p.URL, tlsConfig(t, pki.CA.Cert, pki.NoCN), pkgerr.URLPath("mod"))
	if err != nil || r.Status != 200 {
		t.Fatalf("Go client with a certificate without CN: %v %v", r, err)
	}
	expectIdentity(t, e.p, pkgerr.URLPath("mod"), 200, "nocn.clients.example")

	refused := []struct {
		name string
		cert []certs.Pair
	}{
		{"no certificate", nil},
		{"expired certificate", []certs.Pair{pki.Expired}},
		{"certificate of another CA", []certs.Pair{pki.WrongCA}},
	}
	for _, c := range refused {
		r, err := oneShotGet(t, e.p.URL, tlsConfig(t, pki.CA.Cert, c.cert...), hello.URLPath("mod"))
		if err == nil {
			t.Errorf("require, %s: got an HTTP response %s, want a failed handshake", c.name, r)
		} else {
			t.Logf("require, %s: %v", c.name, err)
		}
	}
	// Resumed sessions: curl resumes its TLS session for each new connection
	// of one run (Connection: close forces them), in TLS 1.2 and 1.3. A
	// server verifying clients must set a session context for that, and
	// the resumed connection keeps the identity of the certificate.
	for _, v := range []string{"1.2", "1.3"} {
		stdout, stderr, code := runCmd(t, "", "curl", "-sS", "--noproxy", "*", "--cacert", pki.CA.Cert,
			"--cert", pki.Alice.Cert, "--key", pki.Alice.Key, "--tlsv"+v, "--tls-max", v,
			"-H", "Connection: close", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
			"-w", "%{http_code} ", e.p.URL+hello.URLPath("info"), e.p.URL+upper.URLPath("info"),
			e.p.URL+pkgerr.URLPath("info"))
		if code != 0 || stdout != "200 200 200 " {
			t.Errorf("TLS %s, three connections of one curl run (resumed sessions): exit %d, statuses %q, stderr %q",
				v, code, stdout, stderr)
		}
		expectIdentity(t, e.p, pkgerr.URLPath("info"), 200, "alice")
	}

	// curl without a certificate and with the expired one fails too.
	for _, args := range [][]string{nil, {"--cert", pki.Expired.Cert, "--key", pki.Expired.Key}, {"--cert", pki.WrongCA.Cert, "--key", pki.WrongCA.Key}} {
		a := append([]string{"-sS", "--noproxy", "*", "--cacert", pki.CA.Cert, "-o", "/dev/null", "-w", "%{http_code}"}, args...)
		stdout, stderr, code := runCmd(t, "", "curl", append(a, e.p.URL+hello.URLPath("mod"))...)
		if code == 0 {
			t.Errorf("require: curl %s: exit 0, status %s; want a failed handshake", strings.Join(args, " "), stdout)
		} else {
			t.Logf("require: curl %s: exit %d %s", strings.Join(args, " "), code, strings.TrimSpace(stderr))
		}
	}
	// None of the refused clients made it to the access log.
	for _, l := range accessEntries(t, e.p) {
		if l.Path == hello.URLPath("mod") {
			t.Errorf("a refused client's request was served: %s", l.raw)
		}
	}
	// The go command with a client certificate is not possible (it has no
	// such setting); the server keeps serving good clients.
	e.p.Get(hello.URLPath("zip")).ExpectStatus(t, http.StatusOK)
}

// optional: clients without a certificate, or with an invalid one, are
// served as anonymous; a good certificate still names the identity.
func TestMutualTLSOptional(t *testing.T) {
	pki := certs.New(t)
	e := newTLSEnv(t, pki, "--tls-client-ca", pki.CA.Cert, "--tls-client-auth", "optional")
	cases := []struct {
		name     string
		cert     []certs.Pair
		mod      harness.Module
		identity string
	}{
		{"no certificate", nil, e.mod(t, "example.com/hello", "v1.0.0"), ""},
		{"expired certificate", []certs.Pair{pki.Expired}, e.mod(t, "example.com/hello", "v1.1.0"), ""},
		{"certificate of another CA", []certs.Pair{pki.WrongCA}, e.mod(t, "example.com/Upper", "v1.0.1-RC1"), ""},
		{"alice", []certs.Pair{pki.Alice}, e.mod(t, "github.com/pkg/errors", "v0.9.1"), "alice"},
	}
	for _, c := range cases {
		path := c.mod.URLPath("info")
		r, err := oneShotGet(t, e.p.URL, tlsConfig(t, pki.CA.Cert, c.cert...), path)
		if err != nil {
			t.Errorf("optional, %s: %v (want served)", c.name, err)
			continue
		}
		if r.Status != 200 {
			t.Errorf("optional, %s: %s, want 200", c.name, r)
			continue
		}
		expectIdentity(t, e.p, path, 200, c.identity)
	}
	// curl without a certificate.
	stdout, stderr, code := runCmd(t, "", "curl", "-sS", "--noproxy", "*", "--cacert", pki.CA.Cert, "-o", "/dev/null",
		"-w", "%{http_code}", e.p.URL+"/example.com/hello/@v/list")
	if code != 0 || stdout != "200" {
		t.Errorf("optional: curl without a certificate: exit %d, status %q, stderr %q", code, stdout, stderr)
	}
}

// Client certificates and the auth file together: the certificate's
// identity gets its entry's allow/deny rules; a token wins over a
// certificate; without --allow-anonymous a client with neither gets 401.
func TestMutualTLSWithAuthFileRules(t *testing.T) {
	pki := certs.New(t)
	bobToken := newToken()
	auth := writeFile(t, t.TempDir(), "auth.toml", `
[[identity]]
name = "build01.corp.example"
deny = "example.com/legacy"

[[identity]]
name = "alice"
allow = "example.com/*"

[[identity]]
name = "bob"
secrets = ["`+tokenHash(bobToken)+`"]
`)
	e := newTLSEnv(t, pki, "--tls-client-ca", pki.CA.Cert, "--tls-client-auth", "optional", "--auth-file", auth)
	legacy := e.mod(t, "example.com/legacy", "v2.0.0+incompatible").URLPath("info")
	hello := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
	pkgerr := e.mod(t, "github.com/pkg/errors", "v0.9.1").URLPath("info")
	build01 := tlsConfig(t, pki.CA.Cert, pki.Build01)
	alice := tlsConfig(t, pki.CA.Cert, pki.Alice)
	none := tlsConfig(t, pki.CA.Cert)

	get := func(cfg *tls.Config, path string, header ...string) *harness.Response {
		t.Helper()
		r, err := oneShotGet(t, e.p.URL, cfg, path, header...)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return r
	}
	if r := get(build01, legacy); r.Status != http.StatusForbidden {
		t.Errorf("build01 certificate, denied path: %s, want 403", r)
	} else {
		r.ExpectOneLineError(t)
		if !strings.Contains(string(r.Body), "example.com/legacy") || !strings.Contains(string(r.Body), "build01.corp.example") {
			t.Errorf("403 body %q does not name the path and the identity", r.Body)
		}
	}
	if n := e.up.Count("/" + e.mod(t, "example.com/legacy", "v2.0.0+incompatible").TreePath("info")); n != 0 {
		t.Errorf("a denied request reached the upstream (%d times)", n)
	}
	get(build01, hello).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, hello, 200, "build01.corp.example")
	if r := get(alice, pkgerr); r.Status != http.StatusForbidden {
		t.Errorf("alice certificate, path outside allow: %s, want 403", r)
	}
	get(alice, legacy).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, legacy, 200, "alice")
	// A token wins over the certificate: bob may fetch pkg/errors.
	get(alice, pkgerr, bearer(bobToken)...).ExpectStatus(t, http.StatusOK)
	expectIdentity(t, e.p, pkgerr, 200, "bob")
	// Neither: 401 with the challenge.
	r := get(none, hello)
	if r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") != `Basic realm="modproxy"` {
		t.Errorf("no certificate, no token: %s, want 401 with WWW-Authenticate: Basic realm=\"modproxy\"", r)
	}
	// An invalid certificate is ignored, so it is the same as none.
	if r, err := oneShotGet(t, e.p.URL, tlsConfig(t, pki.CA.Cert, pki.WrongCA), hello); err != nil || r.Status != http.StatusUnauthorized {
		t.Errorf("certificate of another CA (optional mode, auth required): %v %v, want 401", r, err)
	}
}
