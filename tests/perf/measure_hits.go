package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// measureHits: (a) small files and (b) zip throughput, in alternating
// rounds on one long-lived pair of servers, then the wrk cross-check.
func (b *bench) measureHits() error {
	nginx, modproxy, err := b.startPair("hits")
	if err != nil {
		return err
	}
	defer nginx.stop()
	defer modproxy.stop()
	progress("hits: nginx on %s, modproxy on %s; warming up", nginx.addr, modproxy.addr)
	if err := b.warmUp(nginx, modproxy); err != nil {
		return err
	}
	r := b.report
	for round := 0; round < b.c.rounds; round++ {
		for _, s := range order(round, nginx, modproxy) {
			res, err := b.load("small", round, s, benchRun{paths: b.hits.pathsSmall(), concurrency: b.c.concurrent, duration: b.c.duration})
			if err != nil {
				return err
			}
			progress("small round %d/%d %s: %s", round+1, b.c.rounds, s.kind, describe(res))
			r.Small.RPS.add(s.kind, res.RequestsPerS)
			r.Small.P99.add(s.kind, res.LatencyMs.P99)
		}
		for _, s := range order(round, nginx, modproxy) {
			res, err := b.load("zip", round, s, benchRun{paths: b.hits.pathsZip(), concurrency: b.c.concurrent, duration: b.c.duration})
			if err != nil {
				return err
			}
			progress("zip round %d/%d %s: %s", round+1, b.c.rounds, s.kind, describe(res))
			r.Zip.BytesPerS.add(s.kind, res.BytesPerS)
		}
	}
	if b.c.skip["wrk"] {
		return nil
	}
	return b.crossCheck(nginx, modproxy)
}

// crossCheck runs wrk and `modproxy bench` on one fixed .info URL of each
// server: when both tools see about the same requests/s, the load generator
// is not what limits the numbers above.
func (b *bench) crossCheck(nginx, modproxy *server) error {
	path := b.hits.Infos[len(b.hits.Infos)/2]
	one := filepath.Join(b.c.work, "paths-one.txt")
	if err := writeLines(one, []string{path}); err != nil {
		return err
	}
	w := &b.report.Wrk
	w.Path = path
	if _, err := exec.LookPath(b.c.wrk); err != nil {
		w.Skipped = fmt.Sprintf("wrk not installed (%v)", err)
		progress("wrk: skipped: %s", w.Skipped)
	}
	for _, s := range []*server{nginx, modproxy} {
		res, err := b.load("one-url", 0, s, benchRun{paths: one, concurrency: b.c.concurrent, duration: b.c.duration})
		if err != nil {
			return err
		}
		w.Bench.add(s.kind, res.RequestsPerS)
		progress("one URL, modproxy bench -> %s: %s", s.kind, describe(res))
		if w.Skipped != "" {
			continue
		}
		rps, err := runWrk(b.c, s.url()+path, b.c.concurrent, b.c.duration)
		if err != nil {
			return err
		}
		w.Wrk.add(s.kind, rps)
		progress("one URL, wrk -> %s: %.0f req/s", s.kind, rps)
	}
	return nil
}

// measureZipRSS: peak RSS of a fresh server that serves only the smallest
// zips, then of another that serves only the largest. A server that streams
// zips (sendfile or a small buffer) shows about the same peak for both.
func (b *bench) measureZipRSS() error {
	r := &b.report.RSS
	for round := 0; round < b.c.rounds; round++ {
		for _, kind := range kindOrder(round) {
			for _, size := range []string{"20k", "5m"} {
				paths := b.hits.pathsZip20k()
				if size == "5m" {
					paths = b.hits.pathsZip5m()
				}
				peak, res, err := b.peakRSSRun("rss-"+size, round, kind, benchRun{paths: paths, concurrency: b.c.concurrent, duration: b.c.duration})
				if err != nil {
					return err
				}
				progress("zip RSS round %d/%d %s %s zips: peak %.1f MB (%s)", round+1, b.c.rounds, kind, size, peak, describe(res))
				if size == "20k" {
					r.Small.add(kind, peak)
				} else {
					r.Large.add(kind, peak)
				}
			}
		}
	}
	return nil
}

// peakRSSRun starts a fresh server of the given kind, runs the load
// generator against it while sampling its RSS, and stops it.
func (b *bench) peakRSSRun(step string, round int, kind string, run benchRun) (float64, *benchResult, error) {
	var s *server
	var err error
	ready := b.hits.Infos[0]
	if kind == "nginx" {
		s, err = startNginx(b.c, nginxOptions{name: "nginx-" + step, root: b.hits.Tree, readyPath: ready,
			connections: run.concurrency + run.idle})
	} else {
		s, err = startModproxy(b.c, modproxyOptions{name: "modproxy-" + step, cacheDir: b.hits.Tree, upstream: "off", readyPath: ready})
	}
	if err != nil {
		return 0, nil, err
	}
	defer s.stop()
	sampler := sampleRSS(s.pids())
	res, err := b.load(step, round, s, run)
	peak := sampler.stop()
	if err != nil {
		return 0, nil, err
	}
	return peak, res, nil
}

// measureIdle: (c) the small-file load with 10,000 extra idle keep-alive
// connections held open, on fresh servers; peak RSS and p99.
func (b *bench) measureIdle() error {
	r := &b.report.Idle
	r.Connections = b.c.idle
	for round := 0; round < b.c.rounds; round++ {
		for _, kind := range kindOrder(round) {
			run := benchRun{paths: b.hits.pathsSmall(), concurrency: b.c.concurrent, duration: b.c.duration, idle: b.c.idle}
			peak, res, err := b.peakRSSRun("idle", round, kind, run)
			if err != nil {
				return err
			}
			progress("idle round %d/%d %s: peak RSS %.1f MB, %d idle open at end, %s", round+1, b.c.rounds, kind, peak, res.IdleOpenAtEnd, describe(res))
			if res.IdleOpenAtEnd < b.c.idle {
				r.Notes = append(r.Notes, fmt.Sprintf("round %d %s: only %d of %d idle connections open at the end", round+1, kind, res.IdleOpenAtEnd, b.c.idle))
			}
			r.RSS.add(kind, peak)
			r.P99.add(kind, res.LatencyMs.P99)
		}
	}
	return nil
}
