package integration

// Hardening (issue 6): slow headers and slow TLS handshakes are cut off
// after --header-timeout without stalling other clients, idle kept-alive
// connections after --idle-timeout, oversized heads and targets get 400
// and a close, and --max-connections-per-ip.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"modproxy/tests/internal/certs"
	"modproxy/tests/internal/harness"
)

// slowConn is one slowloris connection's fate.
type slowConn struct {
	openedAt time.Time     // first bytes sent
	closedIn time.Duration // from the first bytes to the server's close; 0 if never
	got      []byte        // what the server sent
	err      error         // dial error
}

// slowloris opens n connections to addr that send first, then one byte of
// drip every interval, until the server closes them or limit passes.
func slowloris(addr string, n int, first, drip string, interval, limit time.Duration) []*slowConn {
	out := make([]*slowConn, n)
	var wg sync.WaitGroup
	for i := range out {
		s := &slowConn{}
		out[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				s.err = err
				return
			}
			defer c.Close()
			s.openedAt = time.Now()
			io.WriteString(c, first)
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				data, isClosed, _ := readUntilClosed(c, limit)
				s.got = data
				if isClosed {
					s.closedIn = time.Since(s.openedAt)
				}
			}()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for k := 0; ; k++ {
				select {
				case <-closed:
					return
				case <-tick.C:
					c.Write([]byte{drip[k%len(drip)]})
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// normalClient sends a request every interval until stop and returns the
// latencies and the failures.
func normalClient(c *hclient, path string, interval time.Duration, stop <-chan struct{}) (lat []time.Duration, fails []string) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		start := time.Now()
		r, err := c.get(path)
		switch {
		case err != nil:
			fails = append(fails, err.Error())
		case r.Status != 200:
			fails = append(fails, r.String())
		default:
			lat = append(lat, time.Since(start))
		}
	}
}

// checkSlowClosed: every slow connection was closed by the server between
// lo and hi after its first bytes.
// With plainHTTP, anything the server sent must be a 4xx response.
func checkSlowClosed(t *testing.T, conns []*slowConn, lo, hi time.Duration, plainHTTP bool) {
	t.Helper()
	var never, early, late int
	var min, max time.Duration
	for _, s := range conns {
		if s.err != nil {
			t.Errorf("slow connection: %v", s.err)
			continue
		}
		switch {
		case s.closedIn == 0:
			never++
		case s.closedIn < lo:
			early++
		case s.closedIn > hi:
			late++
		}
		if s.closedIn != 0 && (min == 0 || s.closedIn < min) {
			min = s.closedIn
		}
		if s.closedIn > max {
			max = s.closedIn
		}
	}
	t.Logf("%d slow connections closed after %v to %v (%d never, %d before %v, %d after %v)",
		len(conns), min.Round(time.Millisecond), max.Round(time.Millisecond), never, early, lo, late, hi)
	if never+early+late > 0 {
		t.Errorf("slow connections: %d never closed, %d closed before %v, %d after %v; want all closed by the header timeout",
			never, early, lo, late, hi)
	}
	for _, s := range conns {
		if plainHTTP && len(s.got) > 0 && !bytes.HasPrefix(s.got, []byte("HTTP/1.1 4")) {
			t.Errorf("a slow connection was answered %q", harness.OneLine(s.got))
			break
		}
	}
}

// --header-timeout 2s: 100 connections sending their request head a byte
// every 500 ms are closed about 2 s after their first byte, while a normal
// client (same address) keeps getting quick answers.
func TestSlowlorisHeaders(t *testing.T) {
	e := newEnv(t, "--header-timeout", "2s")
	path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
	e.p.Get(path).ExpectStatus(t, http.StatusOK)
	good := newHTTPClient(t, e.p.URL, "127.0.0.1", nil)

	stop := make(chan struct{})
	var lat []time.Duration
	var fails []string
	doneNormal := make(chan struct{})
	go func() { lat, fails = normalClient(good, path, 50*time.Millisecond, stop); close(doneNormal) }()

	// Half stall in the request line, half in the headers.
	var conns []*slowConn
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, first := range []string{"GET /example.com/hel", "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a"} {
		first := first
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs := slowloris(e.p.Addr, 50, first, "abcdefgh", 500*time.Millisecond, 15*time.Second)
			mu.Lock()
			conns = append(conns, cs...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(stop)
	<-doneNormal

	checkSlowClosed(t, conns, 1500*time.Millisecond, 4500*time.Millisecond, true)
	t.Logf("normal client meanwhile: n=%d p50=%v p99=%v max=%v failures=%d",
		len(lat), percentile(lat, .5), percentile(lat, .99), percentile(lat, 1), len(fails))
	if len(fails) > 0 {
		t.Errorf("normal client failed %d times during the slowloris: %q", len(fails), fails[:minInt(len(fails), 5)])
	}
	if len(lat) < 20 {
		t.Errorf("normal client got only %d answers", len(lat))
	}
	// A loop stalled by the slow connections would hold the normal client
	// until --header-timeout (2s) closed them; anything well under that is
	// scheduling noise (a ThreadSanitizer build with both shards running
	// saw a single 576 ms request among 41).
	if p99 := percentile(lat, .99); p99 > 1500*time.Millisecond {
		t.Errorf("normal client's p99 during the slowloris: %v, want under 1.5s (the 2s header timeout would mean a stall)", p99)
	}
	e.p.Get("/healthz").ExpectStatus(t, http.StatusOK)
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// --header-timeout covers the TLS handshake: connections that send part of
// a ClientHello (or nothing but a TCP handshake plus one byte) are closed
// after it, and TLS clients keep being served.
func TestSlowlorisTLSHandshake(t *testing.T) {
	pki := certs.New(t)
	e := newTLSEnv(t, pki, "--header-timeout", "2s")
	path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
	e.p.Get(path).ExpectStatus(t, http.StatusOK)
	good := newHTTPClient(t, e.p.URL, "", tlsConfig(t, pki.CA.Cert))

	stop := make(chan struct{})
	var lat []time.Duration
	var fails []string
	doneNormal := make(chan struct{})
	go func() { lat, fails = normalClient(good, path, 50*time.Millisecond, stop); close(doneNormal) }()
	// A TLS record header announcing a 512-byte handshake message, then
	// the message a byte every 500 ms.
	conns := slowloris(e.p.Addr, 30, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "\x00", 500*time.Millisecond, 15*time.Second)
	close(stop)
	<-doneNormal
	checkSlowClosed(t, conns, 1500*time.Millisecond, 4500*time.Millisecond, false)
	t.Logf("TLS client meanwhile: n=%d p50=%v p99=%v failures=%d", len(lat), percentile(lat, .5), percentile(lat, .99), len(fails))
	if len(fails) > 0 {
		t.Errorf("TLS client failed %d times during the slow handshakes: %q", len(fails), fails[:minInt(len(fails), 5)])
	}
	// A loop stalled by the slow connections would hold the normal client
	// until --header-timeout (2s) closed them; anything well under that is
	// scheduling noise (a ThreadSanitizer build with both shards running
	// saw a single 576 ms request among 41).
	if p99 := percentile(lat, .99); p99 > 1500*time.Millisecond {
		t.Errorf("TLS client's p99 during the slow handshakes: %v, want under 1.5s (the 2s header timeout would mean a stall)", p99)
	}
}

// --idle-timeout: a kept-alive connection with no next request is closed
// after it; one that keeps sending requests is not.
func TestSlowlorisIdleTimeout(t *testing.T) {
	e := newEnv(t, "--idle-timeout", "1s", "--header-timeout", "5s")
	idle, err := dialRaw(e.p.Addr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	busy, err := dialRaw(e.p.Addr, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, c := range []*rawConn{idle, busy} {
		if resp, _, err := c.roundTrip("/healthz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("first request: %v %v", resp, err)
		}
	}
	start := time.Now()
	closedIn := make(chan time.Duration, 1)
	go func() {
		_, closed, _ := readUntilClosed(idle, 10*time.Second)
		if closed {
			closedIn <- time.Since(start)
		} else {
			closedIn <- 0
		}
	}()
	for i := 0; i < 8; i++ { // 2.4 s of requests every 300 ms on the busy one
		time.Sleep(300 * time.Millisecond)
		if resp, _, err := busy.roundTrip("/healthz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("busy kept-alive connection, request %d: %v %v (it is never idle for 1s)", i+2, resp, err)
		}
	}
	if d := <-closedIn; d == 0 || d < 700*time.Millisecond || d > 3*time.Second {
		t.Errorf("idle kept-alive connection closed after %v, want about 1s (0: not within 10s)", d)
	}
}

// readResponse parses a raw response and its body.
func readResponse(t *testing.T, raw []byte) (*http.Response, string) {
	t.Helper()
	resp, rest := harness.SplitRaw(t, raw, "GET")
	return resp, string(rest)
}

// oversized sends request on a fresh connection (ignoring a failed write:
// the server may close before reading it all) and returns what came back
// before the close.
func oversized(t *testing.T, addr, request string) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, request)
	data, closed, err := readUntilClosed(c, 10*time.Second)
	if !closed {
		t.Errorf("oversized request: connection still open after 10s (got %q)", harness.OneLine(data))
	}
	if len(data) == 0 {
		t.Fatalf("oversized request: no response before the close (%v)", err)
	}
	return data
}

// Oversized request heads and targets: 400 with the contract's one-line
// body, then the connection is closed; just under the limits is served;
// other clients are unaffected. --max-header-size and --max-request-line
// change the limits.
func TestOversizedHeaders(t *testing.T) {
	cases := []struct {
		name           string
		args           []string
		headLimit      int // bytes of the whole request head
		headerOver     int // X-Pad bytes: over the head limit
		headerUnder    int // X-Pad bytes: under it
		targetOver     int // request-target length over the target limit
		targetUnder    int // and under it (and under the path parser's 2048)
		wantHeaderBody string
		wantTargetBody string
	}{
		{"defaults", nil, 16384, 20 << 10, 12 << 10, 9 << 10, 1000,
			"request header larger than 16384 bytes", "request target longer than 8192 bytes"},
		{"configured", []string{"--max-header-size", "4KiB", "--max-request-line", "1KiB"}, 4096, 5 << 10, 3 << 10, 1500, 900,
			"request header larger than 4096 bytes", "request target longer than 1024 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.args...)
			path := e.mod(t, "example.com/hello", "v1.0.0").URLPath("info")
			other, err := dialRaw(e.p.Addr, "127.0.0.2", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if resp, _, err := other.roundTrip(path); err != nil || resp.StatusCode != 200 {
				t.Fatalf("other client: %v %v", resp, err)
			}

			pad := func(n int) string { return strings.Repeat("a", n) }
			// Header over the limit.
			raw := oversized(t, e.p.Addr, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "+pad(c.headerOver)+"\r\n\r\n")
			resp, body := readResponse(t, raw)
			if resp.StatusCode != 400 || strings.TrimSpace(body) != c.wantHeaderBody {
				t.Errorf("%d-byte header: %d %q, want 400 %q", c.headerOver, resp.StatusCode, body, c.wantHeaderBody)
			}
			// Small headers adding up to 1 KiB over the limit (the whole head counts).
			head := "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			for i := 0; len(head) < c.headLimit+1024; i++ {
				head += fmt.Sprintf("X-Pad-%d: %s\r\n", i, pad(100))
			}
			raw = oversized(t, e.p.Addr, head+"\r\n")
			if resp, body := readResponse(t, raw); resp.StatusCode != 400 || strings.TrimSpace(body) != c.wantHeaderBody {
				t.Errorf("a %d-byte head of 100-byte headers (limit %d): %d %q, want 400 %q", len(head)+2, c.headLimit, resp.StatusCode, body, c.wantHeaderBody)
			}
			// Target over the limit (not a module path: /healthz with a query).
			target := "/healthz?pad=" + pad(c.targetOver-len("/healthz?pad="))
			raw = oversized(t, e.p.Addr, "GET "+target+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
			if resp, body := readResponse(t, raw); resp.StatusCode != 400 || strings.TrimSpace(body) != c.wantTargetBody {
				t.Errorf("%d-byte target: %d %q, want 400 %q", len(target), resp.StatusCode, body, c.wantTargetBody)
			}
			// Under the limits: served.
			r := e.p.Get(path, "X-Pad", pad(c.headerUnder))
			r.ExpectStatus(t, http.StatusOK)
			if r := e.p.Get("/healthz?pad=" + pad(c.targetUnder-len("/healthz?pad="))); r.Status != 200 {
				t.Errorf("%d-byte target: %d %q, want 200", c.targetUnder, r.Status, r.Body)
			}
			// The other client's kept-alive connection is unaffected.
			if resp, _, err := other.roundTrip(path); err != nil || resp.StatusCode != 200 {
				t.Errorf("other client after the oversized requests: %v %v", resp, err)
			}
		})
	}
}

// --max-connections-per-ip 10: the 11th connection from 127.0.0.1 gets a
// 429 naming the address and is closed at once; 127.0.0.2 is still served,
// the 10 open connections keep working, and closing one makes room.
func TestConnectionsPerIP(t *testing.T) {
	e := newEnv(t, "--max-connections-per-ip", "10")
	var open []*rawConn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := 0; i < 10; i++ {
		c, err := dialRaw(e.p.Addr, "127.0.0.1", nil)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		if resp, _, err := c.roundTrip("/healthz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d of 10: %v %v", i+1, resp, err)
		}
	}

	extra, err := net.DialTimeout("tcp", e.p.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	data, closed, _ := readUntilClosed(extra, 5*time.Second)
	extra.Close()
	if !closed {
		t.Errorf("11th connection from 127.0.0.1: still open after 5s (got %q)", harness.OneLine(data))
	} else if d := time.Since(start); d > 2*time.Second {
		t.Errorf("11th connection closed after %v, want at once", d)
	}
	if len(data) == 0 {
		t.Errorf("11th connection closed without the 429 response")
	} else {
		resp, body := readResponse(t, data)
		if resp.StatusCode != 429 || strings.TrimSpace(body) != "too many connections from 127.0.0.1" {
			t.Errorf("11th connection: %d %q, want 429 \"too many connections from 127.0.0.1\"", resp.StatusCode, body)
		}
	}

	newHTTPClient(t, e.p.URL, "127.0.0.2", nil).mustGet("/healthz").ExpectStatus(t, http.StatusOK)
	for i, c := range open {
		if resp, _, err := c.roundTrip("/readyz"); err != nil || resp.StatusCode != 200 {
			t.Errorf("open connection %d after the refusal: %v %v", i+1, resp, err)
		}
	}

	open[0].Close()
	open = open[1:]
	harness.Eventually(t, 5*time.Second, func() (bool, string) {
		c, err := dialRaw(e.p.Addr, "127.0.0.1", nil)
		if err != nil {
			return false, err.Error()
		}
		resp, _, err := c.roundTrip("/healthz")
		if err != nil || resp.StatusCode != 200 {
			c.Close()
			return false, fmt.Sprintf("after closing one of 10: %v %v", resp, err)
		}
		open = append(open, c)
		return true, ""
	})
}
