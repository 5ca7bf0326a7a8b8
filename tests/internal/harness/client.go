package harness

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// Client sends requests with exactly the request-target it is given (no
// cleaning of "..", no re-encoding), so tests can send hostile paths.
type Client struct {
	t    testing.TB
	base *url.URL
	hc   *http.Client
}

// Response is a fully read response.
type Response struct {
	Method string
	Path   string
	Status int
	Header http.Header
	Body   []byte
}

// NewClient talks to base (http://host:port). It ignores proxy variables and
// asks for no compression, so Content-Length is what the server declared.
func NewClient(t testing.TB, base string) *Client {
	return NewTLSClient(t, base, nil)
}

// NewTLSClient is NewClient for an https:// base, with cfg as the client's
// TLS configuration (nil: Go's defaults, the system roots).
func NewTLSClient(t testing.TB, base string, cfg *tls.Config) *Client {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 64, TLSClientConfig: cfg}
	t.Cleanup(tr.CloseIdleConnections)
	return &Client{t: t, base: u, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Get sends GET path with optional header name/value pairs.
func (c *Client) Get(path string, header ...string) *Response {
	c.t.Helper()
	return c.Do("GET", path, header...)
}

// Do sends one request and fails the test on transport errors. It also enforces
// the contract's "never a 500".
func (c *Client) Do(method, path string, header ...string) *Response {
	c.t.Helper()
	r, err := c.DoErr(method, path, header...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// DoErr is Do returning transport errors.
func (c *Client) DoErr(method, path string, header ...string) (*Response, error) {
	c.t.Helper()
	req, err := c.NewRequest(method, path, header...)
	if err != nil {
		return nil, err
	}
	return c.Send(req)
}

// NewRequest builds a request whose request-target is path, verbatim.
func (c *Client) NewRequest(method, path string, header ...string) (*http.Request, error) {
	req, err := http.NewRequest(method, c.base.String(), nil)
	if err != nil {
		return nil, err
	}
	// An Opaque starting with "/" is written to the request line as is.
	req.URL = &url.URL{Scheme: c.base.Scheme, Host: c.base.Host, Opaque: path}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req, nil
}

// Send sends req and reads the whole body.
func (c *Client) Send(req *http.Request) (*Response, error) {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error would print the opaque URL oddly ("http:/path"); say it plainly.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s%s: %w", req.Method, c.base, req.URL.Opaque, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	r := &Response{Method: req.Method, Path: req.URL.Opaque, Status: resp.StatusCode, Header: resp.Header, Body: body}
	if r.Status == http.StatusInternalServerError {
		c.t.Errorf("%s %s: 500 (the contract says never 500): %s", r.Method, r.Path, OneLine(body))
	}
	return r, nil
}

// String summarises the response for failure messages.
func (r *Response) String() string {
	return fmt.Sprintf("%s %s -> %d %v body=%q", r.Method, r.Path, r.Status, r.Header, OneLine(r.Body))
}

// CacheHit is the X-Go-Proxy-Cache-Hit header ("" if absent).
func (r *Response) CacheHit() string { return r.Header.Get("X-Go-Proxy-Cache-Hit") }

// OneLine shortens a body for messages.
func OneLine(b []byte) string {
	s := string(b)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// ExpectStatus fails unless the status is want.
func (r *Response) ExpectStatus(t testing.TB, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("want %d, got %s", want, r)
	}
}

// ExpectBody fails unless the status is 200 and the body is want.
func (r *Response) ExpectBody(t testing.TB, want []byte) {
	t.Helper()
	r.ExpectStatus(t, http.StatusOK)
	if !bytes.Equal(r.Body, want) {
		t.Fatalf("%s %s: body differs: got %d bytes %q, want %d bytes %q",
			r.Method, r.Path, len(r.Body), OneLine(r.Body), len(want), OneLine(want))
	}
}

// ExpectContentType checks the media type and, when wantCharset is set, the charset.
func (r *Response) ExpectContentType(t testing.TB, wantType, wantCharset string) {
	t.Helper()
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != wantType || (wantCharset != "" && !strings.EqualFold(params["charset"], wantCharset)) {
		want := wantType
		if wantCharset != "" {
			want += "; charset=" + wantCharset
		}
		t.Errorf("%s %s: Content-Type %q, want %q", r.Method, r.Path, ct, want)
	}
}

// ExpectOneLineError checks a not-found/error body: text/plain, one non-empty line.
func (r *Response) ExpectOneLineError(t testing.TB) {
	t.Helper()
	r.ExpectContentType(t, "text/plain", "utf-8")
	msg := strings.TrimSuffix(string(r.Body), "\n")
	if msg == "" || strings.Contains(msg, "\n") {
		t.Errorf("%s %s: error body must be one non-empty line, got %q", r.Method, r.Path, r.Body)
	}
}

// ExpectCacheHitHeader checks X-Go-Proxy-Cache-Hit is present and, if want != "", equal to it.
func (r *Response) ExpectCacheHitHeader(t testing.TB, want string) {
	t.Helper()
	got := r.CacheHit()
	if got != "true" && got != "false" {
		t.Errorf("%s %s: X-Go-Proxy-Cache-Hit = %q, want true|false", r.Method, r.Path, got)
	} else if want != "" && got != want {
		t.Errorf("%s %s: X-Go-Proxy-Cache-Hit = %q, want %q", r.Method, r.Path, got, want)
	}
}

// RawExchange writes request (a complete HTTP/1.1 request) on a fresh connection
// and returns everything the server sent until it closed the connection.
func RawExchange(t testing.TB, addr, request string) []byte {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading raw response: %v (got %q)", err, OneLine(data))
	}
	return data
}

// SplitRaw parses a raw response (of a request with the given method) and
// returns it plus the bytes that followed the header block.
func SplitRaw(t testing.TB, raw []byte, method string) (*http.Response, []byte) {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(raw))
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("parsing raw response %q: %v", OneLine(raw), err)
	}
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatalf("no end of headers in %q", OneLine(raw))
	}
	return resp, raw[i+4:]
}

// TLSConfig is a client TLS configuration trusting the PEM bundle caFile
// (empty: the system roots) and, when certFile is set, presenting that
// certificate with keyFile.
func TLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg := &tls.Config{}
	if caFile != "" {
		data, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("%s: no PEM certificates", caFile)
		}
		cfg.RootCAs = pool
	}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}
