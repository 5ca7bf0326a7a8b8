package gitserver

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Per-repository policies for the smart-HTTP side, for tests about
// credentials: a repository may require HTTP basic auth, and may answer
// slowly (so that a test can watch the client while it fetches). Discovery
// pages are never restricted, as on code hosts that serve them to anyone.

// repoPolicy is what applies to one repository's git requests.
type repoPolicy struct {
	user, password string // both empty: no authentication required
	delay          time.Duration
	accepted       int // requests that carried the right credentials
	wrong          int // requests answered 401 that carried other credentials
	missing        int // requests answered 401 that carried none
}

// policy returns the policy of a repository, creating it; s.mu must be held.
func (s *Server) policy(name string) *repoPolicy {
	if s.policies == nil {
		s.policies = map[string]*repoPolicy{}
	}
	p := s.policies[name]
	if p == nil {
		p = &repoPolicy{}
		s.policies[name] = p
	}
	return p
}

// RequireAuth makes every git request for the repository name (served as
// /<name>.git) need HTTP basic auth with user and password: without them,
// or with others, the answer is 401 with WWW-Authenticate: Basic. Other
// repositories are unaffected.
func (s *Server) RequireAuth(name, user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.policy(name)
	p.user, p.password = user, password
}

// DelayGit makes every git request for the repository name wait d before
// it is answered (0: no delay).
func (s *Server) DelayGit(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy(name).delay = d
}

// AuthCounts says how many git requests for the repository name carried
// the credentials RequireAuth asked for, how many were refused for other
// credentials, and how many for carrying none (git clients send their
// first request without any, and credentials only after the 401).
func (s *Server) AuthCounts(name string) (accepted, wrong, missing int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.policies[name]; p != nil {
		return p.accepted, p.wrong, p.missing
	}
	return 0, 0, 0
}

// allowGit applies the repository's policy to a git request: it waits the
// delay, then either lets the request through (true) or answers 401 (false).
func (s *Server) allowGit(w http.ResponseWriter, r *http.Request) bool {
	m := gitPathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return true
	}
	name := m[1]
	s.mu.Lock()
	p := s.policies[name]
	var delay time.Duration
	var user, password string
	if p != nil {
		delay, user, password = p.delay, p.user, p.password
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return false
		}
	}
	if user == "" && password == "" {
		return true
	}
	u, pw, ok := r.BasicAuth()
	good := ok && u == user && pw == password
	s.mu.Lock()
	switch {
	case good:
		p.accepted++
	case ok:
		p.wrong++
	default:
		p.missing++
	}
	s.mu.Unlock()
	if !good {
		w.Header().Set("WWW-Authenticate", `Basic realm="gitserver"`)
		http.Error(w, "gitserver: authentication required for "+name+".git", http.StatusUnauthorized)
	}
	return good
}

var extraMu sync.Mutex // serialises AddRepo (it runs git)

// AddRepo creates, once per server and name, one more repository beside
// the standard set: module Host/<name> with v1.0.0 and v1.1.0 (lightweight
// and annotated tags), served like the others but not part of Set.Repos
// (so Set.Good and the standard specs stay the same). Calling it again
// returns the same repository.
func (s *Server) AddRepo(name string) (*Repo, error) {
	extraMu.Lock()
	defer extraMu.Unlock()
	s.mu.Lock()
	r := s.extra[name]
	s.mu.Unlock()
	if r != nil {
		return r, nil
	}
	if _, standard := s.Set.Repos[name]; standard {
		return nil, fmt.Errorf("gitserver: %s is a standard repository", name)
	}
	scratch, err := os.MkdirTemp(s.Set.Dir, ".extra-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	home := filepath.Join(scratch, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	w := newWork(filepath.Join(scratch, name), home)
	c := map[string]string{}
	w.write(map[string]string{"go.mod": gomod(Host, name),
		name + ".go": "package " + name + "\n\nconst V = 1\n"})
	c["v1.0.0"] = w.commit("v1.0.0")
	w.tag("v1.0.0")
	w.write(map[string]string{name + ".go": "package " + name + "\n\nconst V = 2\n"})
	c["v1.1.0"] = w.commit("v1.1.0")
	w.annotated("v1.1.0")
	r = &Repo{Name: name, Dir: filepath.Join(s.Set.Dir, name+".git"), Modules: []string{name},
		Commits: c, Kind: "extra"}
	if err := w.finish(r.Dir); err != nil {
		return nil, fmt.Errorf("repository %s: %w", name, err)
	}
	s.mu.Lock()
	if s.extra == nil {
		s.extra = map[string]*Repo{}
	}
	s.extra[name] = r
	s.mu.Unlock()
	return r, nil
}
