package gitserver_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"modproxy/tests/internal/gitserver"
)

// EnableTLS: CONNECT to an https host reaches a server whose certificate
// the CA file vouches for, serving the same discovery pages and git; other
// CONNECTs still get 502, and a client without the CA gets nowhere.
func TestEnableTLS(t *testing.T) {
	const host = "secure.example.test"
	srv, err := gitserver.Start(gitserver.Shared(t).Set)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.CAFile() != "" {
		t.Fatalf("CAFile before EnableTLS: %q", srv.CAFile())
	}
	if err := srv.EnableTLS(host); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(srv.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", srv.CAFile())
	}
	proxy, _ := url.Parse(srv.URL)
	client := func(roots *x509.CertPool) *http.Client {
		return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy),
			TLSClientConfig: &tls.Config{RootCAs: roots}}}
	}
	get := func(c *http.Client, u string) (int, string, error) {
		resp, err := c.Get(u)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}

	c := client(roots)
	code, body, err := get(c, "https://"+host+"/tags?go-get=1")
	want := `content="` + host + `/tags git https://` + host + `/tags.git"`
	if err != nil || code != http.StatusOK || !strings.Contains(body, want) {
		t.Errorf("discovery over https: %d %q %v; want 200 with %s", code, body, err, want)
	}
	code, body, err = get(c, "https://"+host+"/tags.git/info/refs?service=git-upload-pack")
	if err != nil || code != http.StatusOK || !strings.Contains(body, "refs/tags/v1.0.0") {
		t.Errorf("git over https: %d %.200q %v", code, body, err)
	}
	if _, _, err := get(c, "https://"+gitserver.Host+"/tags?go-get=1"); err == nil || !strings.Contains(err.Error(), "Bad Gateway") {
		t.Errorf("https to a host without TLS: %v; want the proxy's 502", err)
	}
	if _, _, err := get(client(x509.NewCertPool()), "https://"+host+"/tags?go-get=1"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("https without the CA: %v; want a certificate error", err)
	}

	var connects, tunnelled int
	for _, r := range srv.Requests() {
		switch {
		case r.Method == http.MethodConnect:
			connects++
		case r.TLS && r.Host == host:
			tunnelled++
		default:
			t.Errorf("unexpected request %v", r)
		}
	}
	// The first client may reuse its tunnel: 3 or 4 CONNECTs.
	if connects < 3 || connects > 4 || tunnelled != 2 {
		t.Errorf("%d CONNECT and %d tunnelled requests; want 3 or 4, and 2", connects, tunnelled)
	}
}
