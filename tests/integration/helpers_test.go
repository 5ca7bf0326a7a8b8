// Package integration drives a real modproxy process over loopback HTTP
// against fixture upstreams (tests/fixtures/upstream) and checks it against
// the contract in docs/design.md and the issue text: statuses, headers,
// upstream failure handling, caching rules, configuration and operations.
package integration

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// env is one fixture upstream serving the fixture tree plus one modproxy using it.
type env struct {
	f  *harness.Fixtures
	up *upstream.Server
	p  *harness.Proxy
}

// newEnv starts both; args are extra modproxy flags.
func newEnv(t *testing.T, args ...string) *env {
	t.Helper()
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	p := harness.Start(t, harness.Options{Upstream: up.URL, Args: args})
	return &env{f: f, up: up, p: p}
}

func (e *env) mod(t *testing.T, path, version string) harness.Module {
	t.Helper()
	return e.f.Module(t, path, version)
}

// versions parses a list body into sorted versions (order is not part of the protocol).
func versions(body []byte) []string {
	v := strings.Fields(string(body))
	sort.Strings(v)
	return v
}

func sorted(v ...string) []string {
	sort.Strings(v)
	return v
}

// infoOf decodes an .info or @latest body.
func infoOf(t *testing.T, r *harness.Response) (version, time string) {
	t.Helper()
	var info struct{ Version, Time string }
	if err := json.Unmarshal(r.Body, &info); err != nil {
		t.Fatalf("%s %s: body is not .info JSON: %v (%q)", r.Method, r.Path, err, harness.OneLine(r.Body))
	}
	return info.Version, info.Time
}

// metric returns the summed value of a metric (0 when absent).
func metric(t *testing.T, p *harness.Proxy, name string, labels map[string]string) float64 {
	t.Helper()
	v, _ := p.Scrape(t).Sum(name, labels)
	return v
}
