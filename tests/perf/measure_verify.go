package main

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The verify step: what verification adds to a miss. Fresh modproxys with
// empty caches fetch .mod and .zip files from an upstream nginx, once with
// --sumdb off (zip rules and h1 only, which always run) and once verifying
// against a live test checksum database (tests/fixtures/sumdb, preloaded
// with every version of the data set). Each run goes through the same
// phases, in this order, on one server:
//
//	mod-first   the first .mod miss: no tiles cached, no tree verified yet
//	mod-cold    the next -verify-mods .mod misses: tiles fetched on first use
//	mod-steady  -verify-mods other .mod misses: every tile already cached
//	zip-small   the zips of at most 64 KiB (sent only once verified)
//	zip-large   the larger zips (streamed; the last 64 KiB wait for verification)
//
// Every lookup of a fresh cache is a database request; the zips' modules
// are not among the .mod paths, so each zip miss needs its own lookup.
var verifyPhaseNames = []string{"mod-first", "mod-cold", "mod-steady", "zip-small", "zip-large"}

// verifyHoldBack is modproxy's streaming hold-back: zips up to this size are
// answered only after verification.
const verifyHoldBack = 64 << 10

// verifyNumbers are one server configuration's numbers for one phase, one
// value per round (ms).
type verifyNumbers struct {
	P50, P99, TTFBP50, TTFBP99 series
	MetricMeanMs               series // mean modproxy_verify_duration_seconds of the phase's requests
	Verified                   []int  // modproxy_verifications_total{result="ok"} during the phase
	DBLookups, DBTiles         []int  // database requests during the phase (sumdb run only)
}

// verifyPhase is one phase of the verify step.
type verifyPhase struct {
	Name     string
	Endpoint string // mod or zip
	Requests int
	MinBytes int64
	MaxBytes int64
	Off, On  verifyNumbers // --sumdb off; live database
}

type verifyReport struct {
	DatabaseRecords int     // records in the test database's tree
	ManifestSeconds float64 // hashing the data set (h1 of every .mod and zip)
	Phases          []*verifyPhase
	Notes           []string
}

// measureVerify runs the verify step.
func (b *bench) measureVerify() error {
	r := &b.report.Verify
	phases, paths, err := b.verifyPhases()
	if err != nil {
		return err
	}
	r.Phases = phases

	start := time.Now()
	manifest := filepath.Join(b.c.work, "verify-manifest.json")
	n, err := writeSumdbManifest(b.hits, manifest)
	if err != nil {
		return err
	}
	r.DatabaseRecords = n
	r.ManifestSeconds = time.Since(start).Seconds()
	progress("verify: hashed %d versions in %.1fs; building the test checksum database", n, r.ManifestSeconds)
	tool := filepath.Join(b.c.work, "sumdb-fixture")
	if err := buildSumdbTool(b.c, tool); err != nil {
		return err
	}
	db, err := startSumdb(b.c, tool, manifest)
	if err != nil {
		return err
	}
	defer db.proc.stop()

	upstream, err := startNginx(b.c, nginxOptions{name: "nginx-verify-upstream", root: b.hits.Tree,
		readyPath: b.hits.Infos[0], connections: 10})
	if err != nil {
		return err
	}
	defer upstream.stop()
	// Page cache and open_file_cache: every file is read once before timing.
	for _, p := range phases {
		if _, err := runBench(b.c, benchRun{url: upstream.url(), paths: paths[p.Name], concurrency: 1, once: true}); err != nil {
			return fmt.Errorf("warm-up: %v", err)
		}
	}
	for round := 0; round < b.c.rounds; round++ {
		order := []string{"off", "on"}
		if round%2 == 1 {
			order = []string{"on", "off"}
		}
		for _, kind := range order {
			if err := b.verifyRun(round, kind, upstream, db, phases, paths); err != nil {
				return err
			}
		}
	}
	for _, p := range phases {
		progress("verify %s: p50 %.2f -> %.2f ms, p99 %.2f -> %.2f ms, metric mean %.3f -> %.3f ms", p.Name,
			p.Off.P50.median(), p.On.P50.median(), p.Off.P99.median(), p.On.P99.median(),
			p.Off.MetricMeanMs.median(), p.On.MetricMeanMs.median())
	}
	return nil
}

// verifyPhases picks the paths of every phase and writes their files.
func (b *bench) verifyPhases() ([]*verifyPhase, map[string]string, error) {
	mods := append([]string(nil), b.hits.Mods...)
	rand.New(rand.NewSource(7)).Shuffle(len(mods), func(i, j int) { mods[i], mods[j] = mods[j], mods[i] })
	n := b.c.verifyMods
	if len(mods) < 1+2*n {
		return nil, nil, fmt.Errorf("need %d .mod paths, the data set has %d", 1+2*n, len(mods))
	}
	lists := map[string][]string{"mod-first": mods[:1], "mod-cold": mods[1 : 1+n], "mod-steady": mods[1+n : 1+2*n]}
	sizes := map[string][]int64{}
	for _, p := range b.hits.ZipPath {
		st, err := os.Stat(filepath.Join(b.hits.Tree, filepath.FromSlash(p)))
		if err != nil {
			return nil, nil, err
		}
		name := "zip-large"
		if st.Size() <= verifyHoldBack {
			name = "zip-small"
		}
		lists[name] = append(lists[name], p)
		sizes[name] = append(sizes[name], st.Size())
	}
	var phases []*verifyPhase
	files := map[string]string{}
	for _, name := range verifyPhaseNames {
		if len(lists[name]) == 0 {
			continue // no zip of that size in the data set
		}
		p := &verifyPhase{Name: name, Endpoint: name[:3], Requests: len(lists[name])}
		if s := sizes[name]; len(s) > 0 {
			sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
			p.MinBytes, p.MaxBytes = s[0], s[len(s)-1]
		}
		files[name] = filepath.Join(b.c.work, "paths-verify-"+name+".txt")
		if err := writeLines(files[name], lists[name]); err != nil {
			return nil, nil, err
		}
		phases = append(phases, p)
	}
	return phases, files, nil
}

// verifyRun runs every phase on one fresh modproxy ("off": --sumdb off,
// "on": the live database).
func (b *bench) verifyRun(round int, kind string, upstream *server, db *liveSumdb,
	phases []*verifyPhase, paths map[string]string) error {
	name := "modproxy-verify-" + kind
	dir := filepath.Join(b.c.work, fmt.Sprintf("%s-cache-%d", name, round))
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sumdb := "off"
	if kind == "on" {
		sumdb = db.VKey + " " + db.URL
	}
	s, err := startModproxy(b.c, modproxyOptions{name: name, cacheDir: dir, upstream: upstream.url(),
		readyPath: "/healthz", sumdb: sumdb})
	if err != nil {
		return err
	}
	defer s.stop()
	before, err := scrapeVerifyMetrics(s)
	if err != nil {
		return err
	}
	dbBefore, err := db.requests()
	if err != nil {
		return err
	}
	for _, p := range phases {
		res, err := b.load("verify-"+p.Name, round, &server{kind: "modproxy-sumdb-" + kind, addr: s.addr},
			benchRun{paths: paths[p.Name], concurrency: 1, once: true})
		if err != nil {
			return err
		}
		after, err := scrapeVerifyMetrics(s)
		if err != nil {
			return err
		}
		dbAfter, err := db.requests()
		if err != nil {
			return err
		}
		num := &p.Off
		if kind == "on" {
			num = &p.On
		}
		num.P50 = append(num.P50, res.LatencyMs.P50)
		num.P99 = append(num.P99, res.LatencyMs.P99)
		num.TTFBP50 = append(num.TTFBP50, res.TTFBMs.P50)
		num.TTFBP99 = append(num.TTFBP99, res.TTFBMs.P99)
		count := after.count[p.Endpoint] - before.count[p.Endpoint]
		mean := 0.0
		if count > 0 {
			mean = (after.sum[p.Endpoint] - before.sum[p.Endpoint]) / count * 1000
		}
		num.MetricMeanMs = append(num.MetricMeanMs, mean)
		num.Verified = append(num.Verified, int(after.ok[p.Endpoint]-before.ok[p.Endpoint]))
		lookups, tiles := 0, 0
		for _, path := range dbAfter[len(dbBefore):] {
			switch {
			case strings.HasPrefix(path, "/lookup/"):
				lookups++
			case strings.HasPrefix(path, "/tile/"):
				tiles++
			}
		}
		if kind == "on" {
			num.DBLookups = append(num.DBLookups, lookups)
			num.DBTiles = append(num.DBTiles, tiles)
			if int(after.ok[p.Endpoint]-before.ok[p.Endpoint]) != p.Requests {
				return fmt.Errorf("%s: %d requests but %v verified by the database", p.Name, p.Requests,
					after.ok[p.Endpoint]-before.ok[p.Endpoint])
			}
		} else if lookups+tiles > 0 {
			return fmt.Errorf("%s with --sumdb off asked the database %d times", p.Name, lookups+tiles)
		}
		progress("verify round %d/%d sumdb %-3s %-10s: %d requests, p50 %.2f ms, p99 %.2f ms, TTFB p50 %.2f ms; "+
			"metric mean %.3f ms; database: %d lookups, %d tiles", round+1, b.c.rounds, kind, p.Name,
			res.Requests, res.LatencyMs.P50, res.LatencyMs.P99, res.TTFBMs.P50, mean, lookups, tiles)
		before, dbBefore = after, dbAfter
	}
	return nil
}

// verifyMetrics are modproxy's verification metrics, by endpoint.
type verifyMetrics struct {
	sum, count, ok map[string]float64
}

// scrapeVerifyMetrics reads modproxy_verify_duration_seconds_{sum,count} and
// modproxy_verifications_total{result="ok"} from /metrics.
func scrapeVerifyMetrics(s *server) (verifyMetrics, error) {
	m := verifyMetrics{sum: map[string]float64{}, count: map[string]float64{}, ok: map[string]float64{}}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.url() + "/metrics")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		open, close := strings.IndexByte(line, '{'), strings.LastIndexByte(line, '}')
		if strings.HasPrefix(line, "#") || open < 0 || close < open {
			continue
		}
		name, labels := line[:open], parseLabels(line[open+1:close])
		v, err := strconv.ParseFloat(strings.TrimSpace(line[close+1:]), 64)
		if err != nil {
			continue
		}
		switch name {
		case "modproxy_verify_duration_seconds_sum":
			m.sum[labels["endpoint"]] += v
		case "modproxy_verify_duration_seconds_count":
			m.count[labels["endpoint"]] += v
		case "modproxy_verifications_total":
			if labels["result"] == "ok" {
				m.ok[labels["endpoint"]] += v
			}
		}
	}
	return m, sc.Err()
}

// parseLabels parses `a="x",b="y"` (no escapes in modproxy's label values here).
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[strings.TrimSpace(k)] = strings.Trim(v, `"`)
		}
	}
	return out
}

// writeSumdbManifest writes the manifest tests/fixtures/sumdb reads: every
// version of the data set with the h1 hashes of its go.mod and zip (versions
// without a zip get a placeholder zip hash), and returns how many.
func writeSumdbManifest(d *dataset, file string) (int, error) {
	type entry struct {
		Path    string `json:"path"`
		Version string `json:"version"`
		ZipHash string `json:"zipHash"`
		ModHash string `json:"modHash"`
	}
	noZip := sha256.Sum256([]byte("tests/perf: this version has no zip"))
	placeholder := "h1:" + base64.StdEncoding.EncodeToString(noZip[:])
	var mods []entry
	s := d.Spec
	add := func(module, version string, zipHash string) error {
		data, err := os.ReadFile(filepath.Join(d.Tree, escapePath(module), "@v", version+".mod"))
		if err != nil {
			return err
		}
		mods = append(mods, entry{module, version, zipHash, hash1(map[string][]byte{"go.mod": data})})
		return nil
	}
	for i := 0; i < s.Modules; i++ {
		for v := 0; v < s.Versions; v++ {
			if err := add(s.modulePath(i), fmt.Sprintf("v1.0.%d", v), placeholder); err != nil {
				return 0, err
			}
		}
	}
	for i := 0; i < s.Zips; i++ {
		m := s.zipModule(i)
		h, err := hashZip(filepath.Join(d.Tree, escapePath(m), "@v", "v1.0.0.zip"))
		if err != nil {
			return 0, err
		}
		if err := add(m, "v1.0.0", h); err != nil {
			return 0, err
		}
	}
	data, err := json.Marshal(map[string]interface{}{"modules": mods})
	if err != nil {
		return 0, err
	}
	return len(mods), os.WriteFile(file, data, 0o644)
}

// hash1 is dirhash.Hash1 over named contents: the SHA-256 of the sorted
// lines "hex(sha256(content))  name\n", base64, prefixed with "h1:".
func hash1(files map[string][]byte) string {
	digests := map[string][]byte{}
	for name, data := range files {
		sum := sha256.Sum256(data)
		digests[name] = sum[:]
	}
	return hash1Digests(digests)
}

// hash1Digests is hash1 given each file's SHA-256.
func hash1Digests(digests map[string][]byte) string {
	names := make([]string, 0, len(digests))
	for name := range digests {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		fmt.Fprintf(h, "%x  %s\n", digests[name], name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// hashZip is dirhash.HashZip(file, dirhash.Hash1): names as in the zip,
// module@version/ prefix included.
func hashZip(file string) (string, error) {
	z, err := zip.OpenReader(file)
	if err != nil {
		return "", err
	}
	defer z.Close()
	digests := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			return "", err
		}
		h := sha256.New()
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return "", err
		}
		digests[f.Name] = h.Sum(nil)
	}
	return hash1Digests(digests), nil
}

// buildSumdbTool builds tests/fixtures/sumdb in GOPATH mode against x/mod,
// as tests/internal/harness does (the driver itself runs from tests/).
func buildSumdbTool(c *config, out string) error {
	if _, err := os.Stat(filepath.Join("fixtures", "sumdb", "main.go")); err != nil {
		return fmt.Errorf("run the driver from tests/ (fixtures/sumdb: %v)", err)
	}
	cmd := exec.Command("go", "build", "-tags", "fixturetool", "-o", out, "./fixtures/sumdb")
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "GO111MODULE", "GOPATH", "GOFLAGS", "GOPROXY":
		default:
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GO111MODULE=off", "GOPATH="+c.xmodGOPATH, "GOFLAGS=", "GOPROXY=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building tests/fixtures/sumdb (x/mod from -xmod-gopath %s): %v\n%s", c.xmodGOPATH, err, msg)
	}
	return nil
}

// liveSumdb is a running tests/fixtures/sumdb.
type liveSumdb struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	VKey string `json:"vkey"`
	proc *child
}

// startSumdb starts the database (preloaded: every lookup answers with the
// same tree) on the server core. Its stdin stays open: EOF would stop it.
func startSumdb(c *config, tool, manifest string) (*liveSumdb, error) {
	argv := []string{tool, "-manifest", manifest, "-name", "sum.perf.test"}
	if c.serverCPU != "" {
		argv = append([]string{"taskset", "-c", c.serverCPU}, argv...)
	}
	stderr, err := os.OpenFile(filepath.Join(c.work, "sumdb-fixture.stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := &child{name: "sumdb-fixture", cmd: cmd, done: make(chan struct{})}
	go func() { ch.err = cmd.Wait(); stdin.Close(); close(ch.done) }()
	childrenMu.Lock()
	children[ch] = true
	childrenMu.Unlock()
	db := &liveSumdb{proc: ch}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- l
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), db); err != nil || db.URL == "" {
			ch.stop()
			return nil, fmt.Errorf("sumdb fixture said %q (%v); see %s", l, err, stderr.Name())
		}
	case <-time.After(60 * time.Second):
		ch.stop()
		return nil, fmt.Errorf("sumdb fixture printed nothing within 60s; see %s", stderr.Name())
	}
	return db, nil
}

// requests lists every database request path so far.
func (d *liveSumdb) requests() ([]string, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(d.URL + "/_control/requests")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("sumdb fixture requests: %v", err)
	}
	return out, nil
}
