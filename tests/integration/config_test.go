package integration

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"modproxy/tests/internal/harness"
)

// run runs modproxy to completion (it is expected to exit on its own).
func run(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Binary(t), args...)
	cmd.Env = append(harness.ChildEnv(), env...)
	cmd.Dir = t.TempDir()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("modproxy %s did not exit within 15s", strings.Join(args, " "))
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, o.String(), e.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "modproxy.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}} {
		code, out, errOut := run(t, nil, args...)
		if code != 0 || strings.TrimSpace(out+errOut) == "" {
			t.Errorf("modproxy %s: exit %d, output %q", strings.Join(args, " "), code, out+errOut)
		}
	}
	code, out, errOut := run(t, nil, "--version")
	if code != 0 || strings.TrimSpace(out) != "modproxy 0.1.0" {
		t.Errorf("modproxy --version: exit %d, stdout %q, stderr %q; want exit 0 and \"modproxy 0.1.0\"", code, out, errOut)
	}
}

// Invalid configuration: exit code 2 and one line on stderr naming the bad value.
func TestInvalidConfigurationExits2(t *testing.T) {
	unknownKey := writeConfig(t, "listen = \"127.0.0.1:0\"\ncolour = \"blue\"\n")
	badValue := writeConfig(t, "list_ttl = \"eventually\"\n")
	badToml := writeConfig(t, "listen = \n")
	cases := []struct {
		name  string
		env   []string
		args  []string
		token string // must appear in the message
	}{
		{"unknown flag", nil, []string{"serve", "--bogus-flag", "1"}, "bogus-flag"},
		{"bad duration", nil, []string{"serve", "--list-ttl", "10parsecs"}, "10parsecs"},
		{"bad negative ttl", nil, []string{"serve", "--negative-ttl", "soon"}, "soon"},
		{"bad upstream timeout", nil, []string{"serve", "--upstream-timeout", "notaduration"}, "notaduration"},
		{"bad threads", nil, []string{"serve", "--threads", "lots"}, "lots"},
		{"bad fetch workers", nil, []string{"serve", "--fetch-workers", "many"}, "many"},
		{"bad log level", nil, []string{"serve", "--log-level", "loud"}, "loud"},
		{"bad upstream scheme", nil, []string{"serve", "--upstream", "ftp://example.com/mods"}, "ftp://example.com/mods"},
		{"bad listen address", nil, []string{"serve", "--listen", "not-an-address"}, "not-an-address"},
		{"bad env value", []string{"MODPROXY_LIST_TTL=forever"}, []string{"serve"}, "forever"},
		{"unknown config key", nil, []string{"serve", "--config", unknownKey}, "colour"},
		{"bad config value", nil, []string{"serve", "--config", badValue}, "eventually"},
		{"unparsable config", nil, []string{"serve", "--config", badToml}, "modproxy.toml"},
		{"missing config file", nil, []string{"serve", "--config", "/nonexistent/modproxy.toml"}, "/nonexistent/modproxy.toml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := run(t, c.env, c.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2; stderr %q", code, errOut)
			}
			lines := nonEmptyLines(errOut)
			if len(lines) != 1 {
				t.Errorf("want one line on stderr, got %d: %q", len(lines), errOut)
			}
			if !strings.Contains(errOut, c.token) {
				t.Errorf("stderr %q does not name the bad value %q", errOut, c.token)
			}
		})
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// Precedence flag > env > config file > default, observed through which
// upstream gets asked, where the file lands and which port is used.
func TestConfigPrecedence(t *testing.T) {
	f := harness.Fixture(t)
	m := f.Module(t, "example.com/hello", "v1.0.0")
	rel := m.TreePath("mod")
	type source struct {
		up    string
		cache string
	}
	mk := func() source { return source{harness.Upstream(t, f.Tree).URL, t.TempDir()} }
	flag, env, conf := mk(), mk(), mk()
	confFile := writeConfig(t, fmt.Sprintf("listen = \"127.0.0.1:0\"\nupstream = %q\ncache_dir = %q\nsumdb = \"off\"\n", conf.up, conf.cache))
	envVars := []string{"MODPROXY_UPSTREAM=" + env.up, "MODPROXY_CACHE_DIR=" + env.cache, "MODPROXY_LISTEN=127.0.0.1:0", "MODPROXY_SUMDB=off"}
	port := freePort(t)

	cases := []struct {
		name      string
		args, env []string
		want      source
		wantPort  string
	}{
		{"flag beats env and config", []string{"--config", confFile, "--listen", "127.0.0.1:" + port,
			"--upstream", flag.up, "--cache-dir", flag.cache}, envVars, flag, port},
		{"env beats config", []string{"--config", confFile}, envVars, env, ""},
		{"config file", []string{"--config", confFile}, nil, conf, ""},
		{"config file named by MODPROXY_CONFIG", nil, []string{"MODPROXY_CONFIG=" + confFile}, conf, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range []source{flag, env, conf} {
				os.RemoveAll(filepath.Join(s.cache, "example.com"))
			}
			p := harness.Start(t, harness.Options{Bare: true, Args: c.args, Env: c.env})
			if c.wantPort != "" && !strings.HasSuffix(p.Addr, ":"+c.wantPort) {
				t.Errorf("listening on %s, want port %s from the flag", p.Addr, c.wantPort)
			}
			p.Get(m.URLPath("mod")).ExpectBody(t, f.Read(t, rel))
			for name, s := range map[string]source{"flag": flag, "env": env, "config": conf} {
				has := harness.ReadCache(s.cache, rel) != nil
				if want := s == c.want; has != want {
					t.Errorf("%s cache dir has the file: %v, want %v", name, has, want)
				}
			}
			p.Stop()
		})
	}

	// Nothing set: the cache is ./modproxy-cache in the working directory.
	wd := t.TempDir()
	p := harness.Start(t, harness.Options{Bare: true, Dir: wd, Args: []string{"--listen", "127.0.0.1:0", "--sumdb", "off", "--upstream", env.up}})
	p.Get(m.URLPath("mod")).ExpectStatus(t, 200)
	if harness.ReadCache(filepath.Join(wd, "modproxy-cache"), rel) == nil {
		t.Errorf("default cache dir ./modproxy-cache lacks %s", rel)
	}
}

// Every documented key is accepted in the config file, with Go-style durations.
func TestConfigFileAcceptsEveryKey(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	conf := writeConfig(t, fmt.Sprintf(`listen = "127.0.0.1:0"
cache_dir = %q
upstream = %q
sumdb = "off"
list_ttl = "500ms"
negative_ttl = "2s"
upstream_timeout = "1m"
threads = 2
fetch_workers = 4
log_level = "debug"
`, t.TempDir(), up.URL))
	p := harness.Start(t, harness.Options{Bare: true, Args: []string{"--config", conf}})
	p.Get("/example.com/hello/@v/list").ExpectStatus(t, 200)
	if code := p.Stop(); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}

// Every flag, and every MODPROXY_* variable, is accepted with valid values.
func TestEveryFlagAndEnvVariableIsAccepted(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	settings := [][2]string{
		{"listen", "127.0.0.1:0"}, {"cache-dir", t.TempDir()}, {"upstream", up.URL + "," + up.URL},
		{"sumdb", f.Manifest.Sumdb.VKey}, {"list-ttl", "1m"}, {"negative-ttl", "500ms"},
		{"upstream-timeout", "2s"}, {"threads", "2"}, {"fetch-workers", "4"}, {"log-level", "debug"},
	}
	var args, env []string
	for _, kv := range settings {
		args = append(args, "--"+kv[0], kv[1])
		env = append(env, "MODPROXY_"+strings.ToUpper(strings.ReplaceAll(kv[0], "-", "_"))+"="+kv[1])
	}
	for name, o := range map[string]harness.Options{
		"flags": {Bare: true, Args: args},
		"env":   {Bare: true, Env: env},
	} {
		t.Run(name, func(t *testing.T) {
			p := harness.Start(t, o)
			p.Get("/example.com/hello/@v/list").ExpectStatus(t, 200)
			if code := p.Stop(); code != 0 {
				t.Errorf("exit code %d after SIGTERM", code)
			}
		})
	}
}
