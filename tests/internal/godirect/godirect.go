// Package godirect runs the real go command against module paths, either
// in direct mode (GOPROXY=direct, reaching the gitserver fixture through
// its HTTP proxy) or through a GOPROXY URL, and returns what it answered
// as plain structs: listed versions, @latest, revision queries
// (pseudo-versions), .info times, retractions and h1 sums. The
// differential tests compare the two; no expectation is ever written down.
package godirect

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"modproxy/tests/internal/gitserver"
	"modproxy/tests/internal/harness"
)

// Env is an isolated environment for the go command.
type Env struct {
	Root string   // holds gopath/ and home/
	Home string   // HOME (its .gitconfig is the only git config read)
	Vars []string // the full environment of each go child
	Name string   // for messages: "direct" or the GOPROXY URL
}

// base is the environment shared by both modes: nothing from the caller's
// go or git configuration, a fresh GOPATH and module cache under root, the
// caller's build cache.
func base(root string) (*Env, error) {
	home := filepath.Join(root, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	var vars []string
	for _, kv := range gitserver.CleanGitEnv(home) {
		name := kv[:strings.IndexByte(kv, '=')]
		if strings.HasPrefix(name, "GO") || name == "CGO_ENABLED" {
			continue
		}
		vars = append(vars, kv)
	}
	vars = append(vars,
		"GOENV=off", "GO111MODULE=on", "GOTOOLCHAIN=local", "GOWORK=off", "CGO_ENABLED=0",
		"GOPATH="+filepath.Join(root, "gopath"),
		"GOMODCACHE="+filepath.Join(root, "gopath", "pkg", "mod"),
		// -modcacherw: the temp dir can be removed afterwards.
		"GOFLAGS=-mod=mod -modcacherw",
		"GONOPROXY=", "GOPRIVATE=", "GOVCS=",
	)
	if c := os.Getenv("GOCACHE"); c != "" {
		vars = append(vars, "GOCACHE="+c)
	} else if c, err := exec.Command("go", "env", "GOCACHE").Output(); err == nil {
		vars = append(vars, "GOCACHE="+strings.TrimSpace(string(c)))
	}
	// The go command gives git GIT_TERMINAL_PROMPT=0 itself; GIT_CONFIG_GLOBAL
	// from CleanGitEnv points at home/.gitconfig, which callers may write.
	return &Env{Root: root, Home: home, Vars: vars}, nil
}

// Direct is the go command in direct mode against the gitserver: module
// paths under *.example.test are fetched with git over plain http through
// srv (its proxy), never looked up in a checksum database.
func Direct(root string, srv *gitserver.Server) (*Env, error) {
	e, err := base(root)
	if err != nil {
		return nil, err
	}
	e.Name = "direct"
	e.Vars = append(e.Vars, "GOPROXY=direct", "GOSUMDB=off", "GONOSUMDB=*.example.test",
		"GOINSECURE=*.example.test")
	e.Vars = append(e.Vars, srv.ProxyEnv()...)
	return e, nil
}

// Proxy is the go command using proxyURL (modproxy) only, with no checksum
// database and no HTTP proxy (the proxy is on loopback).
func Proxy(root, proxyURL string) (*Env, error) {
	e, err := base(root)
	if err != nil {
		return nil, err
	}
	e.Name = proxyURL
	e.Vars = append(e.Vars, "GOPROXY="+proxyURL, "GOSUMDB=off", "GONOSUMDB=*.example.test",
		"GOINSECURE=", "http_proxy=", "https_proxy=", "HTTP_PROXY=", "HTTPS_PROXY=")
	return e, nil
}

// Set overrides (or adds) NAME=VALUE variables.
func (e *Env) Set(kv ...string) {
	for _, v := range kv {
		name := v[:strings.IndexByte(v, '=')+1]
		for i, old := range e.Vars {
			if strings.HasPrefix(old, name) {
				e.Vars = append(e.Vars[:i], e.Vars[i+1:]...)
				break
			}
		}
		e.Vars = append(e.Vars, v)
	}
}

// Get is the value of a variable ("" if unset).
func (e *Env) Get(name string) string {
	for i := len(e.Vars) - 1; i >= 0; i-- {
		if strings.HasPrefix(e.Vars[i], name+"=") {
			return e.Vars[i][len(name)+1:]
		}
	}
	return ""
}

// Run runs `go args...` in dir (a temp dir under Root if "") with a
// 3-minute limit and returns stdout and stderr.
func (e *Env) Run(dir string, args ...string) (stdout, stderr string, err error) {
	if dir == "" {
		if dir, err = os.MkdirTemp(e.Root, "run-"); err != nil {
			return "", "", err
		}
	}
	t0 := time.Now()
	stdout, stderr, err = harness.RunGo(dir, e.Vars, args...)
	if os.Getenv("GODIRECT_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "godirect: %v go %s\n", time.Since(t0).Round(time.Millisecond), strings.Join(args, " "))
	}
	if err != nil {
		err = fmt.Errorf("go %s (%s): %v\n%s", strings.Join(args, " "), e.Name, err, stderr)
	}
	return stdout, stderr, err
}

// Spec says what to ask about one module: its list, @latest, every listed
// version, and the extra revision queries (branches, hash prefixes).
type Spec struct {
	Path    string
	Queries []string
	// Retractions asks for the retraction rationales of every listed
	// version (one more go command).
	Retractions bool
}

// Info is the go command's answer to one query.
type Info struct {
	Query     string
	Version   string
	Time      string
	Retracted []string // rationales, only asked for listed versions
	Error     string
}

// Download is `go mod download -json` for one version.
type Download struct {
	Version  string
	Sum      string // h1 of the zip
	GoModSum string // h1 of the .mod
	Error    string
	Zip      string `json:"-"` // the zip in the module cache (not compared)
}

// Module is everything asked about one module path.
type Module struct {
	Path      string
	Versions  []string // go list -m -versions -retracted (semver order)
	ListError string
	Latest    Info
	Queries   map[string]Info     // revision query -> answer
	Listed    map[string]Info     // listed version -> .info (retractions only if asked)
	Downloads map[string]Download // version -> sums (listed, latest and query results)
}

// Results are the answers for every Spec, by module path.
type Results struct {
	Env     string
	Modules map[string]*Module
	Elapsed time.Duration
}

type listJSON struct {
	Path, Version, Time string
	Versions            []string
	Retracted           []string
	Error               *struct{ Err string }
}

type downloadJSON struct {
	Path, Version, Error string
	Info, Zip            string // files in the module cache
	Sum, GoModSum        string
}

// Parallel is how many modules Collect works on at once. The go command
// handles the arguments of one `go list -m` one after the other, and most
// of its time is spent waiting for git, so modules go to separate go
// commands (they share the module cache, which the go command locks).
var Parallel = 4

// Collect asks the go command about every spec. Errors of single queries
// are part of the results; the error return is for a go command that did
// not produce its JSON at all.
func Collect(e *Env, specs []Spec) (*Results, error) {
	start := time.Now()
	res := &Results{Env: e.Name, Modules: map[string]*Module{}}
	errs := make([]error, len(specs))
	mods := make([]*Module, len(specs))
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for i, s := range specs {
		i, s := i, s
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			mods[i], errs[i] = collectOne(e, s)
		}()
	}
	wg.Wait()
	for i, m := range mods {
		if errs[i] != nil {
			return nil, errs[i]
		}
		res.Modules[m.Path] = m
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// collectOne asks about one module: its list and its queries (two go
// commands, concurrently), then the .info with retractions of every listed
// version and the sums of every version seen (two more).
func collectOne(e *Env, s Spec) (*Module, error) {
	m := &Module{Path: s.Path, Queries: map[string]Info{}, Listed: map[string]Info{}, Downloads: map[string]Download{}}
	queryArgs := []string{s.Path + "@latest"}
	for _, q := range s.Queries {
		queryArgs = append(queryArgs, s.Path+"@"+q)
	}
	var lists, queries []listJSON
	var listErr, queryErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		lists, listErr = goList(e, []string{"-versions", "-retracted", s.Path})
	}()
	go func() {
		defer wg.Done()
		queries, queryErr = goList(e, queryArgs)
	}()
	wg.Wait()
	if listErr != nil {
		return nil, listErr
	}
	if queryErr != nil {
		return nil, queryErr
	}
	if len(lists) != 1 || lists[0].Path != s.Path {
		return nil, fmt.Errorf("go list -m -versions %s: unexpected results %+v", s.Path, lists)
	}
	m.Versions = lists[0].Versions
	if lists[0].Error != nil {
		m.ListError = lists[0].Error.Err
	}
	if len(queries) != len(queryArgs) {
		return nil, fmt.Errorf("go list -m %v: %d results for %d queries", queryArgs, len(queries), len(queryArgs))
	}
	for i, q := range queries {
		_, query, _ := strings.Cut(queryArgs[i], "@")
		if info := toInfo(query, q); query == "latest" {
			m.Latest = info
		} else {
			m.Queries[query] = info
		}
	}

	var infoArgs, dlArgs []string
	want := map[string]bool{}
	for _, v := range m.Versions {
		if s.Retractions {
			infoArgs = append(infoArgs, m.Path+"@"+v)
		}
		want[v] = true
	}
	if m.Latest.Error == "" && m.Latest.Version != "" {
		want[m.Latest.Version] = true
	}
	for _, q := range m.Queries {
		if q.Error == "" && q.Version != "" {
			want[q.Version] = true
		}
	}
	for _, v := range sortedKeys(want) {
		dlArgs = append(dlArgs, m.Path+"@"+v)
	}
	var infos []listJSON
	var dls []downloadJSON
	var infoErr, dlErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		if len(infoArgs) > 0 {
			infos, infoErr = goList(e, append([]string{"-retracted"}, infoArgs...))
		}
	}()
	go func() {
		defer wg.Done()
		if len(dlArgs) > 0 {
			dls, dlErr = goDownload(e, dlArgs)
		}
	}()
	wg.Wait()
	if infoErr != nil {
		return nil, infoErr
	}
	if dlErr != nil {
		return nil, dlErr
	}
	if len(infos) != len(infoArgs) {
		return nil, fmt.Errorf("go list -m -retracted: %d results for %d versions", len(infos), len(infoArgs))
	}
	for i, l := range infos {
		_, v, _ := strings.Cut(infoArgs[i], "@")
		m.Listed[v] = toInfo(v, l)
	}
	for _, d := range dls {
		if d.Path != m.Path {
			return nil, fmt.Errorf("go mod download: unexpected module %q", d.Path)
		}
		m.Downloads[d.Version] = Download{Version: d.Version, Sum: d.Sum, GoModSum: d.GoModSum, Error: d.Error, Zip: d.Zip}
		if _, listed := m.Listed[d.Version]; !listed && d.Info != "" && contains(m.Versions, d.Version) {
			// The .info the go command wrote (and checked) for the version.
			var info Info
			if data, err := os.ReadFile(d.Info); err != nil {
				return nil, err
			} else if err := json.Unmarshal(data, &info); err != nil {
				return nil, fmt.Errorf("%s: %v", d.Info, err)
			}
			info.Query = d.Version
			m.Listed[d.Version] = info
		}
	}
	for _, a := range dlArgs {
		_, v, _ := strings.Cut(a, "@")
		if _, ok := m.Downloads[v]; !ok {
			m.Downloads[v] = Download{Version: v, Error: "no result from go mod download"}
		}
	}
	return m, nil
}

func toInfo(query string, l listJSON) Info {
	info := Info{Query: query, Version: l.Version, Time: l.Time, Retracted: l.Retracted}
	if l.Error != nil {
		info.Error = l.Error.Err
	}
	return info
}

// goList runs `go list -m -e -json args...` and decodes its stream of objects.
func goList(e *Env, args []string) ([]listJSON, error) {
	out, _, err := e.Run("", append([]string{"list", "-m", "-e", "-json"}, args...)...)
	if err != nil {
		return nil, err
	}
	var res []listJSON
	err = decodeAll(out, func(dec *json.Decoder) error {
		var l listJSON
		if err := dec.Decode(&l); err != nil {
			return err
		}
		res = append(res, l)
		return nil
	})
	return res, err
}

// goDownload runs `go mod download -json args...`; a failing version makes
// the go command exit 1 but still report it in the JSON.
func goDownload(e *Env, args []string) ([]downloadJSON, error) {
	out, stderr, runErr := e.Run("", append([]string{"mod", "download", "-json"}, args...)...)
	var res []downloadJSON
	err := decodeAll(out, func(dec *json.Decoder) error {
		var d downloadJSON
		if err := dec.Decode(&d); err != nil {
			return err
		}
		res = append(res, d)
		return nil
	})
	if err != nil || (runErr != nil && len(res) == 0) {
		return nil, fmt.Errorf("go mod download: %v %v\nstdout:\n%s\nstderr:\n%s", runErr, err, out, stderr)
	}
	return res, nil
}

func decodeAll(out string, one func(*json.Decoder) error) error {
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		if err := one(dec); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("decoding go output: %v\n%s", err, out)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Specs are the standard specs for the good repositories of set, with
// module paths under host.
func Specs(set *gitserver.Set, host string) []Spec {
	var specs []Spec
	for _, r := range set.Good() {
		for _, rel := range r.Modules {
			specs = append(specs, Spec{Path: gitserver.Module(host, rel), Queries: r.Queries[rel],
				Retractions: r.Name == "retract"})
		}
	}
	return specs
}

// BadSpecs are the specs for the bad-case repositories that still answer
// something (list, @latest): an invalid file name and a case collision
// (zips fail), the large repository and the SSRF path (the go command
// itself has no limit for either).
func BadSpecs(host string) []Spec {
	return []Spec{
		{Path: gitserver.Module(host, "badname")},
		{Path: gitserver.Module(host, "large")},
		{Path: gitserver.Module(host, "ssrf")},
	}
}

type memoEntry struct {
	once sync.Once
	res  *Results
	err  error
}

var memo sync.Map // key -> *memoEntry

// Memo runs collect once per test binary and key (the go command's answers
// are the same for every test asking), and fails t if it failed. If a
// Prefetch of the key is under way, Memo waits for it.
func Memo(t testing.TB, key string, collect func() (*Results, error)) *Results {
	t.Helper()
	e := memoFor(key)
	e.once.Do(func() { e.res, e.err = collect() })
	if e.err != nil {
		t.Fatalf("go command (%s): %v", key, e.err)
	}
	return e.res
}

// Prefetch starts Memo's collect for key in the background (if nobody has
// yet), so that a test can do other work, such as running the same go
// commands through modproxy, meanwhile.
func Prefetch(key string, collect func() (*Results, error)) {
	e := memoFor(key)
	go e.once.Do(func() { e.res, e.err = collect() })
}

func memoFor(key string) *memoEntry {
	v, _ := memo.LoadOrStore(key, &memoEntry{})
	return v.(*memoEntry)
}

// Module returns the answers for module path (nil if not asked).
func (r *Results) Module(path string) *Module { return r.Modules[path] }

var (
	scratchMu  sync.Mutex
	scratchDir string
)

// Scratch returns a new directory for an Env that outlives single tests
// (Memo); Cleanup removes them all. The module cache is writable
// (-modcacherw), so removing it works.
func Scratch() (string, error) {
	scratchMu.Lock()
	defer scratchMu.Unlock()
	if scratchDir == "" {
		d, err := os.MkdirTemp("", "modproxy-godirect-")
		if err != nil {
			return "", err
		}
		scratchDir = d
	}
	return os.MkdirTemp(scratchDir, "env-")
}

// Cleanup removes every Scratch directory (call it from TestMain).
func Cleanup() {
	scratchMu.Lock()
	defer scratchMu.Unlock()
	if scratchDir != "" {
		os.RemoveAll(scratchDir)
		scratchDir = ""
	}
}

// DirectResults are the go command's direct-mode answers for the good
// repositories (key "good") or the bad ones ("bad") under Host, once per
// test binary.
func DirectResults(t testing.TB, srv *gitserver.Server, key string) *Results {
	t.Helper()
	return Memo(t, "direct-"+key, directCollector(srv, key))
}

// PrefetchDirect is Prefetch for DirectResults.
func PrefetchDirect(srv *gitserver.Server, key string) {
	Prefetch("direct-"+key, directCollector(srv, key))
}

func directCollector(srv *gitserver.Server, key string) func() (*Results, error) {
	return func() (*Results, error) {
		root, err := Scratch()
		if err != nil {
			return nil, err
		}
		e, err := Direct(root, srv)
		if err != nil {
			return nil, err
		}
		specs := Specs(srv.Set, gitserver.Host)
		if key == "bad" {
			specs = BadSpecs(gitserver.Host)
		}
		return Collect(e, specs)
	}
}
