package gitserver

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// CleanGitEnv is an environment for git that reads no configuration but
// what home holds: no system config, no user config of whoever runs the
// tests, no proxy, no askpass, never a prompt.
func CleanGitEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name := kv
		if i := strings.IndexByte(kv, '='); i >= 0 {
			name = kv[:i]
		}
		switch {
		case strings.HasPrefix(name, "GIT_"), name == "HOME", name == "XDG_CONFIG_HOME",
			strings.EqualFold(name, "http_proxy"), strings.EqualFold(name, "https_proxy"),
			strings.EqualFold(name, "all_proxy"), strings.EqualFold(name, "no_proxy"),
			name == "SSH_ASKPASS", name == "EMAIL":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"))
}

// epoch is the committer time of the first commit of every repository; each
// commit is one hour later than the one before. Author dates are a day
// earlier than committer dates, so that code using the author date (wrong:
// pseudo-versions and .info use the committer date) cannot pass.
var epoch = time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)

// work is a non-bare repository being built; finish() clones it into the
// served bare repository.
type work struct {
	dir   string
	env   []string
	clock int // commits so far (drives the dates)
	err   error
}

func newWork(dir, home string) *work {
	w := &work{dir: dir, env: CleanGitEnv(home)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		w.err = err
		return w
	}
	w.git("init", "-q", "-b", "main")
	return w
}

// git runs git in the work tree; the first error sticks (later calls do nothing).
func (w *work) git(args ...string) string {
	if w.err != nil {
		return ""
	}
	out, err := runGit(w.dir, w.env, args...)
	if err != nil {
		w.err = err
	}
	return out
}

// Git runs git in dir with a clean environment (no user or system config)
// and returns its trimmed output.
func Git(dir string, args ...string) (string, error) {
	home, err := os.MkdirTemp("", "gitserver-home-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(home)
	return runGit(dir, CleanGitEnv(home), args...)
}

func runGit(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, errOut.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// write creates or replaces files (name -> content, slash-separated names).
func (w *work) write(files map[string]string) {
	for name, content := range files {
		if w.err != nil {
			return
		}
		p := filepath.Join(w.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			w.err = err
			return
		}
		w.err = os.WriteFile(p, []byte(content), 0o644)
	}
}

func (w *work) remove(names ...string) {
	for _, name := range names {
		w.git("rm", "-q", "-r", "--", name)
	}
}

func (w *work) symlink(target, name string) {
	if w.err == nil {
		w.err = os.Symlink(target, filepath.Join(w.dir, filepath.FromSlash(name)))
	}
}

// random writes n bytes of seeded pseudo-random (incompressible, but
// reproducible) data.
func (w *work) random(name string, n int, seed int64) {
	data := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(data)
	w.write(map[string]string{name: string(data)})
}

// commit stages everything and commits with the next date; tz is the
// committer's zone ("+0000", "+0530"), which must not leak into
// pseudo-versions (they are UTC). It returns the full hash.
func (w *work) commit(msg string, tz ...string) string {
	zone := "+0000"
	if len(tz) > 0 {
		zone = tz[0]
	}
	committed := epoch.Add(time.Duration(w.clock) * time.Hour)
	w.clock++
	w.git("add", "-A")
	w.dated(committed, zone, "commit", "-q", "--allow-empty", "-m", msg)
	return w.git("rev-parse", "HEAD")
}

func (w *work) dated(committed time.Time, zone string, args ...string) string {
	if w.err != nil {
		return ""
	}
	env := append(append([]string(nil), w.env...),
		"GIT_AUTHOR_NAME=Author", "GIT_AUTHOR_EMAIL=author@example.test",
		"GIT_COMMITTER_NAME=Committer", "GIT_COMMITTER_EMAIL=committer@example.test",
		fmt.Sprintf("GIT_AUTHOR_DATE=%d +0000", committed.Add(-24*time.Hour).Unix()),
		fmt.Sprintf("GIT_COMMITTER_DATE=%d %s", committed.Unix(), zone))
	out, err := runGit(w.dir, env, args...)
	if err != nil {
		w.err = err
	}
	return out
}

// tag makes a lightweight tag on HEAD.
func (w *work) tag(name string) { w.git("tag", name) }

// annotated makes an annotated tag on HEAD (the served ref peels to the commit).
func (w *work) annotated(name string) {
	w.dated(epoch.Add(time.Duration(w.clock)*time.Hour), "+0000", "tag", "-a", "-m", "release "+name, name)
}

func (w *work) branch(name string)   { w.git("branch", name) }
func (w *work) checkout(name string) { w.git("checkout", "-q", name) }
func (w *work) checkoutNew(name, from string) {
	w.git("checkout", "-q", "-b", name, from)
}

// finish clones the work repository into bare (HEAD = the branch checked
// out now) and forgets where it came from.
func (w *work) finish(bare string) error {
	if w.err != nil {
		return w.err
	}
	if _, err := runGit(filepath.Dir(bare), w.env, "clone", "-q", "--bare", "--no-local", w.dir, bare); err != nil {
		return err
	}
	if _, err := runGit(bare, w.env, "remote", "remove", "origin"); err != nil {
		return err
	}
	return nil
}
