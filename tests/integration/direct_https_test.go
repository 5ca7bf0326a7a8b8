package integration

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"modproxy/tests/internal/gitserver"
	"modproxy/tests/internal/godirect"
	"modproxy/tests/internal/harness"
)

// Direct mode over https behind a company proxy (issue 5): the https
// traffic of modproxy's direct upstream (go-import pages and git) goes
// through https_proxy as CONNECT tunnels and trusts a company CA named by
// SSL_CERT_FILE, like the go command's; modproxy then gives the go command
// exactly what the go command computes itself in direct mode over the same
// tunnels (lists, @latest, revision queries, .info, h1 sums). Without the
// CA it refuses with an error about the certificate, and no_proxy keeps it
// off the proxy.
//
// The gitserver tunnels CONNECT httpsHost:443 to an in-process TLS server
// (gitserver.EnableTLS) whose discovery pages announce
// https://httpsHost/<name>.git. httpsHost does not resolve: the proxy is
// the only way there. modproxy gets neither --insecure nor
// --direct-private-networks: nothing here is plain http or loopback as far
// as it can tell.

const httpsHost = "secure.example.test"

// httpsServer is a gitserver of its own over the shared repositories, with
// TLS for httpsHost, so that its request log holds one client's requests.
func httpsServer(t *testing.T) *gitserver.Server {
	t.Helper()
	srv, err := gitserver.Start(gitserver.Shared(t).Set)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.EnableTLS(httpsHost); err != nil {
		t.Fatal(err)
	}
	return srv
}

// httpsSpecs: a module with tags, branches and hash prefixes (pseudo-
// versions), and a major-version subdirectory (the go command over https
// is slow: a TLS handshake per git command).
func httpsSpecs(set *gitserver.Set) []godirect.Spec {
	var specs []godirect.Spec
	for _, s := range godirect.Specs(set, httpsHost) {
		switch s.Path {
		case httpsHost + "/tags":
			// A branch and a hash prefix are enough here.
			s.Queries = []string{"main", set.Repo("tags").Commits["meta"][:12]}
			specs = append(specs, s)
		case httpsHost + "/major/v2":
			specs = append(specs, s)
		}
	}
	return specs
}

// startHTTPS starts modproxy in direct mode with srv as its HTTP(S) proxy,
// a clean HOME and the given extra environment (later entries win).
func startHTTPS(t *testing.T, srv *gitserver.Server, env ...string) *harness.Proxy {
	t.Helper()
	full := append(srv.ProxyEnv(), "HOME="+t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "XDG_CONFIG_HOME=",
		"SSL_CERT_FILE=", "SSL_CERT_DIR=", "GIT_SSL_CAINFO=", "CURL_CA_BUNDLE=")
	return harness.Start(t, harness.Options{Upstream: "direct", Env: append(full, env...)})
}

func TestDirectHTTPS(t *testing.T) {
	harness.SkipRepeatedDifferential(t)
	goSrv, mpSrv := httpsServer(t), httpsServer(t)
	specs := httpsSpecs(goSrv.Set)

	// The go command alone, over goSrv's tunnels, meanwhile.
	type goAnswer struct {
		res *godirect.Results
		err error
	}
	goDone := make(chan goAnswer, 1)
	go func() {
		e, err := godirect.HTTPS(t.TempDir(), goSrv)
		if err != nil {
			goDone <- goAnswer{nil, err}
			return
		}
		res, err := godirect.Collect(e, specs)
		goDone <- goAnswer{res, err}
	}()

	p := startHTTPS(t, mpSrv, "SSL_CERT_FILE="+mpSrv.CAFile())
	got := proxiedResults(t, p, specs)
	a := <-goDone
	if a.err != nil {
		t.Fatalf("the go command in direct mode over https: %v", a.err)
	}
	want := a.res
	for _, path := range sortedKeys(want.Modules) {
		if m := want.Modules[path]; len(m.Versions) == 0 || m.Latest.Error != "" {
			t.Fatalf("the go command found nothing for %s over https (list error %q, @latest error %q); the fixture is broken",
				path, m.ListError, m.Latest.Error)
		}
	}
	n := compareResults(t, want, got)
	for path, m := range want.Modules {
		r := p.Get("/" + escapePath(path) + "/@v/list")
		if r.Status != http.StatusOK {
			t.Errorf("%s", r)
		} else if raw, w := sortedFields(r.Body), sortedCopy(m.Versions); !reflect.DeepEqual(raw, w) {
			t.Errorf("%s/@v/list = %v; go -versions -retracted (direct, https) = %v", path, raw, w)
		} else {
			n++
		}
	}
	expectTunnelled(t, goSrv.Requests(), "the go command")
	expectTunnelled(t, mpSrv.Requests(), "modproxy")
	t.Logf("direct over https: %d repository/version cases matched (go direct %v, through modproxy %v)",
		n, want.Elapsed.Round(1e6), got.Elapsed.Round(1e6))

	mp := httpsHost + "/tags"
	t.Run("without-the-CA", func(t *testing.T) {
		before := len(mpSrv.Requests())
		q := startHTTPS(t, mpSrv)
		for _, file := range []string{"@v/list", "@v/v1.0.0.info", "@v/v1.0.0.zip", "@latest"} {
			r := q.Get("/" + mp + "/" + file)
			t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
			if r.Status == http.StatusOK || !strings.Contains(strings.ToLower(string(r.Body)), "certificate") {
				t.Errorf("%s; want an error about the certificate", r)
			}
		}
		expectNothingCached(t, q, mp)
		reqs := mpSrv.Requests()[before:]
		if len(reqs) == 0 {
			t.Errorf("modproxy never reached the proxy without the CA")
		}
		for _, r := range reqs {
			if r.Method != http.MethodConnect {
				t.Errorf("a request got past the TLS handshake without the CA: %v (TLS %v)", r, r.TLS)
			}
		}
	})

	t.Run("no_proxy", func(t *testing.T) {
		before := len(mpSrv.Requests())
		const direct = "127.0.0.1,localhost,::1," + httpsHost
		q := startHTTPS(t, mpSrv, "SSL_CERT_FILE="+mpSrv.CAFile(), "no_proxy="+direct, "NO_PROXY="+direct)
		for _, file := range []string{"@v/list", "@v/v1.0.0.info", "@latest"} {
			r := q.Get("/" + mp + "/" + file)
			t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
			if (r.Status != http.StatusNotFound && r.Status != http.StatusBadGateway) || !strings.Contains(string(r.Body), httpsHost) {
				t.Errorf("%s; want 404 or 502 naming %s", r, httpsHost)
			}
		}
		expectNothingCached(t, q, mp)
		for _, r := range mpSrv.Requests()[before:] {
			t.Errorf("modproxy used the proxy for a no_proxy host: %v", r)
		}
	})
}

// expectTunnelled checks a gitserver's log after one client fetched
// modules under httpsHost: it opened CONNECT tunnels to httpsHost:443 and
// asked, through them, for discovery pages and git; nothing came as plain
// http (proxied or to the loopback address).
func expectTunnelled(t *testing.T, reqs []gitserver.Request, who string) {
	t.Helper()
	var connects, pages, git int
	for _, r := range reqs {
		switch {
		case r.Method == http.MethodConnect && r.Host == httpsHost:
			connects++
		case r.TLS && r.Host == httpsHost && strings.Contains(r.Query, "go-get=1"):
			pages++
		case r.TLS && r.Host == httpsHost && strings.HasPrefix(r.Path, "/") && strings.Contains(r.Path, ".git/"):
			git++
		default:
			t.Errorf("%s: request not through a CONNECT tunnel to %s: %v (proxied %v, TLS %v)", who, httpsHost, r, r.Proxied, r.TLS)
		}
	}
	if connects == 0 || pages == 0 || git == 0 {
		t.Errorf("%s: %d CONNECT %s:443, %d discovery pages and %d git requests through tunnels; want each > 0",
			who, connects, httpsHost, pages, git)
	}
	t.Logf("%s: %d CONNECT tunnels carried %d discovery pages and %d git requests", who, connects, pages, git)
}
