package gitserver

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Host is the fake host the standard repositories are served under over
// HTTP (git.example.test/<name>); FileHost is the one the file:// variant
// uses (files.example.test/<name>, see FileGitConfig).
const (
	Host     = "git.example.test"
	FileHost = "files.example.test"
)

// Repo is one bare repository under Set.Dir.
type Repo struct {
	Name string // "tags": served as <host>/tags, stored as <Set.Dir>/tags.git
	Dir  string // absolute path of the bare repository
	// Modules are the module paths the repository holds, relative to the
	// host ("tags", "tags/sub", "major/v2").
	Modules []string
	// Queries are the extra revision queries worth asking per module
	// (relative path -> branch names and short hashes), besides @latest and
	// the listed versions.
	Queries map[string][]string
	// Commits are full hashes by label ("main", "v1.1.0", "meta", ...).
	Commits map[string]string
	// Kind is "" for repositories every client can use; otherwise it names
	// the bad case ("badname", "vanish", "large", "ssrf") and the
	// repository is kept out of Set.Good.
	Kind string
}

// Module is the full module path of rel under host.
func Module(host, rel string) string { return host + "/" + rel }

// Set is the standard set of repositories.
type Set struct {
	Dir   string // holds <name>.git for every repository (file:// root)
	Repos map[string]*Repo
}

// Good lists the repositories every client should handle, by name.
func (s *Set) Good() []*Repo {
	var out []*Repo
	for _, r := range s.Repos {
		if r.Kind == "" {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Repo returns the named repository; it panics on an unknown name (a typo in a test).
func (s *Set) Repo(name string) *Repo {
	r, ok := s.Repos[name]
	if !ok {
		panic("gitserver: no repository " + name)
	}
	return r
}

// FileURL is the file:// URL of a repository of the set.
func (s *Set) FileURL(name string) string { return "file://" + filepath.Join(s.Dir, name+".git") }

// builder makes one repository; it returns its modules, queries and commits.
type builder func(w *work, host string) (modules []string, queries map[string][]string, commits map[string]string)

var builders = map[string]struct {
	kind  string
	build builder
}{
	"tags":     {"", buildTags},
	"major":    {"", buildMajor},
	"majorsub": {"", buildMajorSub},
	"legacy":   {"", buildLegacy},
	"retract":  {"", buildRetract},
	"private":  {"", buildPrivate},
	"badname":  {"badname", buildBadName},
	"vanish":   {"vanish", buildSimple("vanish")},
	"ssrf":     {"ssrf", buildSimple("ssrf")},
	"large":    {"large", buildLarge},
}

// Build creates every standard repository under dir (which must be empty
// or not exist). Contents, dates and therefore hashes are the same on every
// run. The go.mod files name the modules under Host; served under FileHost
// too (the file:// variant), their module paths differ from the go.mod
// lines, which neither the go command nor a proxy checks (only the major
// suffix is compared), so both sides of a comparison see the same thing.
func Build(dir string) (*Set, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	scratch := filepath.Join(dir, ".work")
	home := filepath.Join(scratch, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	set := &Set{Dir: dir, Repos: map[string]*Repo{}}
	type result struct {
		repo *Repo
		err  error
	}
	results := make(chan result)
	for name, b := range builders {
		name, b := name, b
		go func() {
			w := newWork(filepath.Join(scratch, name), home)
			mods, queries, commits := b.build(w, Host)
			r := &Repo{Name: name, Dir: filepath.Join(dir, name+".git"), Modules: mods,
				Queries: queries, Commits: commits, Kind: b.kind}
			err := w.finish(r.Dir)
			if err != nil {
				err = fmt.Errorf("repository %s: %w", name, err)
			}
			results <- result{r, err}
		}()
	}
	var firstErr error
	for range builders {
		res := <-results
		if res.err != nil && firstErr == nil {
			firstErr = res.err
		}
		set.Repos[res.repo.Name] = res.repo
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if err := os.RemoveAll(scratch); err != nil {
		return nil, err
	}
	return set, nil
}

func gomod(host, rel string, extra ...string) string {
	s := "module " + Module(host, rel) + "\n\ngo 1.19\n"
	for _, e := range extra {
		s += "\n" + e + "\n"
	}
	return s
}

func short(hash string) string {
	if len(hash) < 12 {
		return hash
	}
	return hash[:12]
}

// buildTags: one module at the root plus one in sub/ with prefixed tags;
// lightweight and annotated tags; tags the go command ignores (v1.2,
// v1.2.3+meta); a prerelease; branches ahead of the last tag (for
// pseudo-versions on a release and on a prerelease base); and, from v1.1.0
// on, every file the zip rules drop or that git archive converts.
func buildTags(w *work, host string) ([]string, map[string][]string, map[string]string) {
	c := map[string]string{}
	w.write(map[string]string{
		"go.mod":  gomod(host, "tags"),
		"tags.go": "package tags\n\nfunc Version() string { return \"v0.1.0\" }\n",
		"LICENSE": "Copyright 2023 The Tags Authors. Fictional licence for tests.\n",
	})
	c["v0.1.0"] = w.commit("v0.1.0")
	w.tag("v0.1.0")

	w.write(map[string]string{
		"tags.go":    "package tags\n\nfunc Version() string { return \"v1.0.0\" }\n",
		"sub/go.mod": gomod(host, "tags/sub"),
		"sub/sub.go": "package sub\n\nconst Name = \"sub v0.1.0\"\n",
	})
	c["v1.0.0"] = w.commit("v1.0.0 and sub/v0.1.0")
	w.annotated("v1.0.0")
	w.annotated("sub/v0.1.0")
	w.tag("v1.2") // not canonical: never a version

	w.write(map[string]string{
		"tags.go":                     "package tags\n\nfunc Version() string { return \"v1.1.0\" }\n",
		"sub/sub.go":                  "package sub\n\nconst Name = \"sub v0.2.0\"\n",
		"vendor/modules.txt":          "# example.com/dep v1.0.0\nexample.com/dep\n",
		"vendor/example.com/dep/d.go": "package dep\n",
		"nested/go.mod":               gomod(host, "tags/nested"),
		"nested/n.go":                 "package nested\n",
		".gitattributes":              "*.txt eol=crlf\n*.dat -text\nident.go ident\n",
		"notes.txt":                   "line one\nline two\n",
		"blob.dat":                    "keep\r\nas is\n",
		"ident.go":                    "package tags\n\n// $Id$\n",
	})
	w.symlink("tags.go", "link.go")
	c["v1.1.0"] = w.commit("v1.1.0: vendor, nested module, symlink, gitattributes")
	w.annotated("v1.1.0")
	w.tag("sub/v0.2.0")

	w.write(map[string]string{"tags.go": "package tags\n\nfunc Version() string { return \"v1.2.0-rc.1\" }\n"})
	c["v1.2.0-rc.1"] = w.commit("v1.2.0-rc.1")
	w.tag("v1.2.0-rc.1")
	w.write(map[string]string{"tags.go": "package tags\n\nfunc Version() string { return \"v1.2.0\" }\n"})
	c["v1.2.0"] = w.commit("v1.2.0")
	w.annotated("v1.2.0")

	w.write(map[string]string{"more.go": "package tags\n\nconst More = 1\n"})
	c["meta"] = w.commit("only a non-canonical tag")
	w.tag("v1.2.3+meta")
	w.write(map[string]string{"more.go": "package tags\n\nconst More = 2\n"})
	c["main"] = w.commit("main, ahead of v1.2.0, committed east of UTC", "+0530")

	w.checkoutNew("next", "main")
	w.write(map[string]string{"more.go": "package tags\n\nconst More = 3\n"})
	c["v1.3.0-rc.1"] = w.commit("v1.3.0-rc.1")
	w.tag("v1.3.0-rc.1")
	w.write(map[string]string{"more.go": "package tags\n\nconst More = 4\n"})
	c["next"] = w.commit("next, ahead of a prerelease")

	w.checkoutNew("feature", c["v1.0.0"])
	w.write(map[string]string{"feature.go": "package tags\n\nconst Feature = true\n"})
	c["feature"] = w.commit("feature, ahead of v1.0.0")
	w.checkout("main")

	return []string{"tags", "tags/sub"}, map[string][]string{
		"tags":     {"main", "feature", "next", short(c["meta"]), c["v1.1.0"][:7], c["main"][:9]},
		"tags/sub": {"main", "feature"},
	}, c
}

// buildMajor: the major-branch layout: v1 tags with go.mod "major", v2 tags
// with go.mod "major/v2" at the root, a v1 maintenance branch.
func buildMajor(w *work, host string) ([]string, map[string][]string, map[string]string) {
	c := map[string]string{}
	w.write(map[string]string{"go.mod": gomod(host, "major"), "m.go": "package major\n\nconst V = 1\n"})
	c["v1.0.0"] = w.commit("v1.0.0")
	w.annotated("v1.0.0")
	w.branch("maint-v1")
	w.write(map[string]string{"go.mod": gomod(host, "major/v2"), "m.go": "package major\n\nconst V = 2\n"})
	c["v2.0.0"] = w.commit("v2.0.0")
	w.tag("v2.0.0")
	w.write(map[string]string{"m.go": "package major\n\nconst V = 21\n"})
	c["v2.1.0"] = w.commit("v2.1.0")
	w.annotated("v2.1.0")
	w.write(map[string]string{"m.go": "package major\n\nconst V = 22\n"})
	c["main"] = w.commit("main, ahead of v2.1.0")
	w.checkout("maint-v1")
	w.write(map[string]string{"m.go": "package major\n\nconst V = 11\n"})
	c["maint-v1"] = w.commit("v1 maintenance, ahead of v1.0.0")
	w.checkout("main")
	return []string{"major", "major/v2"}, map[string][]string{
		"major":    {"maint-v1"},
		"major/v2": {"main"},
	}, c
}

// buildMajorSub: the major-subdirectory layout: v2/go.mod says "majorsub/v2"
// and the v2 tags are plain (no prefix); the root module excludes v2/.
func buildMajorSub(w *work, host string) ([]string, map[string][]string, map[string]string) {
	c := map[string]string{}
	w.write(map[string]string{"go.mod": gomod(host, "majorsub"), "ms.go": "package majorsub\n",
		"LICENSE": "Fictional licence for majorsub.\n"})
	c["v1.0.0"] = w.commit("v1.0.0")
	w.tag("v1.0.0")
	w.write(map[string]string{"v2/go.mod": gomod(host, "majorsub/v2"), "v2/ms.go": "package majorsub\n\nconst V = 2\n"})
	c["v2.0.0"] = w.commit("v1.1.0 and v2.0.0 in v2/")
	w.tag("v1.1.0")
	w.annotated("v2.0.0")
	w.write(map[string]string{"v2/ms.go": "package majorsub\n\nconst V = 3\n"})
	c["main"] = w.commit("main, ahead")
	return []string{"majorsub", "majorsub/v2"}, map[string][]string{
		"majorsub":    {"main"},
		"majorsub/v2": {"main"},
	}, c
}

// buildLegacy: no go.mod at all, tags up to v3: +incompatible versions and
// a +incompatible pseudo-version.
func buildLegacy(w *work, host string) ([]string, map[string][]string, map[string]string) {
	c := map[string]string{}
	for i, v := range []string{"v1.0.0", "v2.0.0", "v3.0.0"} {
		w.write(map[string]string{"legacy.go": fmt.Sprintf("package legacy\n\nconst V = %d\n", i+1)})
		c[v] = w.commit(v)
		if i == 2 {
			w.annotated(v)
		} else {
			w.tag(v)
		}
	}
	w.write(map[string]string{"legacy.go": "package legacy\n\nconst V = 4\n"})
	c["main"] = w.commit("main, ahead of v3.0.0")
	return []string{"legacy"}, map[string][]string{"legacy": {"main", c["v2.0.0"][:8]}}, c
}

// buildRetract: v1.2.0's go.mod retracts v1.1.0 and v1.2.0 itself, so the
// latest usable version is v1.0.0.
func buildRetract(w *work, host string) ([]string, map[string][]string, map[string]string) {
	c := map[string]string{}
	w.write(map[string]string{"go.mod": gomod(host, "retract"), "r.go": "package retract\n"})
	c["v1.0.0"] = w.commit("v1.0.0")
	w.tag("v1.0.0")
	w.write(map[string]string{"r.go": "package retract\n\nconst Broken = true\n"})
	c["v1.1.0"] = w.commit("v1.1.0")
	w.tag("v1.1.0")
	w.write(map[string]string{"go.mod": gomod(host, "retract",
		"retract (\n\tv1.1.0 // broken\n\tv1.2.0 // published by mistake\n)")})
	c["v1.2.0"] = w.commit("v1.2.0 retracts v1.1.0 and itself")
	w.annotated("v1.2.0")
	return []string{"retract"}, map[string][]string{"retract": {"main"}}, c
}

// buildPrivate: a small importable package for the private-module e2e test.
func buildPrivate(w *work, host string) ([]string, map[string][]string, map[string]string) {
	c := map[string]string{}
	w.write(map[string]string{"go.mod": gomod(host, "private"),
		"private.go": "package private\n\n// Secret is what the consumer prints.\nfunc Secret() string { return \"private v1.0.0\" }\n"})
	c["v1.0.0"] = w.commit("v1.0.0")
	w.annotated("v1.0.0")
	return []string{"private"}, nil, c
}

// buildBadName: v1.0.0 is fine; v1.1.0 holds a file named "a:b.go" and
// v1.2.0 two names differing only in case: both are unbuildable as zips,
// while the list and .info/.mod still work.
func buildBadName(w *work, host string) ([]string, map[string][]string, map[string]string) {
	c := map[string]string{}
	w.write(map[string]string{"go.mod": gomod(host, "badname"), "ok.go": "package badname\n"})
	c["v1.0.0"] = w.commit("v1.0.0")
	w.tag("v1.0.0")
	w.write(map[string]string{"a:b.go": "package badname\n"})
	c["v1.1.0"] = w.commit("v1.1.0 with an invalid file name")
	w.tag("v1.1.0")
	w.remove("a:b.go")
	w.write(map[string]string{"Case.go": "package badname\n", "case.go": "package badname\n"})
	c["v1.2.0"] = w.commit("v1.2.0 with a case collision")
	w.tag("v1.2.0")
	return []string{"badname"}, nil, c
}

// buildSimple: one module with v1.0.0 and nothing else.
func buildSimple(name string) builder {
	return func(w *work, host string) ([]string, map[string][]string, map[string]string) {
		w.write(map[string]string{"go.mod": gomod(host, name), name + ".go": "package " + name + "\n"})
		c := map[string]string{"v1.0.0": w.commit("v1.0.0")}
		w.tag("v1.0.0")
		return []string{name}, nil, c
	}
}

// LargeBytes is the size of the incompressible file in the "large" repository.
const LargeBytes = 3 << 20

// buildLarge: v1.0.0 carries 3 MiB of incompressible data, for size limits.
func buildLarge(w *work, host string) ([]string, map[string][]string, map[string]string) {
	w.write(map[string]string{"go.mod": gomod(host, "large"), "large.go": "package large\n"})
	w.random("data.bin", LargeBytes, 5)
	c := map[string]string{"v1.0.0": w.commit("v1.0.0")}
	w.tag("v1.0.0")
	return []string{"large"}, nil, c
}
