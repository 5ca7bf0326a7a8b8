// Command perf compares modproxy with nginx on the targets of the speed
// issue (cached hits, zip downloads, idle connections, misses, start-up) and
// prints one table. `make bench` runs it; the perf_smoke ctest runs it with
// -smoke so that it keeps working.
//
//	cd tests && go run ./perf -modproxy ../build-release/modproxy -work ../build-release/perf
//
// Servers run on core 1 (nginx with one worker, modproxy with one event
// loop), the load generator (`modproxy bench`, and wrk once) on core 0. The
// exit code is 0 when every row was measured, whether or not its goal was met.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// config holds the command line.
type config struct {
	modproxy   string
	work       string
	nginx      string
	wrk        string
	rounds     int
	duration   time.Duration
	smoke      bool
	skip       map[string]bool
	steps      map[string]bool // -steps: only these (empty: all)
	xmodGOPATH string          // GOPATH holding golang.org/x/mod, for the sumdb fixture tool
	verifyMods int             // .mod misses per phase of the verify step
	listTTL    string
	serverCPU  string
	clientCPU  string
	concurrent int
	idle       int
	missPaths  int
	nofile     uint64 // RLIMIT_NOFILE the children inherit
	// nginx configs whose open_file_cache max had to be lowered, by name.
	fileCacheMax map[string]int
}

func parseFlags() *config {
	c := &config{fileCacheMax: map[string]int{}}
	flag.StringVar(&c.modproxy, "modproxy", "../build-release/modproxy", "the modproxy binary (server and load generator)")
	flag.StringVar(&c.work, "work", "../build-release/perf", "work directory: data sets, configs, logs, results")
	flag.StringVar(&c.nginx, "nginx", "/usr/sbin/nginx", "the nginx binary")
	flag.StringVar(&c.wrk, "wrk", "wrk", "the wrk binary for the cross-check row (skipped when missing)")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds per measurement (medians are reported)")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "length of each load-generator run")
	flag.BoolVar(&c.smoke, "smoke", false, "tiny data set, 1 round, 1s runs: checks that everything still runs")
	skip := flag.String("skip", "", "comma-separated steps to skip: hits,rss,idle,miss,startup,verify,wrk")
	steps := flag.String("steps", "", "comma-separated steps to run, the others are skipped (default all): hits,rss,idle,miss,startup,verify (wrk runs with hits)")
	flag.StringVar(&c.xmodGOPATH, "xmod-gopath", envOr("MODPROXY_TEST_XMOD_GOPATH", "/usr/share/gocode"),
		"GOPATH with golang.org/x/mod, to build tests/fixtures/sumdb for the verify step")
	flag.IntVar(&c.verifyMods, "verify-mods", 300, "uncached .mod paths per phase of the verify step")
	flag.StringVar(&c.listTTL, "list-ttl", "", "modproxy --list-ttl (default: not passed; with --upstream off lists are never refreshed)")
	flag.StringVar(&c.serverCPU, "server-cpu", "1", "taskset CPU list of the servers")
	flag.StringVar(&c.clientCPU, "client-cpu", "0", "taskset CPU list of the load generator")
	flag.IntVar(&c.concurrent, "concurrency", 100, "connections of the hit measurements")
	flag.IntVar(&c.idle, "idle", 10000, "idle keep-alive connections of the idle step")
	flag.IntVar(&c.missPaths, "miss-paths", 200, "uncached .info paths per TTFB run")
	flag.Parse()
	c.skip = splitSet(*skip)
	c.steps = splitSet(*steps)
	if c.smoke {
		c.rounds = 1
		c.duration = time.Second
		c.idle = 1000
		c.missPaths = 20
		c.verifyMods = 20
	}
	return c
}

func main() {
	os.Exit(run(parseFlags()))
}

func run(c *config) (code int) {
	var err error
	if c.work, err = filepath.Abs(c.work); err == nil {
		c.modproxy, err = filepath.Abs(c.modproxy)
	}
	if err == nil {
		err = os.MkdirAll(c.work, 0o755)
	}
	if err != nil {
		progress("perf: %v", err)
		return 1
	}
	if _, err := os.Stat(c.modproxy); err != nil {
		progress("perf: modproxy binary: %v", err)
		return 1
	}
	c.nofile = raiseFileLimit()
	if runtime.NumCPU() < 2 {
		progress("perf: fewer than 2 CPUs: servers and load generator are not pinned")
		c.serverCPU, c.clientCPU = "", ""
	}

	// Children die with us: on Ctrl-C or SIGTERM, and on a panic.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-signals
		progress("perf: %v: stopping servers", s)
		stopAllChildren()
		os.Exit(130)
	}()
	defer func() {
		stopAllChildren()
		if r := recover(); r != nil {
			panic(r)
		}
	}()

	start := time.Now()
	b := newBench(c)
	b.runAll()
	b.report.Elapsed = time.Since(start)
	if err := b.report.write(c.work, os.Stdout); err != nil {
		progress("perf: %v", err)
		return 1
	}
	if len(b.report.Failures) > 0 {
		progress("perf: %d step(s) could not be measured", len(b.report.Failures))
		return 1
	}
	return 0
}

// progress prints one line on stderr.
func progress(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]interface{}{time.Now().Format("15:04:05")}, args...)...)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// splitSet turns "a,b" into {a, b}.
func splitSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out[f] = true
		}
	}
	return out
}
