package integration

// Helpers for the issue 6 tests (TLS, mutual TLS, tokens, rate limits,
// hardening): clients bound to a chosen loopback source address, raw TLS
// connections, the access log's identity and client fields, auth files.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"modproxy/tests/internal/certs"
	"modproxy/tests/internal/harness"
)

// newTLSEnv is newEnv serving HTTPS with pki.Server; the harness client
// trusts pki.CA. args are extra flags.
func newTLSEnv(t *testing.T, pki *certs.PKI, args ...string) *env {
	t.Helper()
	return newTLSEnvWith(t, pki, pki.Server, harness.Options{}, args...)
}

// newTLSEnvWith is newTLSEnv with another server pair and harness options
// (Args are appended after the TLS flags).
func newTLSEnvWith(t *testing.T, pki *certs.PKI, server certs.Pair, o harness.Options, args ...string) *env {
	t.Helper()
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	o.Upstream = up.URL
	o.CAFile = pki.CA.Cert
	o.Args = append(append([]string{"--tls-cert", server.Cert, "--tls-key", server.Key}, o.Args...), args...)
	p := harness.Start(t, o)
	if !p.TLS || !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("modproxy with --tls-cert: the \"listening on\" line does not say (https); stderr:\n%s", p.Stderr.String())
	}
	return &env{f: f, up: up, p: p}
}

// hclient is an HTTP(S) client whose connections come from a chosen
// loopback address (the rate limits and connection limits key on it).
type hclient struct {
	t    testing.TB
	base string
	tr   *http.Transport
	hc   *http.Client
}

// newHTTPClient talks to base from localIP ("" for the kernel's choice)
// with TLS configuration cfg (nil for plain HTTP or Go's defaults).
func newHTTPClient(t testing.TB, base, localIP string, cfg *tls.Config) *hclient {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	tr := &http.Transport{Proxy: nil, DialContext: d.DialContext, TLSClientConfig: cfg,
		DisableCompression: true, MaxIdleConnsPerHost: 128, ForceAttemptHTTP2: false}
	t.Cleanup(tr.CloseIdleConnections)
	return &hclient{t: t, base: base, tr: tr, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get sends GET path with header name/value pairs and reads the whole body.
func (c *hclient) get(path string, header ...string) (*harness.Response, error) {
	u, err := url.Parse(c.base)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest("GET", c.base, nil)
	if err != nil {
		return nil, err
	}
	req.URL = &url.URL{Scheme: u.Scheme, Host: u.Host, Opaque: path}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s%s: %w", c.base, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s%s: reading body: %w", c.base, path, err)
	}
	return &harness.Response{Method: "GET", Path: path, Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// mustGet is get failing the test on a transport error.
func (c *hclient) mustGet(path string, header ...string) *harness.Response {
	c.t.Helper()
	r, err := c.get(path, header...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// tlsConfig is harness.TLSConfig failing the test on error.
func tlsConfig(t testing.TB, caFile string, client ...certs.Pair) *tls.Config {
	t.Helper()
	var cert, key string
	if len(client) > 0 {
		cert, key = client[0].Cert, client[0].Key
	}
	cfg, err := harness.TLSConfig(caFile, cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// oneShotGet sends GET path on a fresh TLS connection with cfg (no
// keep-alive) and returns the response, or the handshake/transport error.
func oneShotGet(t testing.TB, base string, cfg *tls.Config, path string, header ...string) (*harness.Response, error) {
	c := newHTTPClient(t, base, "", cfg)
	c.tr.DisableKeepAlives = true
	return c.get(path, header...)
}

// rawConn is one client connection (plain or TLS) on which requests are
// written by hand and responses read with net/http's parser.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

// dialRaw connects to addr from localIP ("" for any); with cfg it does the
// TLS handshake first.
func dialRaw(addr, localIP string, cfg *tls.Config) (*rawConn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(c, cfg)
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, err
		}
		tc.SetDeadline(time.Time{})
		c = tc
	}
	return &rawConn{Conn: c, br: bufio.NewReader(c)}, nil
}

// roundTrip writes GET path (keep-alive) and reads the whole response.
func (c *rawConn) roundTrip(path string) (*http.Response, []byte, error) {
	c.SetDeadline(time.Now().Add(20 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(c.br, &http.Request{Method: "GET"})
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body, err
}

// readUntilClosed reads what the peer sends until it closes the connection
// (EOF or reset: closed is true) or limit passes (closed is false).
func readUntilClosed(c net.Conn, limit time.Duration) (data []byte, closed bool, err error) {
	c.SetReadDeadline(time.Now().Add(limit))
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		data = append(data, buf[:n]...)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return data, false, err
		}
		return data, true, err
	}
}

// logEntry is one access-log line with the issue 6 fields.
type logEntry struct {
	Path     string  `json:"path"`
	Status   int     `json:"status"`
	Remote   string  `json:"remote"`
	Identity *string `json:"identity"`
	Client   *string `json:"client"`
	raw      string
}

func accessEntries(t testing.TB, p *harness.Proxy) []logEntry {
	t.Helper()
	var out []logEntry
	for _, l := range p.Stdout.Lines() {
		var e logEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("access-log line is not JSON (%v): %q", err, l)
		}
		e.raw = l
		out = append(out, e)
	}
	return out
}

// waitLog waits (5 s) for an access-log line for path and status, and
// returns the last such line.
func waitLog(t testing.TB, p *harness.Proxy, path string, status int) logEntry {
	t.Helper()
	var found logEntry
	harness.Eventually(t, 5*time.Second, func() (bool, string) {
		ok := false
		for _, e := range accessEntries(t, p) {
			if e.Path == path && e.Status == status {
				found, ok = e, true
			}
		}
		return ok, fmt.Sprintf("no access-log line for %s with status %d:\n%s", path, status, p.Stdout.String())
	})
	return found
}

// expectIdentity checks the access log's identity for the last request of
// path with status (the identity key must be present; "" is anonymous).
func expectIdentity(t testing.TB, p *harness.Proxy, path string, status int, want string) {
	t.Helper()
	e := waitLog(t, p, path, status)
	if e.Identity == nil {
		t.Errorf("access-log line has no \"identity\" key: %s", e.raw)
	} else if *e.Identity != want {
		t.Errorf("access log: identity %q, want %q: %s", *e.Identity, want, e.raw)
	}
}

// newToken is a random token.
func newToken() string {
	var b [24]byte
	rand.Read(b[:])
	return "tok_" + hex.EncodeToString(b[:])
}

// tokenHash is the auth file's spelling of a token's SHA-256.
func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(h[:])
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

func basic(user, password string) []string {
	r, _ := http.NewRequest("GET", "http://x/", nil)
	r.SetBasicAuth(user, password)
	return []string{"Authorization", r.Header.Get("Authorization")}
}

// headerInt is an integer header; ok is false when absent or not a number.
func headerInt(r *harness.Response, name string) (int, bool) {
	v := r.Header.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
}

// logLevelLines are the stderr lines at level warn or above
// ("<time> <level> message").
func logLevelLines(p *harness.Proxy) []string {
	var out []string
	for _, l := range p.Stderr.Lines() {
		f := strings.Fields(l)
		if len(f) >= 2 {
			switch strings.ToLower(f[1]) {
			case "warn", "warning", "error", "err", "critical":
				out = append(out, l)
			}
		}
	}
	return out
}

// waitNewProblemLine waits until stderr has more warn/error lines than
// before and returns the new ones.
func waitNewProblemLine(t testing.TB, p *harness.Proxy, before int, what string) []string {
	t.Helper()
	var lines []string
	harness.Eventually(t, 5*time.Second, func() (bool, string) {
		lines = logLevelLines(p)
		return len(lines) > before, fmt.Sprintf("no new warn/error line on stderr after %s; stderr:\n%s", what, p.Stderr.String())
	})
	return lines[before:]
}

// percentile of durations (p in [0,1]); 0 for none.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// runCmd runs a command (curl, openssl) with the child environment and a
// time limit; it returns stdout, stderr and the exit code (-1: not run).
func runCmd(t testing.TB, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := harness.Command(name, args...)
	cmd.Env = harness.ChildEnv()
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %s: still running after 60s", name, strings.Join(args, " "))
	}
	code := 0
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return o.String(), e.String(), code
}
