package integration

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"modproxy/tests/internal/gitserver"
	"modproxy/tests/internal/godirect"
	"modproxy/tests/internal/harness"
)

// Credentials per host (issue 5): a repository that needs HTTP basic auth
// is served with the [[credentials]] of its host from the config file, or
// with the --netrc file's machine entry, and gives a clear error naming
// authentication and the repository with a wrong password or none. The
// password never shows: not in any response, not in modproxy's logs, not
// in any file name or file under the cache directory, not in the command
// line or environment of any process modproxy starts (its git fetches run
// in child processes, which get the credentials on stdin).

const lockedRepo = "locked" // gitserver.AddRepo: v1.0.0 and v1.1.0

func TestDirectCredentials(t *testing.T) {
	srv := sharedGitserver(t)
	if _, err := srv.AddRepo(lockedRepo); err != nil {
		t.Fatal(err)
	}
	const user = "ci"
	secret, wrong := randomSecret(t), randomSecret(t)
	srv.RequireAuth(lockedRepo, user, secret)
	// Slow git answers keep each fetch child alive long enough for the
	// process watcher to read its command line.
	srv.DelayGit(lockedRepo, 100*time.Millisecond)
	t.Cleanup(func() { srv.DelayGit(lockedRepo, 0) })
	mp := gitserver.Module(gitserver.Host, lockedRepo)
	versions := []string{"v1.0.0", "v1.1.0"}

	// The go command's own sums, from git with the same credentials in its
	// netrc, meanwhile.
	type goAnswer struct {
		sums map[string]godirect.Download
		err  error
	}
	goDone := make(chan goAnswer, 1)
	go func() {
		sums, err := goCommandSums(srv, "machine 127.0.0.1 login "+user+" password "+secret+"\n", mp, versions)
		goDone <- goAnswer{sums, err}
	}()

	leaks := newLeakWatch(secret, wrong, basicAuth(user, secret), basicAuth(user, wrong))
	watch := startProcWatch(leaks)
	defer watch.stop()

	dir := t.TempDir() // not the cache directory, not the working directory
	writeFile := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	credentials := func(password string) string {
		return fmt.Sprintf("[[credentials]]\nhost = %q\nusername = %q\npassword = %q\n", "127.0.0.1", user, password)
	}
	right := writeFile("right.toml", credentials(secret))
	bad := writeFile("wrong.toml", credentials(wrong))
	netrc := writeFile("netrc", "machine 127.0.0.1 login "+user+" password "+secret+"\n")

	// Every modproxy gets a netrc file, so that none reads one from the
	// environment ($NETRC).
	noNetrc := writeFile("empty-netrc", "")
	// start runs a modproxy for one subtest, and checks what it logged and
	// cached when the subtest ends (before its directories go).
	start := func(t *testing.T, netrc string, args ...string) *harness.Proxy {
		p := startDirect(t, srv, append([]string{"--netrc", netrc}, args...)...)
		watch.add(p.PID())
		t.Cleanup(func() {
			leaks.check(t, "modproxy's stderr", []byte(p.Stderr.String()))
			leaks.check(t, "modproxy's stdout", []byte(p.Stdout.String()))
			leaks.checkTree(t, p.CacheDir)
		})
		return p
	}
	get := func(p *harness.Proxy, path string) *harness.Response {
		r := p.Get(path)
		leaks.check(t, "response to GET "+path, r.Body)
		for name, vals := range r.Header {
			leaks.check(t, "response header "+name+" of GET "+path, []byte(strings.Join(vals, "\n")))
		}
		return r
	}

	serves := func(t *testing.T, p *harness.Proxy) map[string]godirect.Download {
		got := map[string]godirect.Download{}
		r := get(p, "/"+mp+"/@v/list")
		if r.Status != http.StatusOK || !reflect.DeepEqual(sortedFields(r.Body), versions) {
			t.Errorf("%s; want the versions %v", r, versions)
		}
		if r := get(p, "/"+mp+"/@latest"); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"v1.1.0"`) {
			t.Errorf("%s; want v1.1.0", r)
		}
		for _, v := range versions {
			base := "/" + mp + "/@v/" + v
			if r := get(p, base+".info"); r.Status != http.StatusOK {
				t.Errorf("%s", r)
			}
			mod := get(p, base+".mod")
			if mod.Status != http.StatusOK || !strings.HasPrefix(string(mod.Body), "module "+mp+"\n") {
				t.Errorf("%s", mod)
				continue
			}
			z := get(p, base+".zip")
			if z.Status != http.StatusOK {
				t.Errorf("%s", z)
				continue
			}
			zipSum, err := zipH1(z.Body, mp+"@"+v+"/")
			if err != nil {
				t.Errorf("%s: not a valid module zip: %v", z.Path, err)
				continue
			}
			got[v] = godirect.Download{Version: v, Sum: zipSum, GoModSum: modH1(mod.Body)}
		}
		return got
	}
	refuses := func(t *testing.T, p *harness.Proxy) {
		for _, file := range []string{"@v/list", "@latest", "@v/v1.0.0.info", "@v/v1.0.0.mod", "@v/v1.0.0.zip"} {
			r := get(p, "/"+mp+"/"+file)
			t.Logf("%s -> %d %s", r.Path, r.Status, harness.OneLine(r.Body))
			body := strings.ToLower(string(r.Body))
			if r.Status == http.StatusOK || !strings.Contains(body, "authentication") || !strings.Contains(body, lockedRepo+".git") {
				t.Errorf("%s; want an error about authentication naming the repository %s.git", r, lockedRepo)
			}
		}
		expectNothingCached(t, p, mp)
	}

	// Four modproxies at once (they spend their time waiting for git).
	accepted0, wrong0, _ := srv.AuthCounts(lockedRepo)
	var byConfig, byNetrc map[string]godirect.Download
	t.Run("fetch", func(t *testing.T) {
		t.Run("config", func(t *testing.T) {
			t.Parallel()
			byConfig = serves(t, start(t, noNetrc, "--config", right))
		})
		t.Run("netrc", func(t *testing.T) {
			t.Parallel()
			byNetrc = serves(t, start(t, netrc))
		})
		t.Run("wrong-password", func(t *testing.T) {
			t.Parallel()
			refuses(t, start(t, noNetrc, "--config", bad))
		})
		t.Run("no-credentials", func(t *testing.T) {
			t.Parallel()
			refuses(t, start(t, noNetrc))
		})
	})
	// The gitserver really asked: it accepted the right password and
	// refused the wrong one (only "wrong-password" sends that).
	if accepted, wrongs, _ := srv.AuthCounts(lockedRepo); accepted == accepted0 || wrongs == wrong0 {
		t.Errorf("the gitserver accepted %d requests with the password and refused %d with a wrong one; want both > 0",
			accepted-accepted0, wrongs-wrong0)
	}

	// The go command's answers, and the same h1 sums through modproxy.
	a := <-goDone
	if a.err != nil {
		t.Fatalf("go command with the same credentials: %v", a.err)
	}
	for name, got := range map[string]map[string]godirect.Download{"config": byConfig, "netrc": byNetrc} {
		for _, v := range versions {
			w, g := a.sums[mp+"@"+v], got[v]
			if w.Sum == "" || w.Sum != g.Sum || w.GoModSum != g.GoModSum {
				t.Errorf("%s@%s through modproxy (%s): zip %s mod %s; the go command: zip %s mod %s (error %q)",
					mp, v, name, g.Sum, g.GoModSum, w.Sum, w.GoModSum, w.Error)
			}
		}
	}

	watch.stop()
	if n := watch.children(); n == 0 {
		t.Errorf("saw no child process of modproxy during the fetches: the command-line check did not run")
	} else {
		t.Logf("checked the command line and environment of %d child processes of modproxy (%s)", n, watch.sample())
	}
	leaks.report(t)
}

// randomSecret is a fresh 48-character password.
func randomSecret(t *testing.T) string {
	b := make([]byte, 36)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// goCommandSums is `go mod download -json` of mp@versions in direct mode
// against the gitserver, with netrc as the HOME's .netrc (git reads it).
func goCommandSums(srv *gitserver.Server, netrc, mp string, versions []string) (map[string]godirect.Download, error) {
	e, err := scratchDirect(srv)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(e.Home, ".netrc"), []byte(netrc), 0o600); err != nil {
		return nil, err
	}
	var args []string
	for _, v := range versions {
		args = append(args, mp+"@"+v)
	}
	return goDownloads(e, args)
}

// leakWatch looks for secrets (in any of their forms) in what modproxy
// shows, and collects where it found them.
type leakWatch struct {
	secrets []string
	mu      sync.Mutex
	found   []string
}

func newLeakWatch(secrets ...string) *leakWatch { return &leakWatch{secrets: secrets} }

// contains says which secret data holds, if any.
func (l *leakWatch) contains(data []byte) (int, bool) {
	for i, s := range l.secrets {
		if bytes.Contains(data, []byte(s)) {
			return i, true
		}
	}
	return 0, false
}

func (l *leakWatch) check(t *testing.T, where string, data []byte) {
	t.Helper()
	if i, ok := l.contains(data); ok {
		l.mu.Lock()
		l.found = append(l.found, fmt.Sprintf("%s (secret #%d)", where, i))
		l.mu.Unlock()
	}
}

// checkTree looks at every name under dir (bookkeeping and git mirrors
// included) and at the contents of every regular file.
func (l *leakWatch) checkTree(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		l.check(t, "cache name "+rel, []byte(rel))
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			l.check(t, "cache file "+rel, data)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walking %s: %v", dir, err)
	}
}

func (l *leakWatch) report(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.found {
		t.Errorf("a password (or its basic-auth encoding) shows in %s", f)
	}
}

// procWatch reads the command line and environment of every descendant of
// the registered processes, every few milliseconds, until stopped.
type procWatch struct {
	leaks *leakWatch
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	mu    sync.Mutex
	roots map[int]bool
	seen  map[string]string // "pid/starttime" -> command line
}

func startProcWatch(leaks *leakWatch) *procWatch {
	w := &procWatch{leaks: leaks, done: make(chan struct{}), roots: map[int]bool{}, seen: map[string]string{}}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(4 * time.Millisecond)
		defer tick.Stop()
		for {
			w.scan()
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// add watches the descendants of pid, and checks pid's own command line.
func (w *procWatch) add(pid int) {
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		if i, ok := w.leaks.contains(cmdline); ok {
			w.leaks.mu.Lock()
			w.leaks.found = append(w.leaks.found, fmt.Sprintf("modproxy's own command line (secret #%d)", i))
			w.leaks.mu.Unlock()
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.roots[pid] = true
}

func (w *procWatch) stop() {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *procWatch) children() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

// sample is one command line seen, for the log.
func (w *procWatch) sample() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var all []string
	for _, c := range w.seen {
		all = append(all, c)
	}
	sort.Strings(all)
	if len(all) == 0 {
		return ""
	}
	return "e.g. " + strconv.Quote(all[0])
}

// scan finds the descendants of the roots through /proc/<pid>/stat (ppid)
// and checks each new one.
func (w *procWatch) scan() {
	w.mu.Lock()
	roots := make(map[int]bool, len(w.roots))
	for pid := range w.roots {
		roots[pid] = true
	}
	w.mu.Unlock()
	if len(roots) == 0 {
		return
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	type proc struct {
		ppid  int
		start string
	}
	procs := map[int]proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... field 22 is the start time.
		s := string(stat)
		close := strings.LastIndexByte(s, ')')
		if close < 0 {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 20 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		procs[pid] = proc{ppid: ppid, start: f[19]}
	}
	isDescendant := func(pid int) bool {
		for i := 0; i < 32 && pid > 1; i++ {
			p, ok := procs[pid]
			if !ok {
				return false
			}
			if roots[p.ppid] {
				return true
			}
			pid = p.ppid
		}
		return false
	}
	for pid, p := range procs {
		if !isDescendant(pid) {
			continue
		}
		key := strconv.Itoa(pid) + "/" + p.start
		w.mu.Lock()
		_, known := w.seen[key]
		w.mu.Unlock()
		if known {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a zombie: try again next time if still there
		}
		environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		line := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
		if i, ok := w.leaks.contains(cmdline); ok {
			w.leaks.mu.Lock()
			w.leaks.found = append(w.leaks.found, fmt.Sprintf("the command line of modproxy's child %d (secret #%d)", pid, i))
			w.leaks.mu.Unlock()
		}
		if i, ok := w.leaks.contains(environ); ok {
			w.leaks.mu.Lock()
			w.leaks.found = append(w.leaks.found, fmt.Sprintf("the environment of modproxy's child %d %q (secret #%d)", pid, line, i))
			w.leaks.mu.Unlock()
		}
		w.mu.Lock()
		w.seen[key] = line
		w.mu.Unlock()
	}
}

// zipH1 checks that z is a module zip (every name under prefix) and
// returns its h1 sum: the go command's hash of a zip (SHA-256 over the
// sorted lines "<sha256 hex>  <name>\n" of its files).
func zipH1(z []byte, prefix string) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		return "", err
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, prefix) {
			return "", fmt.Errorf("file %q outside %s", f.Name, prefix)
		}
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("%s: %v", f.Name, err)
		}
		files[f.Name] = data
	}
	if len(files) == 0 {
		return "", fmt.Errorf("empty zip")
	}
	return h1(files), nil
}

// modH1 is the h1 sum of a go.mod as the go command records it (/go.mod lines).
func modH1(mod []byte) string { return h1(map[string][]byte{"go.mod": mod}) }

func h1(files map[string][]byte) string {
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	summary := sha256.New()
	for _, name := range names {
		fmt.Fprintf(summary, "%x  %s\n", sha256.Sum256(files[name]), name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(summary.Sum(nil))
}
