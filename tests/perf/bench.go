package main

import (
	"fmt"
	"strings"
	"time"
)

// bench runs the steps in order and fills the report. A step that fails is
// recorded and the next one still runs, so one broken measurement does not
// hide the others.
type bench struct {
	c       *config
	hits    *dataset // 10,000 versions + zips: hits, zips, idle, misses
	startup *dataset // 100,000 versions: start-up only
	report  *report
}

func newBench(c *config) *bench {
	return &bench{c: c, report: newReport(c)}
}

func (b *bench) runAll() {
	if err := b.loadDatasets(); err != nil {
		b.fail("dataset", err)
		return
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"hits", b.measureHits}, // small, zip and wrk share one pair of servers
		{"rss", b.measureZipRSS},
		{"idle", b.measureIdle},
		{"miss", b.measureMisses},
		{"startup", b.measureStartup},
		{"verify", b.measureVerify},
	}
	for _, s := range steps {
		if b.c.skip[s.name] {
			progress("%s: skipped (-skip)", s.name)
			continue
		}
		if len(b.c.steps) > 0 && !b.c.steps[s.name] {
			progress("%s: skipped (not in -steps)", s.name)
			continue
		}
		if err := s.run(); err != nil {
			b.fail(s.name, err)
		}
	}
}

func (b *bench) fail(step string, err error) {
	progress("%s: FAILED: %v", step, err)
	b.report.Failures = append(b.report.Failures, fmt.Sprintf("%s: %v", step, err))
}

// loadDatasets generates (or reuses) both data sets.
func (b *bench) loadDatasets() error {
	hits, startup := hitsSpec(), startupSpec()
	name, startupName := "dataset", "dataset-startup"
	if b.c.smoke {
		hits.Modules, hits.Zips, hits.ZipFew = 100, 8, 2
		startup.Modules = 200
		name, startupName = "dataset-smoke", "dataset-startup-smoke"
	}
	var err error
	progress("dataset: %d versions, %d zips (%s)", hits.Modules*hits.Versions, hits.Zips, name)
	if b.hits, err = loadDataset(b.c.work, name, hits); err != nil {
		return err
	}
	progress("dataset: start-up tree of %d versions", startup.Modules*startup.Versions)
	if b.startup, err = loadDataset(b.c.work, startupName, startup); err != nil {
		return err
	}
	b.report.Dataset = datasetReport{
		Versions:        len(b.hits.Infos),
		SmallPaths:      len(b.hits.Infos) + len(b.hits.Mods) + len(b.hits.Lists),
		Zips:            len(b.hits.ZipPath),
		ZipMinBytes:     b.hits.ZipSize[0],
		ZipMaxBytes:     b.hits.ZipSize[len(b.hits.ZipSize)-1],
		StartupVersions: len(b.startup.Infos),
		GenSeconds:      b.hits.GenTime.Seconds(),
		StartupGenSec:   b.startup.GenTime.Seconds(),
	}
	b.report.Startup.Versions = len(b.startup.Infos)
	for _, d := range []*dataset{b.hits, b.startup} {
		if d.GenTime > 0 {
			progress("dataset: generated %s in %.1fs", d.Dir, d.GenTime.Seconds())
		} else {
			progress("dataset: reusing %s", d.Dir)
		}
	}
	return nil
}

// hitsSpec: 1,000 modules x 10 versions, 40 zips of 20 KB to 5 MB.
func hitsSpec() datasetSpec {
	return datasetSpec{Prefix: "example.com/bench", Modules: 1000, Versions: 10,
		Zips: 40, ZipMin: 20 << 10, ZipMax: 5 << 20, ZipFew: 4}
}

// startupSpec: 10,000 modules x 10 versions, no zips.
func startupSpec() datasetSpec {
	return datasetSpec{Prefix: "example.com/start", Modules: 10000, Versions: 10}
}

// startPair starts nginx and modproxy on the hits data set.
func (b *bench) startPair(tag string) (nginx, modproxy *server, err error) {
	ready := b.hits.Infos[0]
	nginx, err = startNginx(b.c, nginxOptions{name: "nginx-" + tag, root: b.hits.Tree, readyPath: ready,
		connections: b.c.concurrent})
	if err != nil {
		return nil, nil, err
	}
	modproxy, err = startModproxy(b.c, modproxyOptions{name: "modproxy-" + tag, cacheDir: b.hits.Tree,
		upstream: "off", readyPath: ready})
	if err != nil {
		nginx.stop()
		return nil, nil, err
	}
	return nginx, modproxy, nil
}

// order alternates which server goes first in each round, so that a slow
// drift of the machine (thermal, page cache) does not favour one of them.
func order(round int, nginx, modproxy *server) []*server {
	if round%2 == 0 {
		return []*server{nginx, modproxy}
	}
	return []*server{modproxy, nginx}
}

// kindOrder is order() for steps that start fresh servers.
func kindOrder(round int) []string {
	if round%2 == 0 {
		return []string{"nginx", "modproxy"}
	}
	return []string{"modproxy", "nginx"}
}

// load runs the load generator and records the raw result.
func (b *bench) load(step string, round int, s *server, r benchRun) (*benchResult, error) {
	r.url = s.url()
	res, err := runBench(b.c, r)
	if res != nil {
		b.report.addRaw(step, s.kind, round, res)
	}
	return res, err
}

func describe(res *benchResult) string {
	var parts []string
	if res.RequestsPerS > 0 {
		parts = append(parts, fmt.Sprintf("%.0f req/s", res.RequestsPerS))
	}
	if res.BytesPerS > 0 {
		parts = append(parts, fmt.Sprintf("%.1f MB/s", res.BytesPerS/1e6))
	}
	parts = append(parts, fmt.Sprintf("p50 %.2f ms", res.LatencyMs.P50), fmt.Sprintf("p99 %.2f ms", res.LatencyMs.P99),
		fmt.Sprintf("client cpu %.0f%% (+%.0f%% polling)", res.ClientCPUPercent, res.ClientBusyPollPercent))
	return strings.Join(parts, ", ")
}

// warmUp fills the page cache, nginx's open_file_cache and modproxy's own
// caches before the measured rounds.
func (b *bench) warmUp(servers ...*server) error {
	d := b.c.duration / 2
	if d > 3*time.Second {
		d = 3 * time.Second
	}
	for _, s := range servers {
		for _, paths := range []string{b.hits.pathsSmall(), b.hits.pathsZip()} {
			if _, err := runBench(b.c, benchRun{url: s.url(), paths: paths, concurrency: b.c.concurrent, duration: d}); err != nil {
				return fmt.Errorf("warm-up: %v", err)
			}
		}
	}
	return nil
}
