package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// percentiles is the latency summary of `modproxy bench --json`, in ms.
type percentiles struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// benchResult is one `modproxy bench --json` run.
type benchResult struct {
	Tool             string           `json:"tool"`
	URL              string           `json:"url"`
	Concurrency      int              `json:"concurrency"`
	IdleConnections  int              `json:"idle_connections"`
	IdleOpenAtEnd    int              `json:"idle_open_at_end"`
	IdleEstablished  int              `json:"idle_established"`
	Unanswered       int64            `json:"unanswered"` // --once: paths never answered
	DurationS        float64          `json:"duration_s"`
	Requests         int64            `json:"requests"`
	Status           map[string]int64 `json:"status"`
	TransportErrors  map[string]int64 `json:"transport_errors"`
	RequestsPerS     float64          `json:"requests_per_s"`
	Bytes            int64            `json:"bytes"`
	BytesPerS        float64          `json:"bytes_per_s"`
	LatencyMs        percentiles      `json:"latency_ms"`
	TTFBMs           percentiles      `json:"ttfb_ms"`
	ClientCPUPercent float64          `json:"client_cpu_percent"`
	// CPU spent polling for responses instead of sleeping (not in ClientCPUPercent).
	ClientBusyPollPercent float64 `json:"client_busy_poll_percent"`
}

// failures counts responses that were not 200, transport errors and (with
// --once) paths left unanswered.
func (r *benchResult) failures() int64 {
	n := r.Unanswered
	for code, count := range r.Status {
		if code != "200" {
			n += count
		}
	}
	for _, count := range r.TransportErrors {
		n += count
	}
	return n
}

// benchRun describes one load-generator run.
type benchRun struct {
	url         string
	paths       string // --paths file
	concurrency int
	duration    time.Duration // ignored with once
	once        bool
	idle        int
}

// runBench runs `modproxy bench` pinned to the client core and returns its
// JSON summary. A run where any request failed is an error: a benchmark of
// error pages measures nothing.
func runBench(c *config, r benchRun) (*benchResult, error) {
	args := []string{c.modproxy, "bench", r.url, "--concurrency", strconv.Itoa(r.concurrency),
		"--paths", r.paths, "--json", "--quiet", "--timeout", "30s"}
	if r.once {
		args = append(args, "--once")
	} else {
		args = append(args, "--duration", r.duration.String())
	}
	if r.idle > 0 {
		args = append(args, "--idle", strconv.Itoa(r.idle))
	}
	if c.clientCPU != "" {
		args = append([]string{"taskset", "-c", c.clientCPU}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the driver
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, lastLine(stderr.String()))
	}
	var res benchResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("%s: bad JSON (%v): %.200s", strings.Join(args, " "), err, stdout.String())
	}
	if res.Requests == 0 {
		return nil, fmt.Errorf("%s: no requests completed", strings.Join(args, " "))
	}
	if n := res.failures(); n > 0 {
		return &res, fmt.Errorf("%s: %d of %d requests failed (status %v, transport errors %v)",
			r.url, n, res.Requests, res.Status, res.TransportErrors)
	}
	return &res, nil
}

var wrkRPS = regexp.MustCompile(`Requests/sec:\s*([0-9.]+)`)

// runWrk runs wrk (one thread, c connections) on one URL and returns requests/s.
func runWrk(c *config, url string, connections int, d time.Duration) (float64, error) {
	args := []string{c.wrk, "-t1", "-c" + strconv.Itoa(connections), "-d" + wrkDuration(d), url}
	if c.clientCPU != "" {
		args = append([]string{"taskset", "-c", c.clientCPU}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, lastLine(string(out)))
	}
	if strings.Contains(string(out), "Non-2xx") || strings.Contains(string(out), "Socket errors") {
		return 0, fmt.Errorf("wrk on %s saw errors:\n%s", url, out)
	}
	m := wrkRPS.FindStringSubmatch(string(out))
	if m == nil {
		return 0, fmt.Errorf("wrk: no Requests/sec in:\n%s", out)
	}
	return strconv.ParseFloat(m[1], 64)
}

// wrkDuration formats d in whole seconds (wrk takes "10s"), at least 1s.
func wrkDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s) + "s"
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
