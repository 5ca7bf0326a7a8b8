package main

import (
	"fmt"
	"sort"
	"strings"
)

// row is one line of the table. Met is "yes", "NO", "-" (information only)
// or "n/a" (not measured).
type row struct {
	Target, Nginx, Modproxy, Ratio, Goal, Met string
}

const notMeasured = "not measured"

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func missing(target, goal string) row {
	return row{target, notMeasured, notMeasured, "", goal, "n/a"}
}

func ratio(m, n float64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", m/n)
}

// rows turns the medians into the table, one row per target of the issue.
func (r *report) rows() []row {
	var rows []row
	add := func(x row) { rows = append(rows, x) }

	const smallRPS, smallP99 = "Small files (.info/.mod/list), req/s", "Small files, p99 latency"
	if p := r.Small.RPS; p.measured() {
		n, m := p.Nginx.median(), p.Modproxy.median()
		add(row{smallRPS, fmt.Sprintf("%.0f", n), fmt.Sprintf("%.0f", m), ratio(m, n), ">= 1.0x nginx", yesNo(m >= n)})
		pn, pm := r.Small.P99.Nginx.median(), r.Small.P99.Modproxy.median()
		add(row{smallP99, fmt.Sprintf("%.2f ms", pn), fmt.Sprintf("%.2f ms", pm), ratio(pm, pn), "<= nginx", yesNo(pm <= pn)})
	} else {
		add(missing(smallRPS, ">= 1.0x nginx"))
		add(missing(smallP99, "<= nginx"))
	}

	const zipRate = "Zips 20 KB-5 MB, throughput"
	if p := r.Zip.BytesPerS; p.measured() {
		n, m := p.Nginx.median(), p.Modproxy.median()
		add(row{zipRate, fmt.Sprintf("%.1f MB/s", n/1e6), fmt.Sprintf("%.1f MB/s", m/1e6), ratio(m, n), ">= 0.95x nginx", yesNo(m >= 0.95*n)})
	} else {
		add(missing(zipRate, ">= 0.95x nginx"))
	}

	const rssZip = "Peak RSS, 20 KB zips -> 5 MB zips"
	if r.RSS.Small.measured() && r.RSS.Large.measured() {
		ns, nl := r.RSS.Small.Nginx.median(), r.RSS.Large.Nginx.median()
		ms, ml := r.RSS.Small.Modproxy.median(), r.RSS.Large.Modproxy.median()
		add(row{rssZip, fmt.Sprintf("%.1f -> %.1f MB", ns, nl), fmt.Sprintf("%.1f -> %.1f MB", ms, ml),
			fmt.Sprintf("%+.1f MB", ml-ms), "modproxy grows <= 8 MB", yesNo(ml-ms <= 8)})
	} else {
		add(missing(rssZip, "modproxy grows <= 8 MB"))
	}

	idleRSS := fmt.Sprintf("%d idle keep-alive conns, server RSS", r.Idle.Connections)
	idleP99 := fmt.Sprintf("%d idle keep-alive conns, p99 latency", r.Idle.Connections)
	if p := r.Idle.RSS; p.measured() {
		n, m := p.Nginx.median(), p.Modproxy.median()
		add(row{idleRSS, fmt.Sprintf("%.1f MB", n), fmt.Sprintf("%.1f MB", m), ratio(m, n), "modproxy < 100 MB", yesNo(m < 100)})
		pn, pm := r.Idle.P99.Nginx.median(), r.Idle.P99.Modproxy.median()
		if base := r.Small.P99.Nginx; len(base) > 0 {
			b := base.median()
			add(row{idleP99, fmt.Sprintf("%.2f ms", pn), fmt.Sprintf("%.2f ms", pm), ratio(pm, b),
				fmt.Sprintf("<= nginx p99 without idle (%.2f ms)", b), yesNo(pm <= b)})
		} else {
			add(row{idleP99, fmt.Sprintf("%.2f ms", pn), fmt.Sprintf("%.2f ms", pm), "", "<= nginx p99 without idle (not measured)", "n/a"})
		}
	} else {
		add(missing(idleRSS, "modproxy < 100 MB"))
		add(missing(idleP99, "<= nginx p99 without idle"))
	}

	const ttfb50, ttfb99 = "Miss TTFB p50 (nginx = the upstream itself)", "Miss TTFB p99"
	if m := r.Miss; len(m.UpstreamP50) > 0 && len(m.ModproxyP50) > 0 {
		n, v := m.UpstreamP50.median(), m.ModproxyP50.median()
		add(row{ttfb50, fmt.Sprintf("%.2f ms", n), fmt.Sprintf("%.2f ms", v), fmt.Sprintf("%+.2f ms", v-n), "<= +2 ms", yesNo(v-n <= 2)})
		n, v = m.UpstreamP99.median(), m.ModproxyP99.median()
		add(row{ttfb99, fmt.Sprintf("%.2f ms", n), fmt.Sprintf("%.2f ms", v), fmt.Sprintf("%+.2f ms", v-n), "(information)", "-"})
	} else {
		add(missing(ttfb50, "<= +2 ms"))
		add(missing(ttfb99, "(information)"))
	}

	const flights = "1,000 concurrent requests, 100 uncached versions: upstream fetches"
	if m := r.Miss; len(m.Fetches) > 0 {
		ok := true
		var counts, metrics []string
		for i, f := range m.Fetches {
			ok = ok && f == missConcurrentVersions
			counts = append(counts, fmt.Sprint(f))
			metrics = append(metrics, metricText(m.MetricFetches[i]))
		}
		add(row{flights, "-", fmt.Sprintf("%s (metric %s)", strings.Join(counts, ", "), strings.Join(metrics, ", ")),
			"", "exactly 100 each round", yesNo(ok)})
	} else {
		add(missing(flights, "exactly 100 each round"))
	}

	startup := fmt.Sprintf("Start-up on %d cached versions, exec to first 200", r.Startup.Versions)
	if p := r.Startup.Seconds; p.measured() {
		n, m := p.Nginx.median(), p.Modproxy.median()
		add(row{startup, fmt.Sprintf("%.1f ms", n*1000), fmt.Sprintf("%.1f ms", m*1000), ratio(m, n), "modproxy <= 1 s", yesNo(m <= 1)})
	} else {
		add(missing(startup, "modproxy <= 1 s"))
	}

	rows = append(rows, r.verifyRows()...)

	const wrkRow, benchRow = "Cross-check, one .info URL: wrk req/s", "Cross-check, one .info URL: modproxy bench req/s"
	switch w := r.Wrk; {
	case w.Skipped != "":
		add(row{wrkRow, "skipped", "skipped", "", w.Skipped, "-"})
	case w.Wrk.measured():
		n, m := w.Wrk.Nginx.median(), w.Wrk.Modproxy.median()
		add(row{wrkRow, fmt.Sprintf("%.0f", n), fmt.Sprintf("%.0f", m), ratio(m, n), "(information)", "-"})
	default:
		add(missing(wrkRow, "(information)"))
	}
	if w := r.Wrk.Bench; w.measured() {
		n, m := w.Nginx.median(), w.Modproxy.median()
		goal := "(information)"
		if r.Wrk.Wrk.measured() {
			goal = fmt.Sprintf("bench/wrk: %.2fx nginx, %.2fx modproxy", n/r.Wrk.Wrk.Nginx.median(), m/r.Wrk.Wrk.Modproxy.median())
		}
		add(row{benchRow, fmt.Sprintf("%.0f", n), fmt.Sprintf("%.0f", m), ratio(m, n), goal, "-"})
	} else {
		add(missing(benchRow, "(information)"))
	}
	return rows
}

// verifyRows: one row per phase of the verify step, "--sumdb off -> live
// database" in the modproxy column and the difference as the ratio.
func (r *report) verifyRows() []row {
	v := r.Verify
	if len(v.Phases) == 0 || len(v.Phases[0].On.P50) == 0 || len(v.Phases[0].Off.P50) == 0 {
		return []row{missing("Verify: .mod and .zip misses, --sumdb off -> live test database", "(information)")}
	}
	var rows []row
	for _, p := range v.Phases {
		if len(p.On.P50) == 0 || len(p.Off.P50) == 0 {
			rows = append(rows, missing("Verify: "+p.Name, "(information)"))
			continue
		}
		var target string
		switch p.Name {
		case "mod-first":
			target = "Verify: first .mod miss of a fresh cache (no tiles yet), sumdb off -> on"
		case "mod-cold":
			target = fmt.Sprintf("Verify: next %d .mod misses (tiles fetched on first use), sumdb off -> on", p.Requests)
		case "mod-steady":
			target = fmt.Sprintf("Verify: %d more .mod misses (every tile cached), sumdb off -> on", p.Requests)
		default:
			target = fmt.Sprintf("Verify: %d zip misses of %s-%s, sumdb off -> on", p.Requests,
				humanBytes(p.MinBytes), humanBytes(p.MaxBytes))
		}
		off50, on50 := p.Off.P50.median(), p.On.P50.median()
		off99, on99 := p.Off.P99.median(), p.On.P99.median()
		metric := fmt.Sprintf("verify metric mean %.3f -> %.3f ms", p.Off.MetricMeanMs.median(), p.On.MetricMeanMs.median())
		var cell, diff string
		if p.Requests == 1 {
			cell = fmt.Sprintf("%.2f -> %.2f ms; %s", off50, on50, metric)
			diff = fmt.Sprintf("%+.2f ms", on50-off50)
		} else {
			cell = fmt.Sprintf("p50 %.2f -> %.2f ms, p99 %.2f -> %.2f ms", off50, on50, off99, on99)
			if p.Name == "zip-large" {
				cell += fmt.Sprintf(", TTFB p50 %.2f -> %.2f ms", p.Off.TTFBP50.median(), p.On.TTFBP50.median())
			}
			cell += "; " + metric
			diff = fmt.Sprintf("%+.2f / %+.2f ms", on50-off50, on99-off99)
		}
		if len(p.On.DBTiles) > 0 {
			cell += fmt.Sprintf(" (database: %s lookups, %s tiles)", intsText(p.On.DBLookups), intsText(p.On.DBTiles))
		}
		rows = append(rows, row{target, "-", cell, diff, "(information)", "-"})
	}
	return rows
}

// intsText is "n" when every round agrees, else "n1/n2/...".
func intsText(values []int) string {
	var parts []string
	same := true
	for _, v := range values {
		parts = append(parts, fmt.Sprint(v))
		same = same && v == values[0]
	}
	if same && len(values) > 0 {
		return parts[0]
	}
	return strings.Join(parts, "/")
}

// markdown is the table plus its footer.
func (r *report) markdown() string {
	var b strings.Builder
	b.WriteString("| target | nginx | modproxy | ratio | goal | met |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, x := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", x.Target, x.Nginx, x.Modproxy, x.Ratio, x.Goal, x.Met)
	}
	b.WriteString("\n")
	s, m, d := r.Settings, r.Machine, r.Dataset
	mode := ""
	if s.Smoke {
		mode = " SMOKE RUN (tiny data set, numbers are not meaningful);"
	}
	fmt.Fprintf(&b, "-%s medians of %d round(s), %gs per run, %d connections, HTTP/1.1 keep-alive; "+
		"ratio = modproxy / nginx. Servers on CPU %s (nginx: 1 worker, sendfile, open_file_cache, "+
		"access_log off; modproxy: --upstream off --threads 1%s, JSON access log on to /dev/null), "+
		"load generator (`modproxy bench`) on CPU %s.\n", mode, s.Rounds, s.DurationS, s.Concurrency,
		s.ServerCPU, listTTLText(s.ListTTL), s.ClientCPU)
	fmt.Fprintf(&b, "- Machine: %d CPUs, %s, kernel %s; RLIMIT_NOFILE %d.\n", m.CPUs, m.CPU, m.Kernel, s.NoFile)
	fmt.Fprintf(&b, "- Data set: %d versions (%d small-file paths), %d zips of %s to %s (stored, incompressible); "+
		"start-up tree %d versions. Generated in %s / %s.\n", d.Versions, d.SmallPaths, d.Zips,
		humanBytes(d.ZipMinBytes), humanBytes(d.ZipMaxBytes), d.StartupVersions, genText(d.GenSeconds), genText(d.StartupGenSec))
	fmt.Fprintf(&b, "- RSS is VmRSS sampled every 100 ms (nginx: master + worker), peak per run, MB = 10^6 bytes; "+
		"zip RSS and idle rows use fresh servers.\n")
	fmt.Fprintf(&b, "- Load generator CPU (client_cpu_percent, min-max per step, without busy-polling; "+
		"near 100%% the client may be the limit): %s.\n", strings.Join(r.clientCPU(), "; "))
	var names []string
	for name := range r.FileCacheMax {
		if name != "nginx-startup" { // asks for one file only
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var parts []string
	for _, name := range names {
		parts = append(parts, fmt.Sprintf("%s %d", name, r.FileCacheMax[name]))
	}
	if len(parts) > 0 {
		fmt.Fprintf(&b, "- RLIMIT_NOFILE is %d and cannot be raised here, so nginx's open_file_cache max "+
			"(200000 as tuned; each cached file holds a descriptor) was lowered to leave room for the "+
			"connections, for a tree of %d files: %s.\n", s.NoFile, d.SmallPaths+d.Zips, strings.Join(parts, ", "))
	}
	if len(r.Verify.Phases) > 0 {
		fmt.Fprintf(&b, "- Verify rows: fresh modproxys (empty cache) in front of an nginx upstream, one request at a time, "+
			"total time per request; \"off -> on\" is --sumdb off (zip rules and h1 only) -> a live test checksum database "+
			"(tests/fixtures/sumdb, %d records, reached directly by URL, on the server CPU); the verify metric is the mean "+
			"of modproxy_verify_duration_seconds over the row's requests; ratio = the difference (p50 / p99).\n", r.Verify.DatabaseRecords)
	}
	for _, n := range append(append(append([]string(nil), r.Idle.Notes...), r.Miss.Notes...), r.Verify.Notes...) {
		fmt.Fprintf(&b, "- Note: %s\n", n)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "- NOT MEASURED: %s\n", f)
	}
	fmt.Fprintf(&b, "- Total time %.0fs.\n", r.Elapsed.Seconds())
	return b.String()
}

// details lists every round, for results.md.
func (r *report) details() string {
	var b strings.Builder
	b.WriteString("## Every round\n\n| measurement | nginx | modproxy |\n| --- | --- | --- |\n")
	line := func(name, format string, p pair, scale float64) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, roundsText(p.Nginx, format, scale), roundsText(p.Modproxy, format, scale))
	}
	line("small req/s", "%.0f", r.Small.RPS, 1)
	line("small p99 ms", "%.2f", r.Small.P99, 1)
	line("zip MB/s", "%.1f", r.Zip.BytesPerS, 1e-6)
	line("peak RSS MB, 20 KB zips", "%.1f", r.RSS.Small, 1)
	line("peak RSS MB, 5 MB zips", "%.1f", r.RSS.Large, 1)
	line("idle: peak RSS MB", "%.1f", r.Idle.RSS, 1)
	line("idle: p99 ms", "%.2f", r.Idle.P99, 1)
	line("miss TTFB p50 ms", "%.2f", pair{r.Miss.UpstreamP50, r.Miss.ModproxyP50}, 1)
	line("miss TTFB p99 ms", "%.2f", pair{r.Miss.UpstreamP99, r.Miss.ModproxyP99}, 1)
	line("start-up ms", "%.1f", r.Startup.Seconds, 1000)
	for _, p := range r.Verify.Phases {
		// The nginx column holds --sumdb off, the modproxy column the live database.
		line("verify "+p.Name+" p50 ms (sumdb off; on)", "%.2f", pair{p.Off.P50, p.On.P50}, 1)
		line("verify "+p.Name+" p99 ms (sumdb off; on)", "%.2f", pair{p.Off.P99, p.On.P99}, 1)
		line("verify "+p.Name+" metric mean ms (sumdb off; on)", "%.3f", pair{p.Off.MetricMeanMs, p.On.MetricMeanMs}, 1)
	}
	line("one URL, wrk req/s", "%.0f", r.Wrk.Wrk, 1)
	line("one URL, modproxy bench req/s", "%.0f", r.Wrk.Bench, 1)
	fmt.Fprintf(&b, "\nUpstream requests other than the 100 versions during the concurrency runs: %v.\n", r.Miss.OtherUpstream)
	b.WriteString("Raw `modproxy bench --json` output of every run: results.json (Raw).\n")
	return b.String()
}

func roundsText(s series, format string, scale float64) string {
	if len(s) == 0 {
		return "-"
	}
	var parts []string
	for _, v := range s {
		parts = append(parts, fmt.Sprintf(format, v*scale))
	}
	return strings.Join(parts, ", ")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func genText(seconds float64) string {
	if seconds == 0 {
		return "reused"
	}
	return fmt.Sprintf("%.1fs", seconds)
}

func listTTLText(ttl string) string {
	if ttl == "" {
		return ""
	}
	return " --list-ttl " + ttl
}
