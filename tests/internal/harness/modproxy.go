package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary is the modproxy under test: $MODPROXY_BIN (ctest sets it), else
// <repo>/build/modproxy. A missing binary fails the test: a black-box suite
// that silently skips would pass on an empty tree.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("MODPROXY_BIN")
	if bin == "" {
		bin = filepath.Join(TestsDir(), "..", "build", "modproxy")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("modproxy binary: %v (set MODPROXY_BIN)", err)
	}
	return bin
}

// Options configure one modproxy process.
type Options struct {
	// Upstream is the --upstream value; empty means no flag.
	Upstream string
	// Sumdb is the --sumdb value; empty means "off", so no test reaches the internet.
	Sumdb string
	// CacheDir is the --cache-dir value; empty means a fresh temp dir.
	CacheDir string
	// Args are extra flags after "serve".
	Args []string
	// Env are extra NAME=VALUE variables.
	Env []string
	// Bare passes only Args (no --listen, --cache-dir, --sumdb, --upstream
	// defaults), for the configuration tests. Args must then make the server
	// listen on port 0 somehow.
	Bare bool
	// Dir is the working directory (default: a temp dir).
	Dir string
	// CAFile is the PEM bundle the Client trusts when the proxy serves
	// HTTPS (its "listening on" line says "(https)"); empty: the system roots.
	CAFile string
	// ClientCert and ClientKey, when set, are the certificate the Client
	// presents to an HTTPS proxy.
	ClientCert, ClientKey string
}

// Proxy is a running modproxy.
type Proxy struct {
	t        testing.TB
	cmd      *exec.Cmd
	Addr     string // 127.0.0.1:PORT
	URL      string // http://127.0.0.1:PORT, or https:// when it serves TLS
	TLS      bool   // it logged "listening on ... (https)"
	CacheDir string
	Stdout   *Buffer // access log
	Stderr   *Buffer // spdlog
	exited   chan struct{}
	exitErr  error
	client   *Client
}

// listeningRE matches the whole start-up line (so that a line still being
// written is not taken for a shorter port number).
var listeningRE = regexp.MustCompile(`listening on (\S+?):(\d+)\b([^\n]*)\n`)

// httpsRE tells the TLS listener's line: "(https)" right after the
// address, or at the end of the line.
var httpsRE = regexp.MustCompile(`^ \(https\)|\(https\)\s*$`)

// Start runs `modproxy serve` and waits until it logs its port.
func Start(t testing.TB, o Options) *Proxy {
	t.Helper()
	p, err := StartErr(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// StartErr is Start returning the start-up error instead of failing the test.
func StartErr(t testing.TB, o Options) (*Proxy, error) {
	t.Helper()
	args := []string{"serve"}
	cacheDir := o.CacheDir
	if !o.Bare {
		if cacheDir == "" {
			cacheDir = t.TempDir()
		}
		sumdb := o.Sumdb
		if sumdb == "" {
			sumdb = "off"
		}
		args = append(args, "--listen", "127.0.0.1:0", "--cache-dir", cacheDir, "--sumdb", sumdb)
		if o.Upstream != "" {
			args = append(args, "--upstream", o.Upstream)
		}
	}
	args = append(args, o.Args...)
	p := &Proxy{t: t, CacheDir: cacheDir, Stdout: &Buffer{}, Stderr: &Buffer{}, exited: make(chan struct{})}
	p.cmd = Command(Binary(t), args...)
	p.cmd.Env = append(ChildEnv(), o.Env...)
	p.cmd.Dir = o.Dir
	if p.cmd.Dir == "" {
		p.cmd.Dir = t.TempDir()
	}
	p.cmd.Stdout, p.cmd.Stderr = p.Stdout, p.Stderr
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.exitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.cleanup)

	deadline := time.Now().Add(15 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(p.Stderr.String()); m != nil {
			p.Addr = "127.0.0.1:" + m[2]
			p.URL = "http://" + p.Addr
			if httpsRE.MatchString(m[3]) {
				p.TLS = true
				p.URL = "https://" + p.Addr
				cfg, err := TLSConfig(o.CAFile, o.ClientCert, o.ClientKey)
				if err != nil {
					return nil, err
				}
				p.client = NewTLSClient(t, p.URL, cfg)
			} else {
				p.client = NewClient(t, p.URL)
			}
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("modproxy %s exited before listening (%v)\nstderr:\n%s",
				strings.Join(args, " "), p.exitErr, p.Stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("modproxy %s: no %q line within 15s\nstderr:\n%s",
				strings.Join(args, " "), "listening on", p.Stderr.String())
		}
	}
}

// Command builds an exec.Cmd for a child that must not outlive the test binary,
// even when `go test -timeout` kills it without running cleanups.
func Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// ChildEnv is the environment for modproxy: ours minus anything that would
// configure it behind our back (MODPROXY_*) or route its loopback upstream
// requests through a proxy (libcurl honours *_proxy).
func ChildEnv() []string {
	return filteredEnv(os.Environ(), "MODPROXY_*", "http_proxy", "https_proxy", "HTTP_PROXY",
		"HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")
}

// Client is an HTTP client for this proxy.
func (p *Proxy) Client() *Client { return p.client }

// Get is p.Client().Get.
func (p *Proxy) Get(path string, header ...string) *Response {
	p.t.Helper()
	return p.client.Get(path, header...)
}

// Signal sends sig to the process.
func (p *Proxy) Signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// Wait waits for the process to exit and returns its exit code (-1 if killed by a signal).
func (p *Proxy) Wait(timeout time.Duration) (int, error) {
	select {
	case <-p.exited:
	case <-time.After(timeout):
		return 0, fmt.Errorf("modproxy still running after %v", timeout)
	}
	var ee *exec.ExitError
	if p.exitErr == nil {
		return 0, nil
	} else if errors.As(p.exitErr, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, p.exitErr
}

// Exited reports whether the process has exited.
func (p *Proxy) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proxy) Kill() {
	p.t.Helper()
	p.cmd.Process.Kill()
	if _, err := p.Wait(10 * time.Second); err != nil {
		p.t.Fatal(err)
	}
}

// Stop sends SIGTERM and returns the exit code.
func (p *Proxy) Stop() int {
	p.t.Helper()
	p.Signal(syscall.SIGTERM)
	code, err := p.Wait(15 * time.Second)
	if err != nil {
		p.t.Fatal(err)
	}
	return code
}

func (p *Proxy) cleanup() {
	if !p.Exited() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if _, err := p.Wait(10 * time.Second); err != nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	}
	if p.t.Failed() {
		p.t.Logf("modproxy %s\n--- stderr (tail) ---\n%s\n--- stdout (tail) ---\n%s",
			strings.Join(p.cmd.Args[1:], " "), tail(p.Stderr.String(), 6000), tail(p.Stdout.String(), 3000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// Buffer is a goroutine-safe bytes.Buffer for a child's output.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns the complete (newline-terminated) lines written so far.
func (b *Buffer) Lines() []string {
	s := b.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// PID is the process id of the running modproxy.
func (p *Proxy) PID() int { return p.cmd.Process.Pid }

// PeakRSS is the process's peak resident set size so far (VmHWM in
// /proc/<pid>/status), in bytes.
func (p *Proxy) PeakRSS(t testing.TB) int64 {
	t.Helper()
	n, err := procStatusBytes(p.PID(), "VmHWM")
	if err != nil {
		t.Fatalf("peak RSS of modproxy: %v", err)
	}
	return n
}

// procStatusBytes reads a "Name:   N kB" field of /proc/<pid>/status.
func procStatusBytes(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, field+":") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, field+":"))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("unexpected %q", line)
		}
		var kb int64
		if _, err := fmt.Sscan(f[0], &kb); err != nil {
			return 0, fmt.Errorf("unexpected %q", line)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// ToolResult is what a one-shot modproxy subcommand did.
type ToolResult struct {
	Args           []string
	Stdout, Stderr string
	Code           int   // exit code; -1 if killed by a signal
	PeakRSS        int64 // bytes (VmHWM sampled every 2 ms while it ran), 0 if never sampled
}

// String summarises the run for failure messages.
func (r ToolResult) String() string {
	return fmt.Sprintf("modproxy %s: exit %d\nstdout:\n%s\nstderr:\n%s",
		strings.Join(r.Args, " "), r.Code, tail(r.Stdout, 4000), tail(r.Stderr, 4000))
}

// RunTool runs `modproxy args...` to completion (at most timeout) in dir
// ("" for a temp dir) and returns its output and exit code; it fails the
// test only when the binary cannot run or does not finish in time.
func RunTool(t testing.TB, timeout time.Duration, dir string, args ...string) ToolResult {
	t.Helper()
	return RunToolEnv(t, timeout, dir, nil, args...)
}

// RunToolEnv is RunTool with extra NAME=VALUE variables (MODPROXY_* included).
func RunToolEnv(t testing.TB, timeout time.Duration, dir string, env []string, args ...string) ToolResult {
	t.Helper()
	cmd := Command(Binary(t), args...)
	cmd.Env = append(ChildEnv(), env...)
	cmd.Dir = dir
	if cmd.Dir == "" {
		cmd.Dir = t.TempDir()
	}
	var o, e Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatalf("modproxy %s: %v", strings.Join(args, " "), err)
	}
	// Peak RSS: VmHWM of the process's own memory map, sampled until it
	// exits (ru_maxrss would not do: it includes the test binary's RSS,
	// which the child shares until exec). VmHWM only grows, so at most the
	// last couple of milliseconds before exit can be missed.
	var peak int64
	var peakMu sync.Mutex
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if n, err := procStatusBytes(cmd.Process.Pid, "VmHWM"); err == nil {
				peakMu.Lock()
				if n > peak {
					peak = n
				}
				peakMu.Unlock()
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		close(stopSampling)
		<-sampled
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("modproxy %s: still running after %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), timeout, tail(o.String(), 4000), tail(e.String(), 4000))
	}
	r := ToolResult{Args: args, Stdout: o.String(), Stderr: e.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		t.Fatalf("modproxy %s: %v", strings.Join(args, " "), err)
	}
	peakMu.Lock()
	r.PeakRSS = peak
	peakMu.Unlock()
	return r
}
