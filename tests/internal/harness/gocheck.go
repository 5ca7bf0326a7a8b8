package harness

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// downloadResult is the part of `go mod download -json` output checked here.
type downloadResult struct {
	Path, Version, Error string
	Sum, GoModSum        string
	Zip, GoMod           string
}

// Download runs `go mod download -json` for mods (outside any module) and
// checks that the go command computed the h1 hashes x/mod computed when the
// fixtures were generated: the bytes went through unchanged.
func (e *GoEnv) Download(t testing.TB, mods ...Module) {
	t.Helper()
	args := []string{"mod", "download", "-json"}
	for _, m := range mods {
		args = append(args, m.Path+"@"+m.Version)
	}
	out := e.Run(t, t.TempDir(), args...)
	got := map[string]downloadResult{}
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var r downloadResult
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go mod download -json output: %v\n%s", err, out)
		}
		got[r.Path+"@"+r.Version] = r
	}
	for _, m := range mods {
		r, ok := got[m.Path+"@"+m.Version]
		switch {
		case !ok:
			t.Errorf("go mod download: no result for %s@%s\n%s", m.Path, m.Version, out)
		case r.Error != "":
			t.Errorf("go mod download %s@%s: %s", m.Path, m.Version, r.Error)
		case r.Sum != m.ZipHash || r.GoModSum != m.ModHash:
			t.Errorf("go mod download %s@%s: Sum %s GoModSum %s, want %s %s (fixture)",
				m.Path, m.Version, r.Sum, r.GoModSum, m.ZipHash, m.ModHash)
		}
	}
}

// Versions runs `go list -m -versions path` and returns the versions.
func (e *GoEnv) Versions(t testing.TB, path string) []string {
	t.Helper()
	f := strings.Fields(e.Run(t, t.TempDir(), "list", "-m", "-versions", path))
	if len(f) == 0 || f[0] != path {
		t.Fatalf("go list -m -versions %s: unexpected output %q", path, f)
	}
	return f[1:]
}

// Latest runs `go list -m -json path@latest` and returns the version.
func (e *GoEnv) Latest(t testing.TB, path string) string {
	t.Helper()
	out := e.Run(t, t.TempDir(), "list", "-m", "-json", path+"@latest")
	var r struct{ Version, Time string }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("go list -m -json %s@latest: %v\n%s", path, err, out)
	}
	return r.Version
}

// ConsumerOutput is what the consumer program prints when built against the
// fixtures (example.com/hello v1.1.0 wrapped with github.com/pkg/errors).
const ConsumerOutput = "consumer: hello v1.1.0\n"

// BuildConsumer writes a small module importing github.com/pkg/errors and
// example.com/hello (without a go.sum, so every hash is fetched and checked),
// builds it with `go build` and returns what the program prints.
func (e *GoEnv) BuildConsumer(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/consumer\n\ngo 1.19\n\nrequire (\n" +
			"\texample.com/hello v1.1.0\n\tgithub.com/pkg/errors v0.9.1\n)\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/hello\"\n\t\"github.com/pkg/errors\"\n)\n\n" +
			"func main() { fmt.Println(errors.Wrap(errors.New(hello.Hello()), \"consumer\")) }\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "consumer")
	e.Run(t, dir, "build", "-o", bin, ".")
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("consumer: %v\n%s", err, out)
	}
	return string(out)
}
