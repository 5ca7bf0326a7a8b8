package integration

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"modproxy/tests/fixtures/upstream"
	"modproxy/tests/internal/harness"
)

// kill -9 while a zip is half downloaded: after a restart on the same cache
// there is no partial file under a final name and the next request succeeds.
func TestKill9DuringZipFetch(t *testing.T) {
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	cache := t.TempDir()
	big := f.Module(t, "example.com/big", "v1.0.0")
	zipPath := "/" + big.TreePath("zip")
	up.Handle("^"+zipPath+"$", upstream.Rule{Fault: upstream.StallAfter, StallAfter: int(big.ZipSize / 2)})

	p := harness.Start(t, harness.Options{Upstream: up.URL, CacheDir: cache, Args: []string{"--upstream-timeout", "60s"}})
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Client().DoErr("GET", big.URLPath("zip")) // dies with the process
	}()
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		return up.Stalled(zipPath) == 1, "upstream has not sent half the zip yet"
	})
	// modproxy may stream to a temp file or buffer in memory; give a temp file
	// the chance to hold the first half, but do not insist on one.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := harness.TotalSize(cache); n >= big.ZipSize/4 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	size, biggest := harness.TotalSize(cache)
	t.Logf("cache holds %d bytes at kill time (largest file %s)", size, biggest)
	p.Kill()
	<-done

	harness.ExpectNoFile(t, cache, big.TreePath("zip"))
	expectCompleteFiles(t, f, cache)

	up.ClearRules()
	p2 := harness.Start(t, harness.Options{Upstream: up.URL, CacheDir: cache})
	p2.Get(big.URLPath("zip")).ExpectBody(t, f.Read(t, big.TreePath("zip")))
	p2.Get(big.URLPath("info")).ExpectStatus(t, 200)
	expectCompleteFiles(t, f, cache)
	harness.ExpectLayout(t, cache)
	// Leftover temp files are allowed (they are bookkeeping), but worth seeing.
	n, biggest := harness.TotalSize(filepath.Join(cache, ".modproxy"))
	t.Logf(".modproxy holds %d bytes after the restart (largest %s)", n, biggest)
}

// expectCompleteFiles checks every .mod/.zip under a final name is byte-identical to the fixture.
func expectCompleteFiles(t *testing.T, f *harness.Fixtures, cache string) {
	t.Helper()
	for _, rel := range harness.CacheFiles(t, cache) {
		if !strings.HasSuffix(rel, ".zip") && !strings.HasSuffix(rel, ".mod") {
			continue
		}
		if !bytes.Equal(harness.ReadCache(cache, rel), f.Read(t, rel)) {
			t.Errorf("cache file %s is not the complete upstream file", rel)
		}
	}
}
