package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// server is a running HTTP server under test (nginx or modproxy).
type server struct {
	kind    string // "nginx" or "modproxy"
	addr    string // 127.0.0.1:PORT
	proc    *child
	started time.Time // just before exec
	ready   time.Time // first 200 on the readiness path
}

func (s *server) url() string { return "http://" + s.addr }

// pids are the processes whose memory counts: nginx's master and worker,
// modproxy's one process.
func (s *server) pids() []int {
	if s.kind == "nginx" {
		return descendants(s.proc.pid())
	}
	return []int{s.proc.pid()}
}

func (s *server) stop() {
	if s != nil && s.proc != nil {
		s.proc.stop()
	}
}

// startWithPort starts a server on a free port, retrying when another
// process took the port between the probe and the bind.
func startWithPort(start func(port int) (*server, error)) (*server, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var port int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		var s *server
		if s, err = start(port); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// modproxyOptions configure one `modproxy serve`.
type modproxyOptions struct {
	name      string // for log file names
	cacheDir  string
	upstream  string // --upstream; "off" for pure cache hits
	readyPath string // a path that answers 200 once serving
	poll      time.Duration
	sumdb     string // --sumdb; "" means off
}

// startModproxy runs `modproxy serve` with one event loop on the server core.
// The JSON access log (stdout) stays on and goes to /dev/null, so its cost
// is counted; stderr goes to <work>/<name>.stderr.log.
func startModproxy(c *config, o modproxyOptions) (*server, error) {
	if o.poll == 0 {
		o.poll = 10 * time.Millisecond
	}
	if o.sumdb == "" {
		o.sumdb = "off"
	}
	return startWithPort(func(port int) (*server, error) {
		stderr, err := os.OpenFile(filepath.Join(c.work, o.name+".stderr.log"),
			os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer stderr.Close()
		s := &server{kind: "modproxy", addr: "127.0.0.1:" + strconv.Itoa(port)}
		s.started = time.Now()
		args := []string{c.modproxy, "serve", "--listen", s.addr, "--cache-dir", o.cacheDir,
			"--upstream", o.upstream, "--threads", "1", "--sumdb", o.sumdb}
		if c.listTTL != "" {
			args = append(args, "--list-ttl", c.listTTL)
		}
		s.proc, err = startChild(o.name, c.serverCPU, nil, stderr, args...)
		if err != nil {
			return nil, err
		}
		if s.ready, err = waitReady(s.proc, s.addr, o.readyPath, o.poll, 30*time.Second); err != nil {
			s.stop()
			return nil, fmt.Errorf("%v (see %s)", err, stderr.Name())
		}
		return s, nil
	})
}

// nginxOptions configure one nginx.
type nginxOptions struct {
	name      string // config directory <work>/<name>
	root      string // the GOPROXY tree
	accessLog string // "" for access_log off
	readyPath string
	poll      time.Duration
	// connections the step will open (load + idle), to leave them room
	// under RLIMIT_NOFILE next to open_file_cache's descriptors.
	connections int
}

// openFileCacheMax is nginx's open_file_cache max: 200,000 as tuned, but
// each cached file holds a descriptor, so where RLIMIT_NOFILE is low (a
// container where even root cannot raise it) it must leave room for the
// connections, or nginx answers 500 (EMFILE) once enough files are cached.
func openFileCacheMax(nofile uint64, connections int) int {
	const tuned, reserve = 200000, 500
	room := int(nofile) - connections - reserve
	if room >= tuned {
		return tuned
	}
	if room < 1000 {
		return 1000
	}
	return room
}

// startNginx runs nginx tuned for static files (sendfile, open_file_cache,
// no access log) with one worker on the server core.
func startNginx(c *config, o nginxOptions) (*server, error) {
	if o.poll == 0 {
		o.poll = 10 * time.Millisecond
	}
	dir := filepath.Join(c.work, o.name)
	if err := os.MkdirAll(filepath.Join(dir, "temp"), 0o755); err != nil {
		return nil, err
	}
	return startWithPort(func(port int) (*server, error) {
		s := &server{kind: "nginx", addr: "127.0.0.1:" + strconv.Itoa(port)}
		conf := filepath.Join(dir, "nginx.conf")
		cacheMax := openFileCacheMax(c.nofile, o.connections)
		if cacheMax < 200000 {
			c.fileCacheMax[o.name] = cacheMax
		}
		if err := os.WriteFile(conf, []byte(nginxConfig(dir, s.addr, c.nofile, cacheMax, o)), 0o644); err != nil {
			return nil, err
		}
		stderr, err := os.OpenFile(filepath.Join(dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer stderr.Close()
		s.started = time.Now()
		s.proc, err = startChild(o.name, c.serverCPU, nil, stderr, c.nginx,
			"-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
		if err != nil {
			return nil, err
		}
		if s.ready, err = waitReady(s.proc, s.addr, o.readyPath, o.poll, 30*time.Second); err != nil {
			s.stop()
			return nil, fmt.Errorf("%v (see %s/error.log)", err, dir)
		}
		return s, nil
	})
}

func nginxConfig(dir, addr string, nofile uint64, cacheMax int, o nginxOptions) string {
	accessLog := "access_log off;"
	if o.accessLog != "" {
		accessLog = "access_log " + o.accessLog + ";"
	}
	temp := filepath.Join(dir, "temp")
	return fmt.Sprintf(`# Generated by tests/perf: nginx as a tuned static-file baseline.
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile %[6]d;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events {
    worker_connections 30000;
    use epoll;
    multi_accept on;
}
http {
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=%[7]d inactive=300s;
    open_file_cache_valid 300s;
    open_file_cache_errors on;
    %[2]s
    keepalive_timeout 300s;
    keepalive_requests 10000000;
    client_body_temp_path %[3]s/body;
    proxy_temp_path %[3]s/proxy;
    fastcgi_temp_path %[3]s/fastcgi;
    uwsgi_temp_path %[3]s/uwsgi;
    scgi_temp_path %[3]s/scgi;
    types {
        application/json info;
        text/plain mod;
        application/zip zip;
    }
    default_type text/plain;
    server {
        listen %[4]s;
        root %[5]s;
    }
}
`, dir, accessLog, temp, addr, o.root, nofile, cacheMax)
}
