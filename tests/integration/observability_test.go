package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

var endpointValues = map[string]bool{"list": true, "info": true, "mod": true, "zip": true, "latest": true,
	"sumdb": true, "healthz": true, "readyz": true, "metrics": true, "other": true}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/hello", "v1.0.0")
	e.p.Get(m.URLPath("info")).ExpectStatus(t, 200)
	e.p.Get(m.URLPath("info")).ExpectStatus(t, 200)
	e.p.Get(m.URLPath("zip")).ExpectStatus(t, 200)
	e.p.Get("/example.com/missing/@v/list").ExpectStatus(t, 404)
	e.p.Get("/example.com/hello/@v/v01.0.0.zip").ExpectStatus(t, 400)
	e.p.Client().Do("POST", "/example.com/hello/@v/list").ExpectStatus(t, 405)
	e.up.Handle(`v1\.1\.0\.mod$`, upstream.Rule{Fault: upstream.Status, Status: 500, Body: []byte("boom")})
	e.p.Get(e.mod(t, "example.com/hello", "v1.1.0").URLPath("mod")).ExpectStatus(t, 502)
	e.p.Get("/healthz").ExpectStatus(t, 200)
	e.p.Get("/readyz").ExpectStatus(t, 200)

	ms := e.p.Scrape(t)
	exact := func(name string, labels map[string]string, want float64) {
		t.Helper()
		if got, ok := ms.Sum(name, labels); !ok || got != want {
			t.Errorf("%s%v = %v (present %v), want %v", name, labels, got, ok, want)
		}
	}
	atLeast := func(name string, labels map[string]string, want float64) {
		t.Helper()
		if got, ok := ms.Sum(name, labels); !ok || got < want {
			t.Errorf("%s%v = %v (present %v), want >= %v", name, labels, got, ok, want)
		}
	}
	exact("modproxy_http_requests_total", harness.L("endpoint", "info", "status", "200"), 2)
	exact("modproxy_http_requests_total", harness.L("endpoint", "zip", "status", "200"), 1)
	exact("modproxy_http_requests_total", harness.L("endpoint", "list", "status", "404"), 1)
	exact("modproxy_http_requests_total", harness.L("endpoint", "mod", "status", "502"), 1)
	exact("modproxy_http_requests_total", harness.L("endpoint", "healthz", "status", "200"), 1)
	exact("modproxy_http_requests_total", harness.L("endpoint", "readyz", "status", "200"), 1)
	atLeast("modproxy_http_requests_total", harness.L("status", "400"), 1)
	atLeast("modproxy_http_requests_total", harness.L("status", "405"), 1)
	exact("modproxy_http_request_duration_seconds_count", harness.L("endpoint", "info"), 2)
	exact("modproxy_http_request_duration_seconds_bucket", harness.L("endpoint", "info", "le", "+Inf"), 2)
	atLeast("modproxy_http_request_duration_seconds_sum", harness.L("endpoint", "info"), 0)
	exact("modproxy_cache_hits_total", harness.L("endpoint", "info"), 1)
	exact("modproxy_cache_misses_total", harness.L("endpoint", "info"), 1)
	exact("modproxy_cache_misses_total", harness.L("endpoint", "zip"), 1)
	atLeast("modproxy_upstream_fetches_total", harness.L("result", "ok"), 2)
	atLeast("modproxy_upstream_fetches_total", harness.L("result", "not_found"), 1)
	atLeast("modproxy_upstream_fetches_total", harness.L("result", "error"), 1)
	atLeast("modproxy_upstream_fetch_duration_seconds_count", nil, 4)
	atLeast("modproxy_upstream_fetch_duration_seconds_bucket", harness.L("le", "+Inf"), 4)
	atLeast("modproxy_http_response_bytes_total", nil, float64(m.ZipSize))
	exact("modproxy_upstream_fetches_in_flight", nil, 0)
	exact("modproxy_request_errors_total", harness.L("reason", "bad_request"), 1)
	exact("modproxy_request_errors_total", harness.L("reason", "method_not_allowed"), 1)
	exact("modproxy_request_errors_total", harness.L("reason", "not_found"), 1)
	exact("modproxy_request_errors_total", harness.L("reason", "upstream_error"), 1)

	for _, name := range []string{"modproxy_http_requests_total", "modproxy_http_request_duration_seconds_bucket",
		"modproxy_cache_hits_total", "modproxy_cache_misses_total"} {
		for _, v := range ms.LabelValues(name, "endpoint") {
			if !endpointValues[v] {
				t.Errorf("%s has endpoint=%q, not one of the contract's values", name, v)
			}
		}
	}
	for _, v := range ms.LabelValues("modproxy_request_errors_total", "reason") {
		if !map[string]bool{"bad_request": true, "method_not_allowed": true, "not_found": true, "upstream_error": true,
			"upstream_timeout": true, "upstream_invalid": true, "storage": true}[v] {
			t.Errorf("modproxy_request_errors_total has reason=%q, not one of the contract's values", v)
		}
	}
	for name, typ := range map[string]string{"modproxy_http_requests_total": "counter",
		"modproxy_http_request_duration_seconds": "histogram", "modproxy_upstream_fetch_duration_seconds": "histogram",
		"modproxy_upstream_fetches_in_flight": "gauge"} {
		if ms.Types[name] != typ {
			t.Errorf("# TYPE %s is %q, want %s", name, ms.Types[name], typ)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", ms.Text)
	}
}

// accessLine is one JSON access-log line on stdout.
type accessLine struct {
	Time       *string  `json:"time"`
	Remote     *string  `json:"remote"`
	Method     *string  `json:"method"`
	Path       *string  `json:"path"`
	Status     *int     `json:"status"`
	Bytes      *int64   `json:"bytes"`
	DurationMS *float64 `json:"duration_ms"`
	CacheHit   *bool    `json:"cache_hit"`
}

// One JSON line per request on stdout, with the contract's keys and real
// values, for protocol and operational endpoints alike.
func TestAccessLog(t *testing.T) {
	e := newEnv(t)
	m := e.mod(t, "example.com/hello", "v1.0.0")
	path := m.URLPath("info")
	want := []struct {
		resp *harness.Response
		path string
		hit  bool
	}{
		{e.p.Get(path), path, false},
		{e.p.Get(path), path, true},
		{e.p.Get("/example.com/missing/@v/list"), "/example.com/missing/@v/list", false},
		{e.p.Get("/healthz"), "/healthz", false},
	}

	var lines []accessLine
	harness.Eventually(t, 5*time.Second, func() (bool, string) {
		lines = nil
		for _, l := range e.p.Stdout.Lines() {
			var a accessLine
			if err := json.Unmarshal([]byte(l), &a); err != nil {
				t.Fatalf("stdout line is not JSON (%v): %q", err, l)
			}
			lines = append(lines, a)
		}
		return len(lines) >= len(want), fmt.Sprintf("%d access-log lines on stdout, want %d:\n%s", len(lines), len(want), e.p.Stdout.String())
	})
	if len(lines) != len(want) {
		t.Errorf("%d access-log lines for %d requests:\n%s", len(lines), len(want), e.p.Stdout.String())
	}
	// Lines are written when requests finish; these were sequential.
	for i, c := range want {
		if i >= len(lines) {
			break
		}
		a, raw := lines[i], e.p.Stdout.Lines()[i]
		if a.Time == nil || a.Remote == nil || a.Method == nil || a.Path == nil || a.Status == nil ||
			a.Bytes == nil || a.DurationMS == nil || a.CacheHit == nil {
			t.Errorf("line %d lacks a key (time remote method path status bytes duration_ms cache_hit): %s", i, raw)
			continue
		}
		if *a.Method != "GET" || *a.Path != c.path || *a.Status != c.resp.Status || *a.Bytes != int64(len(c.resp.Body)) ||
			*a.CacheHit != c.hit || *a.DurationMS < 0 || *a.Time == "" || !strings.Contains(*a.Remote, "127.0.0.1") {
			t.Errorf("line %d = %s; want method GET path %s status %d bytes %d cache_hit %v, remote 127.0.0.1",
				i, raw, c.path, c.resp.Status, len(c.resp.Body), c.hit)
		}
	}
}
