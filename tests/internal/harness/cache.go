package harness

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// layoutRE is every name the contract allows outside the .modproxy/ bookkeeping
// directory: a GOPROXY tree (so the cache works as GOPROXY=file://) plus sumdb/.
var layoutRE = regexp.MustCompile(`^(` +
	`sumdb/[^/]+/(latest|supported|lookup/.+|tile/.+)` + `|` +
	`[^.][^/]*(/[^/]+)*/(@v/list|@v/[^/]+\.(info|mod|zip)|@latest)` +
	`)$`)

// CacheFiles lists the regular files under dir outside .modproxy/, as
// slash-separated relative paths.
func CacheFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == ".modproxy" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking cache %s: %v", dir, err)
	}
	return out
}

// ExpectLayout fails for any file outside .modproxy/ that is not a GOPROXY-tree
// or sumdb name.
func ExpectLayout(t testing.TB, dir string) {
	t.Helper()
	for _, f := range CacheFiles(t, dir) {
		if !layoutRE.MatchString(f) {
			t.Errorf("cache file %q is neither GOPROXY layout nor under .modproxy/", f)
		}
	}
}

// ExpectNoFile fails if the cache holds rel (a tree path) under its final name.
func ExpectNoFile(t testing.TB, dir, rel string) {
	t.Helper()
	if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err == nil {
		t.Errorf("cache has %s (%d bytes) under its final name after a failed fetch", rel, st.Size())
	}
}

// ReadCache returns the cached file rel, or nil if it does not exist.
func ReadCache(dir, rel string) []byte {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil
	}
	return data
}

// TotalSize is the number of bytes in regular files under dir, bookkeeping included.
func TotalSize(dir string) (n int64, biggest string) {
	var max int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
				if info.Size() > max {
					max, biggest = info.Size(), strings.TrimPrefix(p, dir)
				}
			}
		}
		return nil
	})
	return n, biggest
}
