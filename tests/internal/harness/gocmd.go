package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// GoEnv is an isolated environment for the real go command: its own GOPATH,
// module cache and HOME, the suite's build cache, and nothing from the
// caller's go env that could reach the network.
type GoEnv struct {
	Root    string // holds gopath/ and home/
	Proxy   string // GOPROXY
	SumDB   string // GOSUMDB ("off" unless a test is about the checksum database)
	ModPath string // GOMODCACHE
	// Extra are NAME=VALUE variables added last (they win), such as
	// GONOSUMDB for a private module.
	Extra []string
}

// NewGoEnv makes a fresh GOPATH/GOMODCACHE under a temp dir.
func NewGoEnv(t testing.TB, proxy, sumdb string) *GoEnv {
	t.Helper()
	root := t.TempDir()
	e := &GoEnv{Root: root, Proxy: proxy, SumDB: sumdb, ModPath: filepath.Join(root, "gopath", "pkg", "mod")}
	os.MkdirAll(filepath.Join(root, "home"), 0o755)
	return e
}

// Environ is the full environment for a go child process.
func (e *GoEnv) Environ() []string {
	env := filteredEnv(ChildEnv(), "GO*", "CGO_ENABLED", "HOME")
	env = append(env,
		"HOME="+filepath.Join(e.Root, "home"),
		"GOENV=off", // ignore ~/.config/go/env
		"GO111MODULE=on",
		"GOTOOLCHAIN=local",
		"GOPATH="+filepath.Join(e.Root, "gopath"),
		"GOMODCACHE="+e.ModPath,
		"GOPROXY="+e.Proxy,
		"GOSUMDB="+e.SumDB,
		"GONOSUMDB=", "GONOPROXY=", "GOPRIVATE=", "GOINSECURE=", "GOWORK=off",
		// -modcacherw: t.TempDir can delete the module cache afterwards.
		"GOFLAGS=-mod=mod -modcacherw",
		"CGO_ENABLED=0",
	)
	if c := os.Getenv("GOCACHE"); c != "" {
		env = append(env, "GOCACHE="+c)
	} else if c, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
		env = append(env, "GOCACHE="+strings.TrimSpace(string(c)))
	}
	return append(env, e.Extra...)
}

// Run runs `go args...` in dir and returns stdout; it fails the test on a
// non-zero exit, showing stderr.
func (e *GoEnv) Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, errOut, err := e.RunErr(dir, args...)
	if err != nil {
		t.Fatalf("go %s (GOPROXY=%s GOSUMDB=%s): %v\nstderr:\n%s\nstdout:\n%s",
			strings.Join(args, " "), e.Proxy, e.SumDB, err, errOut, out)
	}
	return out
}

// RunErr runs `go args...` in dir with a 3 minute limit.
func (e *GoEnv) RunErr(dir string, args ...string) (stdout, stderr string, err error) {
	return RunGo(dir, e.Environ(), args...)
}

// RunGo runs `go args...` in dir with exactly the environment env, killing
// it after 3 minutes; err is the exit error (or the time-out), stderr is
// not folded into it.
func RunGo(dir string, env []string, args ...string) (stdout, stderr string, err error) {
	cmd := Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	var o, s bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &s
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		<-done
		err = fmt.Errorf("timed out after 3m")
	}
	return o.String(), s.String(), err
}
