package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// pair holds one number per round for each server.
type pair struct {
	Nginx    series `json:"nginx"`
	Modproxy series `json:"modproxy"`
}

func (p *pair) add(kind string, v float64) {
	if kind == "nginx" {
		p.Nginx = append(p.Nginx, v)
	} else {
		p.Modproxy = append(p.Modproxy, v)
	}
}

func (p *pair) measured() bool { return len(p.Nginx) > 0 && len(p.Modproxy) > 0 }

// report is everything measured; results.json is this struct.
type report struct {
	fileCacheMax map[string]int // the config's map, copied into FileCacheMax by write
	Machine      machine
	Settings     settings
	Dataset      datasetReport
	Small        struct{ RPS, P99 pair }     // req/s; p99 in ms
	Zip          struct{ BytesPerS pair }    // bytes/s
	RSS          struct{ Small, Large pair } // peak MB, 20 KB zips and 5 MB zips
	Idle         struct {
		Connections int
		RSS, P99    pair // peak MB; ms
		Notes       []string
	}
	Miss struct {
		UpstreamP50, UpstreamP99 series // ms, straight from the upstream nginx
		ModproxyP50, ModproxyP99 series // ms, through modproxy with an empty cache
		Fetches                  []int  // upstream requests for the 100 versions, per round
		OtherUpstream            []int  // other upstream requests during that run
		MetricFetches            []float64
		Notes                    []string
	}
	Startup struct {
		Versions int
		Seconds  pair
	}
	Verify verifyReport // what verification adds to a miss (measure_verify.go)
	Wrk    struct {
		Path       string
		Skipped    string
		Wrk, Bench pair // req/s on one fixed URL
	}
	// nginx configs whose open_file_cache max was lowered (RLIMIT_NOFILE).
	FileCacheMax   map[string]int
	Failures       []string
	Elapsed        time.Duration
	ElapsedSeconds float64
	Rows           []row
	Raw            []rawRun
}

type machine struct {
	CPUs    int
	Kernel  string
	CPU     string
	Version string // go version of the driver
}

type settings struct {
	Smoke       bool
	Rounds      int
	DurationS   float64
	Concurrency int
	Idle        int
	MissPaths   int
	ServerCPU   string
	ClientCPU   string
	ListTTL     string
	Modproxy    string
	NoFile      uint64
}

type datasetReport struct {
	Versions        int
	SmallPaths      int
	Zips            int
	ZipMinBytes     int64
	ZipMaxBytes     int64
	StartupVersions int
	GenSeconds      float64 // 0: reused from an earlier run
	StartupGenSec   float64
}

// rawRun is one load-generator run, as `modproxy bench --json` printed it.
type rawRun struct {
	Step   string
	Server string
	Round  int
	Result *benchResult
}

func newReport(c *config) *report {
	return &report{
		fileCacheMax: c.fileCacheMax,
		Machine:      machineInfo(),
		Settings: settings{Smoke: c.smoke, Rounds: c.rounds, DurationS: c.duration.Seconds(),
			Concurrency: c.concurrent, Idle: c.idle, MissPaths: c.missPaths, ServerCPU: c.serverCPU,
			ClientCPU: c.clientCPU, ListTTL: c.listTTL, Modproxy: c.modproxy, NoFile: c.nofile},
	}
}

func (r *report) addRaw(step, kind string, round int, res *benchResult) {
	r.Raw = append(r.Raw, rawRun{Step: step, Server: kind, Round: round, Result: res})
}

// clientCPU returns the load generator's CPU use per step, "min-max %",
// without the time it spent busy-polling for responses.
func (r *report) clientCPU() []string {
	bySteps := map[string]series{}
	for _, run := range r.Raw {
		bySteps[run.Step] = append(bySteps[run.Step], run.Result.ClientCPUPercent)
	}
	var steps []string
	for s := range bySteps {
		steps = append(steps, s)
	}
	sort.Strings(steps)
	var out []string
	for _, s := range steps {
		out = append(out, s+" "+bySteps[s].spread("%.0f")+"%")
	}
	return out
}

// write prints the table on w and stores results.md and results.json in dir.
func (r *report) write(dir string, w *os.File) error {
	r.ElapsedSeconds = r.Elapsed.Seconds()
	r.FileCacheMax = r.fileCacheMax
	r.Rows = r.rows()
	text := r.markdown()
	if _, err := w.WriteString(text); err != nil {
		return err
	}
	md := "# modproxy vs nginx (tests/perf)\n\n" + text + "\n" + r.details()
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644)
}

func machineInfo() machine {
	m := machine{CPUs: runtime.NumCPU(), Version: runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
