package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a server process started by the driver, in its own process group
// so that stopping it also stops what it forked (nginx's worker).
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

var (
	childrenMu sync.Mutex
	children   = map[*child]bool{}
)

// startChild runs argv with stdout and stderr going to the given writers
// (nil: /dev/null), pinned to `cpus` with taskset when cpus is not empty.
func startChild(name, cpus string, stdout, stderr io.Writer, argv ...string) (*child, error) {
	if cpus != "" {
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	childrenMu.Lock()
	children[c] = true
	childrenMu.Unlock()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after 10 s.
func (c *child) stop() {
	childrenMu.Lock()
	delete(children, c)
	childrenMu.Unlock()
	if c.exited() {
		return
	}
	syscall.Kill(-c.pid(), syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		progress("%s did not stop within 10s: killing it", c.name)
		syscall.Kill(-c.pid(), syscall.SIGKILL)
		<-c.done
	}
	// Anything left in the group (an orphaned nginx worker) goes too.
	syscall.Kill(-c.pid(), syscall.SIGKILL)
}

func stopAllChildren() {
	childrenMu.Lock()
	all := make([]*child, 0, len(children))
	for c := range children {
		all = append(all, c)
	}
	childrenMu.Unlock()
	for _, c := range all {
		c.stop()
	}
}

// raiseFileLimit lifts RLIMIT_NOFILE to 65536 (soft and hard; root may raise
// the hard limit) so that children inherit room for 10,000+ connections.
// Where even root may not (a container), it takes the hard limit. It returns
// the soft limit in force.
func raiseFileLimit() uint64 {
	want := syscall.Rlimit{Cur: 65536, Max: 65536}
	err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want)
	if err == nil {
		return want.Cur
	}
	var have syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &have)
	if have.Max > want.Max {
		have.Max = want.Max
	}
	have.Cur = have.Max
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &have)
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &have)
	progress("RLIMIT_NOFILE 65536: %v; using %d", err, have.Cur)
	return have.Cur
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// rawGet sends one HTTP/1.1 GET on a fresh connection and returns the status
// code. It avoids net/http so that polling costs microseconds.
func rawGet(addr, path string, timeout time.Duration) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return 0, err
	}
	var proto string
	var status int
	if _, err := fmt.Sscanf(line, "%s %d", &proto, &status); err != nil {
		return 0, fmt.Errorf("bad status line %q", strings.TrimSpace(line))
	}
	return status, nil
}

// waitReady polls GET path every `every` until it answers 200; it fails when
// the process exits or the deadline passes.
func waitReady(c *child, addr, path string, every, limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	for {
		status, err := rawGet(addr, path, time.Second)
		if err == nil && status == 200 {
			return time.Now(), nil
		}
		if c.exited() {
			return time.Time{}, fmt.Errorf("%s exited before serving %s (%v)", c.name, path, c.err)
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("status %d", status)
			}
			return time.Time{}, fmt.Errorf("%s not serving %s within %v: %v", c.name, path, limit, err)
		}
		time.Sleep(every)
	}
}

// descendants returns pid and every process whose parent chain leads to it
// (nginx: the master and its worker).
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return []int{pid}
	}
	parent := map[int]int{}
	for _, e := range entries {
		var p int
		if _, err := fmt.Sscanf(e.Name(), "%d", &p); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may contain spaces; parse after ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		var state string
		var ppid int
		if _, err := fmt.Sscanf(s[i+1:], " %s %d", &state, &ppid); err == nil {
			parent[p] = ppid
		}
	}
	out := []int{pid}
	for p, pp := range parent {
		for q := pp; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
