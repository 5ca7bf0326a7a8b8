// Package gitserver builds a fixed set of git repositories with the git CLI
// and serves them on 127.0.0.1 the way a code host does for the go command:
// `?go-get=1` discovery pages with <meta name="go-import">, and git's smart
// HTTP protocol through `git http-backend`. The module paths live under
// fake hosts (git.example.test, files.example.test); clients reach them by
// using the server as their HTTP proxy (http_proxy), which it also is.
// CONNECT is refused at once (502), so https attempts fail fast and the go
// command falls back to http for GOINSECURE paths; EnableTLS (tls.go) makes
// chosen hosts https-only ones instead, behind CONNECT tunnels.
//
// Every request is recorded (method, host, path) for assertions such as
// "nothing ever asked for the private address". The repositories are also
// usable without the server, over file:// (Set.Dir).
package gitserver

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Request is one request as the server saw it.
type Request struct {
	Method  string
	Host    string // host name without the port: "git.example.test", "127.0.0.1"
	Path    string // decoded path
	Query   string // raw query
	Proxied bool   // sent to us as a proxy (absolute request-target) or CONNECT
	TLS     bool   // arrived through a CONNECT tunnel (EnableTLS)
}

func (r Request) String() string {
	s := r.Method + " " + r.Host + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	return s
}

// Server serves a Set. All methods are safe for concurrent use.
type Server struct {
	URL  string // http://127.0.0.1:PORT, also the proxy URL for clients
	Addr string // 127.0.0.1:PORT
	Set  *Set

	ln  net.Listener
	srv *http.Server
	git *cgi.Handler
	tls *tlsState // EnableTLS (tls.go)

	mu        sync.Mutex
	requests  []Request
	imports   map[string]string      // import root -> go-import content
	hostRepos map[string]string      // host -> repo URL template with {host} and {name}
	policies  map[string]*repoPolicy // repository name -> auth and delay (auth.go)
	extra     map[string]*Repo       // repositories added by AddRepo (auth.go)
}

// Start serves set on a free port of 127.0.0.1.
func Start(set *Set) (*Server, error) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return nil, err
	}
	home := filepath.Join(set.Dir, ".home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(), Set: set, ln: ln,
		imports: map[string]string{}, hostRepos: map[string]string{}}
	s.git = &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Dir:  set.Dir,
		// "Not a git repository" for a removed repository, and broken
		// pipes when a client gives up (a size limit), are expected.
		Stderr: io.Discard,
		Logger: log.New(io.Discard, "", 0),
		Env: append(CleanGitEnv(home), "GIT_PROJECT_ROOT="+set.Dir, "GIT_HTTP_EXPORT_ALL=1",
			"PATH="+os.Getenv("PATH")),
	}
	// The SSRF case: a public-looking path whose discovery page names a
	// repository on a loopback address.
	s.SetImport(SSRFRoot, "git", s.DirectURL("ssrf"))
	// The file:// variant: FileHost announces https URLs, which only work
	// for a client whose git config rewrites them to file:// (FileGitConfig).
	s.SetHostRepoURL(FileHost, "https://{host}/{name}.git")
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
	return s, nil
}

// SSRFRoot is the import path whose discovery page points at the server's
// own address (http://127.0.0.1:PORT/ssrf.git).
const SSRFRoot = Host + "/ssrf"

// FileGitConfig is a git config that sends every https URL of FileHost to
// the repositories' directory over file://, for a client whose HOME (or
// GIT_CONFIG_GLOBAL) holds it.
func (s *Set) FileGitConfig() string {
	return "[url \"file://" + s.Dir + "/\"]\n\tinsteadOf = https://" + FileHost + "/\n"
}

// Close stops the server; afterwards its port refuses connections.
func (s *Server) Close() { s.srv.Close() }

// ProxyEnv are the variables that make a client (the go command, git,
// libcurl, libgit2) reach the fake hosts through this server. Loopback
// addresses bypass it (libcurl, unlike Go, would otherwise proxy them too,
// and the other fixtures live there).
func (s *Server) ProxyEnv() []string {
	const direct = "127.0.0.1,localhost,::1"
	return []string{"http_proxy=" + s.URL, "https_proxy=" + s.URL, "HTTP_PROXY=" + s.URL,
		"HTTPS_PROXY=" + s.URL, "no_proxy=" + direct, "NO_PROXY=" + direct, "ALL_PROXY=", "all_proxy="}
}

// RepoURL is the http URL through which a repository is served under host
// (reached through the proxy).
func RepoURL(host, name string) string { return "http://" + host + "/" + name + ".git" }

// DirectURL is the URL of a repository on the server's own address (no
// proxy needed): a private address, as far as SSRF rules are concerned.
func (s *Server) DirectURL(name string) string { return s.URL + "/" + name + ".git" }

// SetImport makes the discovery page of every path at or below root answer
// `<meta name="go-import" content="root vcs url">`, instead of the default
// (root = host + first path element, git, RepoURL).
func (s *Server) SetImport(root, vcs, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.imports[root] = root + " " + vcs + " " + url
}

// LoopbackGit makes the discovery pages of Host announce repository URLs
// on the server's own address (http://127.0.0.1:PORT/<name>.git) instead of
// http://git.example.test/<name>.git, for git clients that cannot use an
// HTTP proxy for plain http: libgit2 1.5 uses a proxy only for https (a
// CONNECT tunnel) and resolves any http host itself, which fails for the
// fake hosts. The pages themselves are still reached through the proxy.
// The go command does not care which it gets (its answers are the same).
// SSRFRoot keeps its own page. Idempotent.
func (s *Server) LoopbackGit() {
	s.SetHostRepoURL(Host, s.URL+"/{name}.git")
}

// SetHostRepoURL changes the default repository URL announced by discovery
// pages of host; tmpl may use {host} and {name} ("https://{host}/{name}.git").
func (s *Server) SetHostRepoURL(host, tmpl string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostRepos[host] = tmpl
}

// Remove deletes a repository: from now on git answers "not found" for it
// (discovery still answers, as code hosts do for any path).
func (s *Server) Remove(name string) error {
	return os.RemoveAll(s.Set.Repo(name).Dir)
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestsMatching returns the requests whose String() matches the regexp.
func (s *Server) RequestsMatching(pattern string) []Request {
	re := regexp.MustCompile(pattern)
	var out []Request
	for _, r := range s.Requests() {
		if re.MatchString(r.String()) {
			out = append(out, r)
		}
	}
	return out
}

// gitPathRE is a smart-HTTP request: /<name>.git/<service path>.
var gitPathRE = regexp.MustCompile(`^/([A-Za-z0-9_.-]+)\.git(/.*)?$`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	req := Request{Method: r.Method, Host: host, Path: r.URL.Path, Query: r.URL.RawQuery,
		Proxied: r.Method == http.MethodConnect || r.URL.IsAbs(), TLS: r.TLS != nil}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	switch {
	case r.Method == http.MethodConnect:
		if s.tunnel(w, r) {
			return
		}
		// No TLS here: fail the https attempt at once.
		http.Error(w, "gitserver: CONNECT refused (plain http only)", http.StatusBadGateway)
	case host != "127.0.0.1" && !strings.HasSuffix(host, ".example.test"):
		http.Error(w, "gitserver: unknown host "+host, http.StatusBadGateway)
	case gitPathRE.MatchString(r.URL.Path):
		if s.allowGit(w, r) {
			s.serveGit(w, r)
		}
	case r.URL.Query().Get("go-get") == "1":
		s.serveDiscovery(w, host, r.URL.Path)
	default:
		http.NotFound(w, r)
	}
}

// serveGit hands the request to git http-backend. The body is read first:
// net/http/cgi refuses chunked request bodies, which git and libgit2 may send.
func (s *Server) serveGit(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.TransferEncoding = nil
	r2.Header.Del("Transfer-Encoding")
	// Proxy requests carry an absolute URL; CGI wants the path only.
	r2.URL.Scheme, r2.URL.Host = "", ""
	s.git.ServeHTTP(w, r2)
}

func (s *Server) serveDiscovery(w http.ResponseWriter, host, path string) {
	importPath := host + strings.TrimSuffix(path, "/")
	s.mu.Lock()
	content := ""
	var roots []string
	for root := range s.imports {
		roots = append(roots, root)
	}
	sort.Strings(roots)
	for _, root := range roots {
		if importPath == root || strings.HasPrefix(importPath, root+"/") {
			content = s.imports[root]
		}
	}
	tmpl := s.hostRepos[host]
	s.mu.Unlock()
	if content == "" {
		elems := strings.Split(strings.Trim(path, "/"), "/")
		if elems[0] == "" {
			http.NotFound(w, nil)
			return
		}
		if tmpl == "" {
			tmpl = "http://{host}/{name}.git"
		}
		url := strings.NewReplacer("{host}", host, "{name}", elems[0]).Replace(tmpl)
		content = host + "/" + elems[0] + " git " + url
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head>\n<meta name=\"go-import\" content=\"%s\">\n</head><body>go get %s</body></html>\n",
		html.EscapeString(content), html.EscapeString(importPath))
}
