package integration

// HTTPS (issue 6): curl and the real go command through a TLS modproxy,
// TLS 1.2/1.3 only, certificate reload on SIGHUP without dropping
// connections, and the TLS flag checks.

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"modproxy/tests/internal/certs"
	"modproxy/tests/internal/harness"
)

// curl and the go command fetch modules over HTTPS, trusting only the test
// CA; the certificate names both 127.0.0.1 and localhost; an untrusted CA
// and plain HTTP on the TLS port get nothing.
func TestTLSCurlAndGoCommand(t *testing.T) {
	pki := certs.New(t)
	e := newTLSEnv(t, pki)
	hello := e.mod(t, "example.com/hello", "v1.0.0")
	wantZip := e.f.Read(t, hello.TreePath("zip"))
	e.p.Get(hello.URLPath("info")).ExpectStatus(t, http.StatusOK)

	port := strings.TrimPrefix(e.p.Addr, "127.0.0.1:")
	for _, host := range []string{"127.0.0.1", "localhost"} {
		out := filepath.Join(t.TempDir(), "zip")
		url := "https://" + host + ":" + port + hello.URLPath("zip")
		stdout, stderr, code := runCmd(t, "", "curl", "-sS", "--noproxy", "*", "--cacert", pki.CA.Cert,
			"-o", out, "-w", "%{http_code} %{ssl_verify_result}", url)
		if code != 0 || stdout != "200 0" {
			t.Errorf("curl --cacert %s: exit %d, %q (want \"200 0\"), stderr %q", url, code, stdout, stderr)
			continue
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, wantZip) {
			t.Errorf("curl %s: %d bytes, want the fixture zip (%d bytes)", url, len(got), len(wantZip))
		}
	}
	// Another CA: curl refuses the server (exit 60, certificate problem).
	if _, stderr, code := runCmd(t, "", "curl", "-sS", "--noproxy", "*", "--cacert", pki.OtherCA.Cert,
		"-o", "/dev/null", e.p.URL+hello.URLPath("info")); code != 60 {
		t.Errorf("curl trusting another CA: exit %d, want 60 (peer certificate not verified); stderr %q", code, stderr)
	}

	// The real go command, trusting the test CA through SSL_CERT_FILE.
	g := harness.NewGoEnv(t, e.p.URL, "off")
	g.Extra = []string{"SSL_CERT_FILE=" + pki.CA.Cert, "SSL_CERT_DIR=" + t.TempDir()}
	g.Download(t, hello, e.mod(t, "github.com/pkg/errors", "v0.9.1"), e.mod(t, "example.com/Upper", "v1.0.1-RC1"))
	if v := g.Latest(t, "example.com/hello"); v != "v1.1.0" {
		t.Errorf("go list -m example.com/hello@latest over https = %s, want v1.1.0", v)
	}
	// The go command trusting another CA fails on the certificate.
	bad := harness.NewGoEnv(t, e.p.URL, "off")
	bad.Extra = []string{"SSL_CERT_FILE=" + pki.OtherCA.Cert, "SSL_CERT_DIR=" + t.TempDir()}
	if stdout, stderr, err := bad.RunErr(t.TempDir(), "mod", "download", "-json", "example.com/hello@v1.1.0"); err == nil {
		t.Errorf("go mod download trusting another CA succeeded")
	} else if !strings.Contains(stdout+stderr, "x509: certificate signed by unknown authority") {
		t.Errorf("go mod download trusting another CA failed, but not on the certificate: %s %s", stdout, stderr)
	}

	// Plain HTTP to the TLS port is not served.
	c, err := net.DialTimeout("tcp", e.p.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET "+hello.URLPath("info")+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	data, closed, _ := readUntilClosed(c, 15*time.Second)
	if bytes.HasPrefix(data, []byte("HTTP/1.1 200")) || bytes.Contains(data, []byte(`"Version"`)) {
		t.Errorf("plain HTTP on the TLS port was answered: %q", harness.OneLine(data))
	}
	if !closed {
		t.Errorf("plain HTTP on the TLS port: connection still open after 15s (header timeout 10s)")
	}
	// The server still works.
	e.p.Get("/healthz").ExpectStatus(t, http.StatusOK)
}

var tlsVersionNames = map[uint16]string{
	tls.VersionTLS10: "TLS 1.0", tls.VersionTLS11: "TLS 1.1", tls.VersionTLS12: "TLS 1.2", tls.VersionTLS13: "TLS 1.3",
}

// TLS 1.2 and 1.3 are accepted; 1.0 and 1.1 are refused by the server. The
// old-version client is first shown to work against a Go server that
// allows it, so its failure against modproxy is modproxy's refusal.
func TestTLSVersions(t *testing.T) {
	pki := certs.New(t)
	e := newTLSEnv(t, pki)
	path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
	e.p.Get(path).ExpectStatus(t, http.StatusOK)

	// A permissive Go server, to prove the TLS 1.0/1.1 client works.
	pair, err := tls.LoadX509KeyPair(pki.Server.Cert, pki.Server.Key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS10})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()

	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := tlsConfig(t, pki.CA.Cert)
		cfg.MinVersion, cfg.MaxVersion = v, v
		if c, err := tls.Dial("tcp", ln.Addr().String(), cfg); err != nil {
			t.Fatalf("%s client against a server allowing it: %v (the test's probe is broken)", tlsVersionNames[v], err)
		} else {
			c.Close()
		}
		c, err := tls.Dial("tcp", e.p.Addr, cfg)
		if err == nil {
			t.Errorf("modproxy accepted a %s handshake (negotiated %s)", tlsVersionNames[v], tlsVersionNames[c.ConnectionState().Version])
			c.Close()
		} else {
			t.Logf("%s refused: %v", tlsVersionNames[v], err)
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := tlsConfig(t, pki.CA.Cert)
		cfg.MinVersion, cfg.MaxVersion = v, v
		rc, err := dialRaw(e.p.Addr, "", cfg)
		if err != nil {
			t.Errorf("%s handshake: %v", tlsVersionNames[v], err)
			continue
		}
		if got := rc.Conn.(*tls.Conn).ConnectionState().Version; got != v {
			t.Errorf("negotiated %s, want %s", tlsVersionNames[got], tlsVersionNames[v])
		}
		resp, _, err := rc.roundTrip(path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET over %s: %v %v", tlsVersionNames[v], resp, err)
		}
		rc.Close()
	}
	// curl (OpenSSL) pinned to each accepted version.
	for _, args := range [][]string{{"--tlsv1.2", "--tls-max", "1.2"}, {"--tlsv1.3", "--tls-max", "1.3"}} {
		a := append([]string{"-sS", "--noproxy", "*", "--cacert", pki.CA.Cert, "-o", "/dev/null", "-w", "%{http_code}"}, args...)
		stdout, stderr, code := runCmd(t, "", "curl", append(a, e.p.URL+path)...)
		if code != 0 || stdout != "200" {
			t.Errorf("curl %s: exit %d, status %q, stderr %q", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	// openssl s_client offering only TLS 1.1 (security level 0 so that the
	// client itself does not refuse): no session.
	stdout, stderr, code := runCmd(t, "Q\n", "openssl", "s_client", "-connect", e.p.Addr, "-tls1_1",
		"-cipher", "DEFAULT:@SECLEVEL=0", "-CAfile", pki.CA.Cert)
	if code == 0 && strings.Contains(stdout, "Protocol  : TLSv1.1") && !strings.Contains(stdout, "Cipher is (NONE)") {
		t.Errorf("openssl s_client -tls1_1 got a TLS 1.1 session:\n%s\n%s", stdout, stderr)
	}
}

// peerSerial does a fresh handshake and returns the server certificate's
// serial number (hex).
func peerSerial(addr string, cfg *tls.Config) (string, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return certs.SerialHex(c.ConnectionState().PeerCertificates[0].SerialNumber), nil
}

// SIGHUP reloads the certificate: new connections get the new one, a
// kept-alive connection and a zip download in progress on the old one
// carry on; a broken or mismatched new pair is logged and the last good one
// kept; a later good pair is loaded again.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	pki := certs.New(t)
	dir := t.TempDir()
	live := certs.Pair{Cert: filepath.Join(dir, "live.pem"), Key: filepath.Join(dir, "live.key")}
	if err := pki.Server.CopyTo(live.Cert, live.Key); err != nil {
		t.Fatal(err)
	}
	e := newTLSEnvWith(t, pki, live, harness.Options{})
	big := e.mod(t, "example.com/big", "v1.0.0")
	wantZip := e.f.Read(t, big.TreePath("zip"))
	e.p.Get(big.URLPath("zip")).ExpectBody(t, wantZip) // cached
	cfg := tlsConfig(t, pki.CA.Cert)

	if s, err := peerSerial(e.p.Addr, cfg); err != nil || s != pki.Server.Serial {
		t.Fatalf("before reload: serial %s (%v), want %s (certificate A)", s, err, pki.Server.Serial)
	}

	// A kept-alive connection with one request done.
	keep, err := dialRaw(e.p.Addr, "", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	if resp, _, err := keep.roundTrip("/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("kept-alive connection, first request: %v %v", resp, err)
	}
	// A download in progress over a slow reader: a small receive buffer,
	// and only the first 64 KiB read before the reload.
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	tcp, err := d.Dial("tcp", e.p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	slowCfg := cfg.Clone()
	slowCfg.ServerName = "127.0.0.1"
	slow := tls.Client(tcp, slowCfg)
	defer slow.Close()
	slow.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(slow, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", big.URLPath("zip"))
	slowBR := bufio.NewReader(slow)
	slowResp, err := http.ReadResponse(slowBR, &http.Request{Method: "GET"})
	if err != nil || slowResp.StatusCode != 200 {
		t.Fatalf("slow download: %v %v", slowResp, err)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(slowResp.Body, head); err != nil {
		t.Fatalf("slow download, first 64 KiB: %v", err)
	}

	// Certificate B, then SIGHUP.
	b := pki.MustNewServer(t, "server-b")
	if err := b.CopyTo(live.Cert, live.Key); err != nil {
		t.Fatal(err)
	}
	e.p.Signal(syscall.SIGHUP)
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		s, err := peerSerial(e.p.Addr, cfg)
		return err == nil && s == b.Serial, fmt.Sprintf("after SIGHUP a new connection sees serial %s (%v), want %s (certificate B; A was %s)",
			s, err, b.Serial, pki.Server.Serial)
	})
	if got := certs.SerialHex(keep.Conn.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber); got != pki.Server.Serial {
		t.Errorf("kept-alive connection's certificate changed?! %s", got)
	}
	if resp, body, err := keep.roundTrip(big.URLPath("info")); err != nil || resp.StatusCode != 200 {
		t.Errorf("kept-alive connection after SIGHUP: %v %v %q (it must not be dropped)", resp, err, body)
	}
	rest, err := io.ReadAll(slowResp.Body)
	if err != nil {
		t.Errorf("download in progress across SIGHUP: %v after %d+%d bytes", err, len(head), len(rest))
	} else if got := append(head, rest...); !bytes.Equal(got, wantZip) {
		t.Errorf("download in progress across SIGHUP: %d bytes, want the fixture zip (%d bytes)", len(got), len(wantZip))
	}
	e.p.Get("/healthz").ExpectStatus(t, http.StatusOK)

	// A broken certificate file: logged, B kept.
	problems := len(logLevelLines(e.p))
	if err := certs.WriteAtomic(live.Cert, []byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")); err != nil {
		t.Fatal(err)
	}
	e.p.Signal(syscall.SIGHUP)
	t.Logf("broken certificate logged: %q", waitNewProblemLine(t, e.p, problems, "SIGHUP with a broken certificate"))
	for i := 0; i < 5; i++ {
		if s, err := peerSerial(e.p.Addr, cfg); err != nil || s != b.Serial {
			t.Fatalf("after SIGHUP with a broken certificate: serial %s (%v), want %s (B kept)", s, err, b.Serial)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if e.p.Exited() {
		t.Fatalf("modproxy exited after SIGHUP with a broken certificate")
	}

	// A certificate with the wrong key (C's certificate, B's key): logged, B kept.
	c := pki.MustNewServer(t, "server-c")
	problems = len(logLevelLines(e.p))
	data, _ := os.ReadFile(c.Cert)
	if err := certs.WriteAtomic(live.Cert, data); err != nil {
		t.Fatal(err)
	}
	e.p.Signal(syscall.SIGHUP)
	t.Logf("mismatched key logged: %q", waitNewProblemLine(t, e.p, problems, "SIGHUP with a certificate that does not match the key"))
	if s, err := peerSerial(e.p.Addr, cfg); err != nil || s != b.Serial {
		t.Errorf("after SIGHUP with a mismatched pair: serial %s (%v), want %s (B kept)", s, err, b.Serial)
	}

	// Then a good pair again: C is loaded.
	if err := c.CopyTo(live.Cert, live.Key); err != nil {
		t.Fatal(err)
	}
	e.p.Signal(syscall.SIGHUP)
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		s, err := peerSerial(e.p.Addr, cfg)
		return err == nil && s == c.Serial, fmt.Sprintf("after fixing the files and SIGHUP: serial %s (%v), want %s (C)", s, err, c.Serial)
	})
	e.p.Get(big.URLPath("zip")).ExpectBody(t, wantZip)
}

// Bad settings of the issue 6 flags (TLS, auth, limits, hardening): exit
// code 2, one line on stderr naming the bad value. The same flags without
// the bad one start (checked first), so a failure is the bad value's.
func TestTLSConfigurationErrors(t *testing.T) {
	pki := certs.New(t)
	badPEM := writeFile(t, t.TempDir(), "bad.pem", "not a certificate\n")
	base := []string{"serve", "--listen", "127.0.0.1:0", "--sumdb", "off", "--upstream", harness.RefusedURL(t)}
	// Control: the base flags plus a good TLS pair start an https listener.
	p := harness.Start(t, harness.Options{Bare: true, CAFile: pki.CA.Cert,
		Args: append(append([]string{}, base[1:]...), "--cache-dir", t.TempDir(), "--tls-cert", pki.Server.Cert, "--tls-key", pki.Server.Key)})
	if !p.TLS {
		t.Fatalf("control: no \"(https)\" on the listening line:\n%s", p.Stderr.String())
	}
	p.Get("/healthz").ExpectStatus(t, http.StatusOK)
	p.Stop()
	cases := []struct {
		name  string
		args  []string
		token string // must appear in the message ("" for none)
	}{
		{"cert without key", []string{"--tls-cert", pki.Server.Cert}, "tls-key"},
		{"key without cert", []string{"--tls-key", pki.Server.Key}, "tls-cert"},
		{"bad client auth mode", []string{"--tls-cert", pki.Server.Cert, "--tls-key", pki.Server.Key, "--tls-client-auth", "sometimes"}, "sometimes"},
		{"require without client CA", []string{"--tls-cert", pki.Server.Cert, "--tls-key", pki.Server.Key, "--tls-client-auth", "require"}, "tls-client-ca"},
		{"optional without client CA", []string{"--tls-cert", pki.Server.Cert, "--tls-key", pki.Server.Key, "--tls-client-auth", "optional"}, "tls-client-ca"},
		{"client auth without TLS", []string{"--tls-client-ca", pki.CA.Cert, "--tls-client-auth", "require"}, "tls-cert"},
		{"missing cert file", []string{"--tls-cert", "/nonexistent/cert.pem", "--tls-key", pki.Server.Key}, "/nonexistent/cert.pem"},
		{"unparsable cert file", []string{"--tls-cert", badPEM, "--tls-key", pki.Server.Key}, badPEM},
		{"key of another cert", []string{"--tls-cert", pki.Server.Cert, "--tls-key", pki.Alice.Key}, ""},
		{"bad allow-anonymous", []string{"--allow-anonymous", "perhaps"}, "perhaps"},
		{"bad rate limit", []string{"--rate-limit", "fast"}, "fast"},
		{"negative rate limit", []string{"--rate-limit", "-1"}, "-1"},
		{"bad trusted proxies", []string{"--trusted-proxies", "10.0.0.0/99"}, "10.0.0.0/99"},
		{"bad header timeout", []string{"--header-timeout", "soonish"}, "soonish"},
		{"bad max header size", []string{"--max-header-size", "huge"}, "huge"},
		{"missing auth file", []string{"--auth-file", "/nonexistent/auth.toml"}, "/nonexistent/auth.toml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append(append([]string{}, base...), "--cache-dir", t.TempDir()), c.args...)
			code, _, errOut := run(t, nil, args...)
			if code != 2 {
				t.Errorf("modproxy %s: exit code %d, want 2; stderr %q", strings.Join(c.args, " "), code, errOut)
			}
			if lines := nonEmptyLines(errOut); len(lines) != 1 {
				t.Errorf("want one line on stderr, got %d: %q", len(lines), errOut)
			}
			if c.token != "" && !strings.Contains(errOut, c.token) {
				t.Errorf("stderr %q does not name %q", errOut, c.token)
			}
		})
	}
}
