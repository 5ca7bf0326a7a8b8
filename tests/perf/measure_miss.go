package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The concurrency check: this many requests, spread over this many versions.
const (
	missConcurrentRequests = 1000
	missConcurrentVersions = 100
)

// measureMisses: (d) a second nginx plays the upstream (its access log on,
// to count what reaches it); fresh modproxys with empty caches fetch from it.
// Every round uses .info paths no earlier run asked for.
func (b *bench) measureMisses() error {
	upLog := filepath.Join(b.c.work, "upstream-access.log")
	if err := os.RemoveAll(upLog); err != nil {
		return err
	}
	upstream, err := startNginx(b.c, nginxOptions{name: "nginx-upstream", root: b.hits.Tree,
		accessLog: upLog, readyPath: b.hits.Infos[0], connections: missConcurrentVersions})
	if err != nil {
		return err
	}
	defer upstream.stop()
	paths := append([]string(nil), b.hits.Infos[1:]...)
	rand.New(rand.NewSource(42)).Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	need := b.c.rounds * (2*b.c.missPaths + missConcurrentVersions)
	if len(paths) < need {
		return fmt.Errorf("need %d uncached .info paths, the data set has %d", need, len(paths))
	}
	take := func(n int) []string { p := paths[:n]; paths = paths[n:]; return p }
	r := &b.report.Miss
	for round := 0; round < b.c.rounds; round++ {
		direct, via := take(b.c.missPaths), take(b.c.missPaths)
		if err := b.missTTFB(round, upstream, direct, via); err != nil {
			return err
		}
		if err := b.missConcurrent(round, upstream, upLog, take(missConcurrentVersions)); err != nil {
			return err
		}
	}
	progress("miss: TTFB p50 upstream %.2f ms, via modproxy %.2f ms; upstream fetches %v",
		r.UpstreamP50.median(), r.ModproxyP50.median(), r.Fetches)
	return nil
}

// missTTFB times first bytes of uncached .info requests, one at a time:
// straight from the upstream, and through a modproxy with an empty cache.
func (b *bench) missTTFB(round int, upstream *server, direct, via []string) error {
	r := &b.report.Miss
	modproxy, err := b.emptyModproxy("modproxy-miss", round, upstream)
	if err != nil {
		return err
	}
	defer modproxy.stop()
	for _, kind := range kindOrder(round) {
		s, paths := upstream, direct
		if kind == "modproxy" {
			s, paths = modproxy, via
		}
		file := filepath.Join(b.c.work, fmt.Sprintf("paths-miss-%s-%d.txt", kind, round))
		if err := writeLines(file, paths); err != nil {
			return err
		}
		res, err := b.load("miss-ttfb", round, s, benchRun{paths: file, concurrency: 1, once: true})
		if err != nil {
			return err
		}
		progress("miss TTFB round %d/%d %s: p50 %.2f ms, p99 %.2f ms over %d requests", round+1, b.c.rounds,
			map[string]string{"nginx": "upstream nginx", "modproxy": "via modproxy"}[kind], res.TTFBMs.P50, res.TTFBMs.P99, res.Requests)
		if kind == "nginx" {
			r.UpstreamP50 = append(r.UpstreamP50, res.TTFBMs.P50)
			r.UpstreamP99 = append(r.UpstreamP99, res.TTFBMs.P99)
		} else {
			r.ModproxyP50 = append(r.ModproxyP50, res.TTFBMs.P50)
			r.ModproxyP99 = append(r.ModproxyP99, res.TTFBMs.P99)
		}
	}
	return nil
}

// missConcurrent sends 1,000 requests for 100 uncached versions at once
// (each path 10 times, shuffled) and counts what reached the upstream.
func (b *bench) missConcurrent(round int, upstream *server, upLog string, versions []string) error {
	r := &b.report.Miss
	modproxy, err := b.emptyModproxy("modproxy-singleflight", round, upstream)
	if err != nil {
		return err
	}
	defer modproxy.stop()
	var requests []string
	for i := 0; i < missConcurrentRequests; i++ {
		requests = append(requests, versions[i%len(versions)])
	}
	rand.New(rand.NewSource(int64(round))).Shuffle(len(requests), func(i, j int) {
		requests[i], requests[j] = requests[j], requests[i]
	})
	file := filepath.Join(b.c.work, fmt.Sprintf("paths-singleflight-%d.txt", round))
	if err := writeLines(file, requests); err != nil {
		return err
	}
	before, err := fileSize(upLog)
	if err != nil {
		return err
	}
	res, err := b.load("miss-concurrent", round, modproxy, benchRun{paths: file, concurrency: missConcurrentRequests, once: true})
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, p := range versions {
		want[p] = true
	}
	fetched, other, err := countLogRequests(upLog, before, want)
	if err != nil {
		return err
	}
	metric, err := upstreamFetchMetric(modproxy)
	if err != nil {
		r.Notes = append(r.Notes, fmt.Sprintf("round %d: /metrics: %v", round+1, err))
	}
	progress("miss concurrency round %d/%d: %d requests for %d versions -> %d upstream fetches of them (%d other upstream requests; metric %s)",
		round+1, b.c.rounds, res.Requests, len(versions), fetched, other, metricText(metric))
	r.Fetches = append(r.Fetches, fetched)
	r.OtherUpstream = append(r.OtherUpstream, other)
	r.MetricFetches = append(r.MetricFetches, metric)
	return nil
}

// emptyModproxy starts a modproxy with a fresh, empty cache in front of upstream.
func (b *bench) emptyModproxy(name string, round int, upstream *server) (*server, error) {
	dir := filepath.Join(b.c.work, fmt.Sprintf("%s-cache-%d", name, round))
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return startModproxy(b.c, modproxyOptions{name: name, cacheDir: dir, upstream: upstream.url(), readyPath: "/healthz"})
}

func fileSize(name string) (int64, error) {
	st, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// countLogRequests reads nginx access-log lines after byte offset `from`
// ("... \"GET /path HTTP/1.1\" ...") and counts requests for the wanted
// paths and for anything else.
func countLogRequests(name string, from int64, want map[string]bool) (wanted, other int, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "\"GET ")
		if i < 0 {
			other++
			continue
		}
		rest := line[i+5:]
		if j := strings.IndexByte(rest, ' '); j >= 0 {
			rest = rest[:j]
		}
		if want[rest] {
			wanted++
		} else {
			other++
		}
	}
	return wanted, other, sc.Err()
}

// upstreamFetchMetric sums modproxy_upstream_fetches_total over its labels;
// -1 when the metric is absent.
func upstreamFetchMetric(s *server) (float64, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.url() + "/metrics")
	if err != nil {
		return -1, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1, err
	}
	total, found := 0.0, false
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "modproxy_upstream_fetches_total") {
			continue
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			total += v
			found = true
		}
	}
	if !found {
		return -1, fmt.Errorf("no modproxy_upstream_fetches_total")
	}
	return total, nil
}

func metricText(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
