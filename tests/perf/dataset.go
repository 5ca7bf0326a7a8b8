package main

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// datasetFormat changes whenever the generated files change; a cached data
// set with another stamp is regenerated.
const datasetFormat = 1

// datasetSpec describes one generated GOPROXY tree.
type datasetSpec struct {
	Format   int
	Prefix   string // module paths are <Prefix>/mNNNNN (some with an uppercase element)
	Modules  int
	Versions int   // per module: v1.0.0, v1.0.1, ...
	Zips     int   // extra modules with one version and a .zip each
	ZipMin   int64 // zip sizes spread log-uniformly over [ZipMin, ZipMax]
	ZipMax   int64
	ZipFew   int // how many smallest / largest zips go into paths-zip-20k / -5m
}

// dataset is a generated tree plus the request-path files for the load generator.
type dataset struct {
	Spec    datasetSpec
	Dir     string // <work>/<name>
	Tree    string // the GOPROXY tree: nginx root and modproxy --cache-dir
	Infos   []string
	Mods    []string
	Lists   []string
	ZipPath []string // request paths of the zips, smallest first
	ZipSize []int64
	GenTime time.Duration // 0 when the cached copy was used
}

// Request-path files, one path per line.
func (d *dataset) pathsSmall() string  { return filepath.Join(d.Dir, "paths-small.txt") }
func (d *dataset) pathsZip() string    { return filepath.Join(d.Dir, "paths-zip.txt") }
func (d *dataset) pathsZip20k() string { return filepath.Join(d.Dir, "paths-zip-20k.txt") }
func (d *dataset) pathsZip5m() string  { return filepath.Join(d.Dir, "paths-zip-5m.txt") }

// modulePath returns the path of module i; every tenth has an uppercase
// element, so that its requests carry the "!x" case encoding.
func (s datasetSpec) modulePath(i int) string {
	if i%10 == 9 {
		return fmt.Sprintf("%s/Upper/m%05d", s.Prefix, i)
	}
	return fmt.Sprintf("%s/m%05d", s.Prefix, i)
}

// escapePath is the GOPROXY case encoding ("!x" for "X").
func escapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// zipSize is the target size of zip i: log-uniform from ZipMin to ZipMax.
func (s datasetSpec) zipSize(i int) int64 {
	if s.Zips == 1 {
		return s.ZipMin
	}
	f := float64(i) / float64(s.Zips-1)
	return int64(float64(s.ZipMin) * math.Pow(float64(s.ZipMax)/float64(s.ZipMin), f))
}

func (s datasetSpec) zipModule(i int) string { return fmt.Sprintf("%s/zip%03d", s.Prefix, i) }

// loadDataset returns the data set under <work>/<name>, generating it when it
// is missing or was made from another spec.
func loadDataset(work, name string, spec datasetSpec) (*dataset, error) {
	spec.Format = datasetFormat
	d := &dataset{Spec: spec, Dir: filepath.Join(work, name)}
	d.Tree = filepath.Join(d.Dir, "tree")
	d.listPaths()
	want, _ := json.Marshal(spec)
	stampFile := filepath.Join(d.Dir, "stamp.json")
	if have, err := os.ReadFile(stampFile); err == nil && string(have) == string(want) {
		return d, nil
	}
	start := time.Now()
	if err := os.RemoveAll(d.Dir); err != nil {
		return nil, err
	}
	tmp := d.Dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := d.generate(filepath.Join(tmp, "tree")); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, d.Dir); err != nil {
		return nil, err
	}
	if err := d.writePathFiles(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(stampFile, want, 0o644); err != nil {
		return nil, err
	}
	d.GenTime = time.Since(start)
	return d, nil
}

// listPaths fills the request paths (no I/O).
func (d *dataset) listPaths() {
	s := d.Spec
	for i := 0; i < s.Modules; i++ {
		m := escapePath(s.modulePath(i))
		d.Lists = append(d.Lists, "/"+m+"/@v/list")
		for v := 0; v < s.Versions; v++ {
			d.Infos = append(d.Infos, fmt.Sprintf("/%s/@v/v1.0.%d.info", m, v))
			d.Mods = append(d.Mods, fmt.Sprintf("/%s/@v/v1.0.%d.mod", m, v))
		}
	}
	for i := 0; i < s.Zips; i++ {
		d.ZipPath = append(d.ZipPath, "/"+s.zipModule(i)+"/@v/v1.0.0.zip")
		d.ZipSize = append(d.ZipSize, s.zipSize(i))
	}
}

func (d *dataset) writePathFiles() error {
	few := d.Spec.ZipFew
	if few > len(d.ZipPath) {
		few = len(d.ZipPath)
	}
	small := append(append(append([]string{}, d.Infos...), d.Mods...), d.Lists...)
	files := map[string][]string{
		d.pathsSmall():  small,
		d.pathsZip():    d.ZipPath,
		d.pathsZip20k(): d.ZipPath[:few],
		d.pathsZip5m():  d.ZipPath[len(d.ZipPath)-few:],
	}
	for name, paths := range files {
		if err := writeLines(name, paths); err != nil {
			return err
		}
	}
	return nil
}

// generate writes the tree: modules in parallel, then the zips.
func (d *dataset) generate(tree string) error {
	s := d.Spec
	work := make(chan int)
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := writeModule(tree, s.modulePath(i), s.Versions, i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < s.Modules; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	for i := 0; i < s.Zips; i++ {
		m := s.zipModule(i)
		if err := writeModule(tree, m, 1, i); err != nil {
			return err
		}
		zipFile := filepath.Join(tree, escapePath(m), "@v", "v1.0.0.zip")
		if err := writeZip(zipFile, m, "v1.0.0", s.zipSize(i), int64(i)); err != nil {
			return err
		}
	}
	return nil
}

// writeModule writes .info and .mod of each version and the @v/list.
func writeModule(tree, module string, versions, seed int) error {
	dir := filepath.Join(tree, escapePath(module), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var list strings.Builder
	for v := 0; v < versions; v++ {
		version := fmt.Sprintf("v1.0.%d", v)
		list.WriteString(version + "\n")
		t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seed*versions+v) * time.Minute)
		info := fmt.Sprintf("{\"Version\":%q,\"Time\":%q}\n", version, t.Format(time.RFC3339))
		mod := fmt.Sprintf("module %s\n\ngo 1.19\n", module)
		if err := os.WriteFile(filepath.Join(dir, version+".info"), []byte(info), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, version+".mod"), []byte(mod), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "list"), []byte(list.String()), 0o644)
}

// writeZip writes a valid module zip of about `size` bytes: a go.mod and
// files of random (incompressible) bytes, stored uncompressed, so the size on
// the wire is the size on disk.
func writeZip(file, module, version string, size, seed int64) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	w := zip.NewWriter(f)
	prefix := module + "@" + version + "/"
	if err := addZipFile(w, prefix+"go.mod", []byte(fmt.Sprintf("module %s\n\ngo 1.19\n", module))); err != nil {
		return err
	}
	rng := rand.New(rand.NewSource(seed))
	const overhead = 200 // local header + central directory entry, roughly
	remaining := size - 2*overhead - 64
	for part := 0; remaining > 0; part++ {
		n := remaining
		if n > 1<<20 {
			n = 1 << 20
		}
		data := make([]byte, n)
		rng.Read(data)
		if err := addZipFile(w, fmt.Sprintf("%sdata/part%02d.bin", prefix, part), data); err != nil {
			return err
		}
		remaining -= n + overhead
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

func addZipFile(w *zip.Writer, name string, data []byte) error {
	h := &zip.FileHeader{Name: name, Method: zip.Store}
	h.Modified = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out, err := w.CreateHeader(h)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return err
}

func writeLines(name string, lines []string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(f)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if err := b.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
