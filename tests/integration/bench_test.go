package integration

// Black-box tests of `modproxy bench`, the load generator: it is run as a
// separate process against real modproxy servers serving a GOPROXY tree
// written here, and only its exit code, stderr and --json output are checked.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"modproxy/tests/internal/harness"
)

// benchTree is a small GOPROXY tree: module path -> versions (escaped paths).
var benchTree = map[string][]string{
	"example.com/hello":      {"v1.0.0", "v1.1.0"},
	"github.com/!azure/blob": {"v0.3.0"},
	"golang.org/x/demo":      {"v0.1.0", "v0.2.0", "v0.3.0"},
}

// writeBenchTree writes benchTree (.info, .mod, list, plus a dot-directory
// that bench must skip) into a new directory and returns it with the request
// paths of its .info, .mod and list files.
func writeBenchTree(t *testing.T) (dir string, paths []string) {
	t.Helper()
	dir = t.TempDir()
	write := func(rel, content string) {
		full := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for mod, vers := range benchTree {
		for _, v := range vers {
			write(mod+"/@v/"+v+".info", fmt.Sprintf(`{"Version":%q,"Time":"2023-01-02T03:04:05Z"}`, v))
			write(mod+"/@v/"+v+".mod", "module "+strings.ReplaceAll(mod, "!azure", "Azure")+"\n")
			paths = append(paths, "/"+mod+"/@v/"+v+".info", "/"+mod+"/@v/"+v+".mod")
		}
		write(mod+"/@v/list", strings.Join(vers, "\n")+"\n")
		paths = append(paths, "/"+mod+"/@v/list")
	}
	write(".modproxy/tmp/example.com/secret/@v/v9.9.9.info", "{}")
	return dir, paths
}

// startBenchProxy serves a copy of the bench tree from its cache, with no upstream.
func startBenchProxy(t *testing.T) (*harness.Proxy, []string) {
	t.Helper()
	dir, paths := writeBenchTree(t)
	return harness.Start(t, harness.Options{CacheDir: dir, Upstream: "off"}), paths
}

type latencySummary struct {
	Mean, P50, P90, P95, P99, Max *float64
}

// benchJSON is the --json object of one run; pointers tell a missing key from 0.
type benchJSON struct {
	Tool             string            `json:"tool"`
	URL              string            `json:"url"`
	Concurrency      *int              `json:"concurrency"`
	IdleConnections  *int              `json:"idle_connections"`
	IdleOpenAtEnd    *int              `json:"idle_open_at_end"`
	DurationS        *float64          `json:"duration_s"`
	Requests         *int64            `json:"requests"`
	Status           map[string]int64  `json:"status"`
	TransportErrors  map[string]*int64 `json:"transport_errors"`
	RequestsPerS     *float64          `json:"requests_per_s"`
	Bytes            *int64            `json:"bytes"`
	BytesPerS        *float64          `json:"bytes_per_s"`
	LatencyMs        latencySummary    `json:"latency_ms"`
	TTFBMs           latencySummary    `json:"ttfb_ms"`
	ClientCPUPercent *float64          `json:"client_cpu_percent"`
}

type benchResult struct {
	code           int
	stdout, stderr string
}

// runBench runs `modproxy bench args...` and returns its exit code and output.
func runBench(t *testing.T, args ...string) benchResult {
	t.Helper()
	cmd := harness.Command(harness.Binary(t), append([]string{"bench"}, args...)...)
	cmd.Env = harness.ChildEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("modproxy bench %s: still running after 60s\nstderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	r := benchResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("modproxy bench: %v", err)
	}
	return r
}

func (r benchResult) expectCode(t *testing.T, want int, args ...string) {
	t.Helper()
	if r.code != want {
		t.Fatalf("modproxy bench %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
}

// decode parses the single-run --json object and checks every contract key.
func decode(t *testing.T, r benchResult) benchJSON {
	t.Helper()
	var out benchJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--json output is not one JSON object: %v\n%s", err, r.stdout)
	}
	checkSchema(t, out)
	return out
}

func checkSchema(t *testing.T, out benchJSON) {
	t.Helper()
	if out.Tool != "modproxy bench" {
		t.Errorf(`tool = %q, want "modproxy bench"`, out.Tool)
	}
	missing := []string{}
	for name, present := range map[string]bool{
		"url": out.URL != "", "concurrency": out.Concurrency != nil,
		"idle_connections": out.IdleConnections != nil, "idle_open_at_end": out.IdleOpenAtEnd != nil,
		"duration_s": out.DurationS != nil, "requests": out.Requests != nil, "status": out.Status != nil,
		"requests_per_s": out.RequestsPerS != nil, "bytes": out.Bytes != nil,
		"bytes_per_s": out.BytesPerS != nil, "client_cpu_percent": out.ClientCPUPercent != nil,
	} {
		if !present {
			missing = append(missing, name)
		}
	}
	for _, kind := range []string{"connect", "reset", "timeout", "malformed"} {
		if out.TransportErrors[kind] == nil {
			missing = append(missing, "transport_errors."+kind)
		}
	}
	for name, l := range map[string]latencySummary{"latency_ms": out.LatencyMs, "ttfb_ms": out.TTFBMs} {
		for key, v := range map[string]*float64{"mean": l.Mean, "p50": l.P50, "p90": l.P90, "p95": l.P95, "p99": l.P99, "max": l.Max} {
			if v == nil {
				missing = append(missing, name+"."+key)
			}
		}
	}
	if len(missing) > 0 {
		t.Fatalf("--json output lacks %v", missing)
	}
}

func transportErrors(out benchJSON) int64 {
	var n int64
	for _, v := range out.TransportErrors {
		n += *v
	}
	return n
}

func expectOrdered(t *testing.T, name string, l latencySummary) {
	t.Helper()
	seq := []float64{*l.P50, *l.P90, *l.P95, *l.P99, *l.Max}
	for i := 1; i < len(seq); i++ {
		if seq[i] < seq[i-1] {
			t.Errorf("%s percentiles not ordered: p50 %v p90 %v p95 %v p99 %v max %v", name, *l.P50, *l.P90, *l.P95, *l.P99, *l.Max)
			return
		}
	}
	if *l.P50 <= 0 || *l.Mean <= 0 || *l.Mean > *l.Max {
		t.Errorf("%s: p50 %v mean %v max %v", name, *l.P50, *l.Mean, *l.Max)
	}
}

func writePaths(t *testing.T, lines ...string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "paths.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// A timed run over a cache tree: only 200s, ordered percentiles, real bytes.
func TestBenchFromCacheJSON(t *testing.T) {
	p, _ := startBenchProxy(t)
	args := []string{p.URL, "--from-cache", p.CacheDir, "--duration", "1s", "--concurrency", "8", "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 0, args...)
	out := decode(t, r)
	if *out.Requests <= 0 {
		t.Fatalf("requests = %d, want > 0", *out.Requests)
	}
	if len(out.Status) != 1 || out.Status["200"] != *out.Requests {
		t.Errorf("status = %v, want only 200 (%d requests)", out.Status, *out.Requests)
	}
	if n := transportErrors(out); n != 0 {
		t.Errorf("transport errors %v", out.TransportErrors)
	}
	if *out.Concurrency != 8 || out.URL != p.URL || *out.IdleConnections != 0 {
		t.Errorf("concurrency %d url %q idle %d", *out.Concurrency, out.URL, *out.IdleConnections)
	}
	if *out.DurationS < 0.9 || *out.DurationS > 3 {
		t.Errorf("duration_s = %v for --duration 1s", *out.DurationS)
	}
	if *out.Bytes <= 0 || *out.BytesPerS <= 0 || *out.RequestsPerS <= 0 {
		t.Errorf("bytes %d bytes/s %v req/s %v", *out.Bytes, *out.BytesPerS, *out.RequestsPerS)
	}
	expectOrdered(t, "latency_ms", out.LatencyMs)
	expectOrdered(t, "ttfb_ms", out.TTFBMs)
	if *out.TTFBMs.P50 > *out.LatencyMs.P50 {
		t.Errorf("ttfb p50 %v > latency p50 %v", *out.TTFBMs.P50, *out.LatencyMs.P50)
	}
	// The server saw at least as many requests (in-flight ones at the end are not counted).
	if served := metric(t, p, "modproxy_http_requests_total", nil); served < float64(*out.Requests) {
		t.Errorf("modproxy counted %v requests, bench %d", served, *out.Requests)
	}
}

// --once requests each path of a --paths file exactly once: N requests, and
// modproxy's access log shows each path once.
func TestBenchOnceRequestsEveryPathOnce(t *testing.T) {
	p, paths := startBenchProxy(t)
	file := writePaths(t, append([]string{"# the whole tree", ""}, paths...)...)
	args := []string{p.URL, "--paths", file, "--once", "--concurrency", "3", "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 0, args...)
	out := decode(t, r)
	if *out.Requests != int64(len(paths)) || out.Status["200"] != int64(len(paths)) {
		t.Fatalf("--once over %d paths: requests %d, status %v", len(paths), *out.Requests, out.Status)
	}
	harness.Eventually(t, 5*time.Second, func() (bool, string) {
		seen := map[string]int{}
		for _, line := range p.Stdout.Lines() {
			var a struct{ Path string }
			if json.Unmarshal([]byte(line), &a) == nil && a.Path != "" {
				seen[a.Path]++
			}
		}
		total := 0
		for _, path := range paths {
			n := seen[path]
			if alt := strings.ReplaceAll(path, "!", "%21"); alt != path {
				n += seen[alt]
			}
			if n > 1 {
				return false, fmt.Sprintf("access log shows %s %d times", path, n)
			}
			total += n
		}
		return total == len(paths), fmt.Sprintf("access log shows %d of %d paths", total, len(paths))
	})
}

// A path that does not exist is counted under its status, not as an error.
func TestBenchCountsNotFoundUnderItsStatus(t *testing.T) {
	p, paths := startBenchProxy(t)
	file := writePaths(t, paths[0], "/example.com/missing/@v/v1.0.0.info")
	args := []string{p.URL, "--paths", file, "--duration", "500ms", "--concurrency", "4", "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 0, args...)
	out := decode(t, r)
	if out.Status["404"] == 0 || out.Status["200"] == 0 || out.Status["404"]+out.Status["200"] != *out.Requests {
		t.Errorf("status = %v for %d requests, want 200s and 404s only", out.Status, *out.Requests)
	}
	if n := transportErrors(out); n != 0 {
		t.Errorf("a 404 counted as a transport error: %v", out.TransportErrors)
	}

	// Nothing but 404s: the run completes but nothing succeeded.
	only404 := writePaths(t, "/example.com/missing/@v/v1.0.0.info")
	args = []string{p.URL, "--paths", only404, "--once", "--json"}
	r = runBench(t, args...)
	r.expectCode(t, 1, args...)
	if out := decode(t, r); out.Status["404"] != 1 {
		t.Errorf("status = %v, want one 404", out.Status)
	}
	if !strings.Contains(r.stderr, "no successful") {
		t.Errorf("stderr %q does not say nothing succeeded", r.stderr)
	}
}

// --compare alternates two servers and reports medians and B/A ratios.
func TestBenchCompareTwoServers(t *testing.T) {
	a, _ := startBenchProxy(t)
	b, _ := startBenchProxy(t)
	args := []string{a.URL, "--compare", b.URL, "--rounds", "2", "--duration", "300ms",
		"--concurrency", "4", "--from-cache", a.CacheDir, "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 0, args...)
	var out struct {
		A, B   benchJSON
		Rounds []struct{ A, B benchJSON }
		Ratios map[string]*float64
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("--compare --json output: %v\n%s", err, r.stdout)
	}
	checkSchema(t, out.A)
	checkSchema(t, out.B)
	if out.A.URL != a.URL || out.B.URL != b.URL {
		t.Errorf("a.url %q b.url %q, want %q and %q", out.A.URL, out.B.URL, a.URL, b.URL)
	}
	if len(out.Rounds) != 2 {
		t.Fatalf("%d rounds, want 2", len(out.Rounds))
	}
	for i, round := range out.Rounds {
		checkSchema(t, round.A)
		checkSchema(t, round.B)
		if *round.A.Requests == 0 || *round.B.Requests == 0 || round.A.URL != a.URL || round.B.URL != b.URL {
			t.Errorf("round %d: a %s %d requests, b %s %d requests", i+1, round.A.URL, *round.A.Requests, round.B.URL, *round.B.Requests)
		}
	}
	for _, key := range []string{"requests_per_s", "bytes_per_s", "p50", "p99"} {
		if v := out.Ratios[key]; v == nil || *v <= 0 {
			t.Errorf("ratios.%s = %v, want a positive number", key, v)
		}
	}

	// The human form names both servers and shows the ratios.
	args = []string{a.URL, "--compare", b.URL, "--rounds", "1", "--duration", "200ms", "--from-cache", a.CacheDir, "--quiet"}
	r = runBench(t, args...)
	r.expectCode(t, 0, args...)
	for _, want := range []string{"round 1/1 A", "round 1/1 B", "B/A", "requests/s"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// Idle connections are set up before the run and reported at the end.
func TestBenchHoldsIdleConnections(t *testing.T) {
	p, _ := startBenchProxy(t)
	args := []string{p.URL, "--from-cache", p.CacheDir, "--duration", "300ms", "--concurrency", "2", "--idle", "50", "--no-busy-poll", "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 0, args...)
	out := decode(t, r)
	if *out.IdleConnections != 50 || *out.IdleOpenAtEnd != 50 {
		t.Errorf("idle_connections %d idle_open_at_end %d, want 50 and 50", *out.IdleConnections, *out.IdleOpenAtEnd)
	}
}

// Nothing listening: exit 1 and a message naming the address.
func TestBenchUnreachableServerExits1(t *testing.T) {
	url := harness.RefusedURL(t)
	args := []string{url, "--duration", "1s", "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 1, args...)
	addr := strings.TrimPrefix(url, "http://")
	if !strings.Contains(r.stderr, "cannot connect") || !strings.Contains(r.stderr, addr) {
		t.Errorf("stderr %q does not say it cannot connect to %s", r.stderr, addr)
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

// Usage errors: one clear line on stderr, exit 2.
func TestBenchUsageErrorsExit2(t *testing.T) {
	p, _ := startBenchProxy(t)
	empty := writePaths(t, "# nothing here")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{p.URL, "--duration", "10x"}, "--duration"},
		{[]string{p.URL, "--duration", "-5s"}, "--duration"},
		{[]string{p.URL, "--timeout", "soon"}, "--timeout"},
		{[]string{"https://proxy.golang.org"}, "use probe"},
		{[]string{"proxy.golang.org"}, "bad URL"},
		{[]string{p.URL, "--paths", empty}, "no request paths"},
		{[]string{p.URL, "--from-cache", t.TempDir()}, "no request paths"},
		{[]string{p.URL, "--endpoints", "info,latest", "--from-cache", p.CacheDir}, "latest"},
		{[]string{p.URL, "--concurrency", "0"}, "concurrency"},
	} {
		r := runBench(t, tc.args...)
		r.expectCode(t, 2, tc.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if len(lines) != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("modproxy bench %s: stderr %q, want one line mentioning %q", strings.Join(tc.args, " "), r.stderr, tc.want)
		}
	}
}

// Chunked bodies, bodies without a length and Connection: close are all
// answers: counted with their exact body sizes, no transport errors.
func TestBenchHandlesEveryResponseFraming(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked": // a flush before the end makes net/http chunk the body
			w.Write([]byte("first part,"))
			w.(http.Flusher).Flush()
			w.Write([]byte("second part"))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("closing"))
		default:
			w.Write([]byte("plain"))
		}
	}))
	defer srv.Close()
	var lines []string
	for i := 0; i < 10; i++ {
		lines = append(lines, "/chunked", "/close", "/plain")
	}
	file := writePaths(t, lines...)
	args := []string{srv.URL, "--paths", file, "--once", "--concurrency", "3", "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 0, args...)
	out := decode(t, r)
	if *out.Requests != 30 || out.Status["200"] != 30 || transportErrors(out) != 0 {
		t.Errorf("requests %d status %v transport errors %v, want 30 answered 200", *out.Requests, out.Status, out.TransportErrors)
	}
	if want := int64(10 * (len("first part,second part") + len("closing") + len("plain"))); *out.Bytes != want {
		t.Errorf("bytes = %d, want %d (bodies without framing)", *out.Bytes, want)
	}
}

// rawServer answers each connection with serve(conn) on 127.0.0.1.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequest consumes one request head; false when the client went away.
func readRequest(r *bufio.Reader) bool {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if line == "\r\n" {
			return true
		}
	}
}

// A garbled response counts as "malformed" and the connection is re-opened;
// a server that never answers counts as "timeout".
func TestBenchCountsMalformedAndTimedOutResponses(t *testing.T) {
	garbling := rawServer(t, func(conn net.Conn) {
		r := bufio.NewReader(conn)
		if !readRequest(r) {
			return
		}
		conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
		if !readRequest(r) {
			return
		}
		conn.Write([]byte("BOGUS 200\r\n\r\n"))
		readRequest(r) // wait for the client to drop us
	})
	args := []string{garbling, "--paths", writePaths(t, "/x"), "--duration", "500ms", "--concurrency", "2", "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 0, args...)
	out := decode(t, r)
	if *out.TransportErrors["malformed"] == 0 || out.Status["200"] == 0 {
		t.Errorf("status %v transport errors %v, want 200s and malformed", out.Status, out.TransportErrors)
	}
	// One good answer per connection: the connection was re-opened each time.
	if diff := out.Status["200"] - *out.TransportErrors["malformed"]; diff < 0 || diff > 2 {
		t.Errorf("%d answers and %d malformed: connections were not re-opened after each", out.Status["200"], *out.TransportErrors["malformed"])
	}

	silent := rawServer(t, func(conn net.Conn) {
		readRequest(bufio.NewReader(conn))
		time.Sleep(5 * time.Second)
	})
	args = []string{silent, "--paths", writePaths(t, "/x"), "--duration", "1s", "--timeout", "200ms", "--concurrency", "2", "--json"}
	r = runBench(t, args...)
	r.expectCode(t, 1, args...)
	out = decode(t, r)
	if *out.TransportErrors["timeout"] < 2 || *out.Requests != 0 {
		t.Errorf("requests %d transport errors %v, want only timeouts", *out.Requests, out.TransportErrors)
	}
}

// A --once run whose server goes away stops after --timeout without answers
// and exits 1, naming the paths never answered.
func TestBenchOnceGivesUpWhenTheServerDisappears(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		ln.Close() // no more connections after this one
		r := bufio.NewReader(conn)
		if readRequest(r) {
			conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
		}
		conn.Close()
	}()
	file := writePaths(t, "/a", "/b", "/c", "/d", "/e")
	args := []string{"http://" + ln.Addr().String(), "--paths", file, "--once", "--concurrency", "1", "--timeout", "300ms", "--json"}
	r := runBench(t, args...)
	r.expectCode(t, 1, args...)
	var out struct {
		Requests   int64 `json:"requests"`
		Unanswered int64 `json:"unanswered"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if out.Requests != 1 || out.Unanswered == 0 {
		t.Errorf("requests %d unanswered %d, want 1 answered and the rest unanswered", out.Requests, out.Unanswered)
	}
	if !strings.Contains(r.stderr, "never answered") {
		t.Errorf("stderr %q does not say paths were never answered", r.stderr)
	}
}
