package integration

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"modproxy/tests/internal/harness"
)

// mountTmpfs mounts a tmpfs of the given size on a fresh directory and
// unmounts it at the end (after modproxy, which was started later, is stopped).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fill writes a file until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := fh.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			break
		}
	}
	// A last partial page.
	for {
		if _, err := fh.Write(chunk[:1]); err != nil {
			break
		}
	}
	return p
}

// Disk full: a zip that does not fit leaves nothing behind, and the client
// never gets it whole: a 503 with a reason when the disk filled up before
// any byte was sent, else a 200 cut off mid-body (a zip miss streams while it
// downloads). A small file that cannot be cached is still served.
func TestDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	f := harness.Fixture(t)
	up := harness.Upstream(t, f.Tree)
	p := harness.Start(t, harness.Options{Upstream: up.URL, CacheDir: dir})
	big := f.Module(t, "example.com/big", "v1.0.0")
	if big.ZipSize <= 1<<20 {
		t.Fatalf("fixture zip of %d bytes would fit the 1 MiB tmpfs", big.ZipSize)
	}

	r, err := p.Client().DoErr("GET", big.URLPath("zip"))
	switch {
	case err != nil:
		t.Logf("zip larger than the free space: response cut off (%v)", err)
	case r.Status == 503:
		r.ExpectOneLineError(t)
		r.ExpectCacheHitHeader(t, "")
	default:
		t.Fatalf("zip larger than the free space: want 503 or a cut-off body, got %s", r)
	}
	harness.ExpectNoFile(t, dir, big.TreePath("zip"))
	if n, biggest := harness.TotalSize(dir); n > 256<<10 {
		t.Errorf("%d bytes left in the cache after the failed zip (largest %s): partial file not removed", n, biggest)
	}
	expectReason(t, p, []string{"storage"})

	filler := fill(t, dir)
	m := f.Module(t, "example.com/hello", "v1.0.0")
	info := p.Get(m.URLPath("info"))
	info.ExpectStatus(t, 200)
	if v, _ := infoOf(t, info); v != m.Version {
		t.Errorf(".info Version %q", v)
	}
	p.Get(m.URLPath("mod")).ExpectBody(t, f.Read(t, m.TreePath("mod")))
	p.Get("/example.com/hello/@v/list").ExpectStatus(t, 200)

	os.Remove(filler)
	p.Get(m.URLPath("mod")).ExpectBody(t, f.Read(t, m.TreePath("mod")))
	harness.ExpectLayout(t, dir)
}

// /readyz is 503 while the cache dir cannot be written, 200 again afterwards;
// /healthz stays 200.
func TestReadyzFollowsCacheWritability(t *testing.T) {
	dir := mountTmpfs(t, "1m")
	f := harness.Fixture(t)
	p := harness.Start(t, harness.Options{Upstream: harness.Upstream(t, f.Tree).URL, CacheDir: dir})
	p.Get("/readyz").ExpectStatus(t, 200)

	remount := func(mode string) {
		if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
			t.Fatalf("remount %s: %v %s", mode, err, out)
		}
	}
	remount("ro")
	t.Cleanup(func() { exec.Command("mount", "-o", "remount,rw", dir).Run() })
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := p.Get("/readyz")
		return r.Status == 503, fmt.Sprintf("/readyz %d on a read-only cache", r.Status)
	})
	p.Get("/healthz").ExpectStatus(t, 200)
	remount("rw")
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		r := p.Get("/readyz")
		return r.Status == 200, fmt.Sprintf("/readyz %d after the cache became writable again", r.Status)
	})
}
