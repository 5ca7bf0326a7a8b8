// Package ziptest builds module zips for the integrity tests at test time:
// well-formed ones (hash vectors) and hostile ones (bombs, traversal, case
// collisions, symlinks, lying sizes and counts, truncation). Nothing here is
// committed as a binary: every zip is generated into memory or a temp dir.
//
// Stdlib only (archive/zip, compress/flate), so the tests module keeps no
// requirements; the lies a zip writer refuses to tell (sizes, CRCs, counts)
// are written with CreateRaw or by patching the end records.
package ziptest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
)

// Entry is one zip entry written honestly (deflated, true sizes and CRC).
type Entry struct {
	Name string
	Data []byte
	Mode os.FileMode // 0: a regular 0644 file; os.ModeSymlink|0777: a symlink (Data = target)
	// Store writes the data uncompressed instead of deflated.
	Store bool
}

// Raw is an entry written as is: Compressed is the entry's data as stored
// (deflate stream, or plain bytes with Method zip.Store), and CRC and Size
// are what the headers declare, true or not.
type Raw struct {
	Name       string
	Method     uint16
	Compressed []byte
	CRC        uint32
	Size       uint64 // declared uncompressed size
}

// Read returns every entry of zr in order, Name and Data only (the data
// decompressed and checked against its CRC by archive/zip).
func Read(zr *zip.Reader) ([]Entry, error) {
	var es []Entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		es = append(es, Entry{Name: f.Name, Data: data})
	}
	return es, nil
}

// Build writes a zip of entries followed by raws, in that order.
func Build(entries []Entry, raws ...Raw) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.Name, Method: zip.Deflate}
		if e.Store || bytes.HasSuffix([]byte(e.Name), []byte("/")) {
			fh.Method = zip.Store
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
			if bytes.HasSuffix([]byte(e.Name), []byte("/")) {
				mode = os.ModeDir | 0o755
			}
		}
		fh.SetMode(mode)
		fw, err := w.CreateHeader(fh)
		if err != nil {
			panic(err)
		}
		if _, err := fw.Write(e.Data); err != nil {
			panic(err)
		}
	}
	for _, r := range raws {
		fh := &zip.FileHeader{Name: r.Name, Method: r.Method, CRC32: r.CRC,
			CompressedSize64: uint64(len(r.Compressed)), UncompressedSize64: r.Size}
		fh.SetMode(0o644)
		fw, err := w.CreateRaw(fh)
		if err != nil {
			panic(err)
		}
		if _, err := fw.Write(r.Compressed); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Files is Build for regular files given as name -> content, under prefix.
func Files(prefix string, files map[string]string) []byte {
	var es []Entry
	for name, data := range files {
		es = append(es, Entry{Name: prefix + name, Data: []byte(data)})
	}
	return Build(es)
}

// Deflate compresses data with compress/flate.
func Deflate(data []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	fw.Write(data)
	fw.Close()
	return buf.Bytes()
}

var (
	zeroOnce  sync.Once
	zeroChunk []byte // deflated 1 MiB of zeros, ending in a sync flush (byte-aligned, not final)
	zeroFinal []byte // an empty final block
)

const mib = 1 << 20

// DeflatedZeros returns a raw deflate stream of n MiB of zero bytes and
// their CRC-32, cheaply: a sync-flushed chunk of 1 MiB of zeros repeated n
// times (its back-references only ever reach zeros), then a final empty block.
// About 1 KiB per MiB.
func DeflatedZeros(nMiB int) (stream []byte, crc uint32) {
	zeroOnce.Do(func() {
		var buf bytes.Buffer
		fw, _ := flate.NewWriter(&buf, flate.BestCompression)
		fw.Write(make([]byte, mib))
		fw.Flush()
		zeroChunk = append([]byte(nil), buf.Bytes()...)
		buf.Reset()
		fw.Close()
		zeroFinal = append([]byte(nil), buf.Bytes()...)
	})
	out := make([]byte, 0, nMiB*len(zeroChunk)+len(zeroFinal))
	zeros := make([]byte, mib)
	for i := 0; i < nMiB; i++ {
		out = append(out, zeroChunk...)
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	return append(out, zeroFinal...), crc
}

// DeclareEntries rewrites the end of a zip (as Build writes it: no comment,
// no zip64 records) so that its end records declare n entries, with zip64
// records since n does not fit 16 bits. The central directory itself is
// unchanged: a small directory that claims to be huge.
func DeclareEntries(z []byte, n uint64) []byte {
	const eocdLen = 22
	eocd := z[len(z)-eocdLen:]
	if binary.LittleEndian.Uint32(eocd) != 0x06054b50 {
		panic("no plain end-of-central-directory record at the end")
	}
	cdSize := uint64(binary.LittleEndian.Uint32(eocd[12:]))
	cdOffset := uint64(binary.LittleEndian.Uint32(eocd[16:]))
	out := append([]byte(nil), z[:len(z)-eocdLen]...)
	z64Offset := uint64(len(out))
	le := binary.LittleEndian
	var rec [56]byte
	le.PutUint32(rec[0:], 0x06064b50) // zip64 end of central directory record
	le.PutUint64(rec[4:], 44)         // size of the rest of the record
	le.PutUint16(rec[12:], 45)        // version made by
	le.PutUint16(rec[14:], 45)        // version needed
	le.PutUint64(rec[24:], n)         // entries on this disk
	le.PutUint64(rec[32:], n)         // entries in total
	le.PutUint64(rec[40:], cdSize)
	le.PutUint64(rec[48:], cdOffset)
	out = append(out, rec[:]...)
	var loc [20]byte
	le.PutUint32(loc[0:], 0x07064b50) // zip64 end of central directory locator
	le.PutUint64(loc[8:], z64Offset)
	le.PutUint32(loc[16:], 1) // total disks
	out = append(out, loc[:]...)
	var end [eocdLen]byte
	le.PutUint32(end[0:], 0x06054b50)
	le.PutUint16(end[8:], 0xffff)
	le.PutUint16(end[10:], 0xffff)
	le.PutUint32(end[12:], uint32(cdSize))
	le.PutUint32(end[16:], uint32(cdOffset))
	return append(out, end[:]...)
}

// WriteManyEntries writes to path a real zip with n empty stored files
// under prefix (plus prefix+"go.mod"), as compactly as archive/zip allows.
func WriteManyEntries(path, prefix, goMod string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := zip.NewWriter(bw)
	add := func(name string, data []byte) error {
		fh := &zip.FileHeader{Name: name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(data),
			CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data))}
		fw, err := w.CreateRaw(fh)
		if err == nil {
			_, err = fw.Write(data)
		}
		return err
	}
	if err := add(prefix+"go.mod", []byte(goMod)); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		// "f" first: never a Windows-reserved name (con, aux, ...), which CheckFilePath refuses.
		if err := add(prefix+"f"+strconv.FormatInt(int64(i), 36), nil); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// Case is one hostile zip for module Module@Version.
type Case struct {
	Name string
	// Zip is the file's bytes; nil when Write produces it instead (too big
	// to keep in memory comfortably).
	Zip   []byte
	Write func(path string) error
	// Reason holds patterns the refusal must match (case-insensitive): each
	// must be found in the violation modproxy reports, so that "clear reason"
	// is checked without pinning exact wording.
	Reason []*regexp.Regexp
	// Slow cases are skipped with -short.
	Slow bool
}

// WriteTo puts the case's zip at path.
func (c Case) WriteTo(path string) error {
	if c.Write != nil {
		return c.Write(path)
	}
	return os.WriteFile(path, c.Zip, 0o644)
}

func res(patterns ...string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range patterns {
		out = append(out, regexp.MustCompile("(?i)"+p))
	}
	return out
}

// GoMod is the go.mod the hostile cases carry for module.
func GoMod(module string) string { return "module " + module + "\n\ngo 1.19\n" }

// Hostile returns every hostile case for module@version. Each zip breaks
// the module zip rules (or modproxy's own limits) in one way.
func Hostile(module, version string) []Case {
	p := module + "@" + version + "/"
	goMod := Entry{Name: p + "go.mod", Data: []byte(GoMod(module))}
	code := Entry{Name: p + "x.go", Data: []byte("package x\n")}
	honest := func(extra ...Entry) []byte { return Build(append([]Entry{goMod, code}, extra...)) }
	valid := honest(Entry{Name: p + "LICENSE", Data: bytes.Repeat([]byte("no rights reserved\n"), 400)})

	var cases []Case
	add := func(c Case) { cases = append(cases, c) }

	// Bombs.
	add(Case{Name: "declared-total-over-500MiB", Reason: res(`size|large|limit|exceed`),
		Zip: func() []byte {
			z, crc := DeflatedZeros(50)
			var raws []Raw
			for i := 0; i < 11; i++ { // 550 MiB, honestly declared
				raws = append(raws, Raw{Name: fmt.Sprintf("%szeros/%02d.bin", p, i), Method: zip.Deflate,
					Compressed: z, CRC: crc, Size: 50 * mib})
			}
			return Build([]Entry{goMod}, raws...)
		}()})
	add(Case{Name: "entry-1GiB-declared-100-bytes", Reason: res(`size|declared|exceed|large|more|long`),
		Zip: func() []byte {
			z, crc := DeflatedZeros(1024)
			return Build([]Entry{goMod}, Raw{Name: p + "bomb.bin", Method: zip.Deflate, Compressed: z, CRC: crc, Size: 100})
		}()})
	add(Case{Name: "gomod-17MiB", Reason: res(`go\.mod`, `size|large|limit|exceed`),
		Zip: func() []byte {
			big := append([]byte(GoMod(module)), bytes.Repeat([]byte("// padding padding padding padding\n"), 17*mib/35+1)...)
			return Build([]Entry{{Name: p + "go.mod", Data: big}, code})
		}()})
	add(Case{Name: "license-17MiB", Reason: res(`LICENSE`, `size|large|limit|exceed`),
		Zip: honest(Entry{Name: p + "LICENSE", Data: bytes.Repeat([]byte("no rights reserved at all\n"), 17*mib/26+1)})})

	// Paths.
	add(Case{Name: "dotdot", Reason: res(`clean|\.\.|invalid|malformed|path`),
		Zip: honest(Entry{Name: p + "../x.go", Data: []byte("package x\n")})})
	add(Case{Name: "dotdot-nested", Reason: res(`clean|\.\.|invalid|malformed|path`),
		Zip: honest(Entry{Name: p + "a/../../y.go", Data: []byte("package y\n")})})
	add(Case{Name: "absolute-after-prefix", Reason: res(`absolute|slash|clean|invalid|malformed|path`),
		Zip: honest(Entry{Name: p + "/etc/passwd", Data: []byte("root:x:0:0\n")})})
	add(Case{Name: "absolute", Reason: res(`absolute|prefix|outside|invalid|path`),
		Zip: honest(Entry{Name: "/etc/passwd", Data: []byte("root:x:0:0\n")})})
	add(Case{Name: "backslash", Reason: res(`invalid|malformed|path|char|backslash`),
		Zip: honest(Entry{Name: p + `a\..\..\z.go`, Data: []byte("package z\n")})})
	add(Case{Name: "bad-char", Reason: res(`invalid|malformed|path|char`),
		Zip: honest(Entry{Name: p + "a:b.go", Data: []byte("package a\n")})})
	add(Case{Name: "case-collision", Reason: res(`case|collision|conflict|duplicate`),
		Zip: honest(Entry{Name: p + "X.go", Data: []byte("package x\n")})})
	add(Case{Name: "duplicate-name", Reason: res(`duplicate|multiple|twice|collision|more than once`),
		Zip: honest(code)})
	add(Case{Name: "symlink", Reason: res(`link`),
		Zip: honest(Entry{Name: p + "link.go", Data: []byte("../../../../etc/passwd"), Mode: os.ModeSymlink | 0o777})})
	add(Case{Name: "outside-prefix", Reason: res(`prefix|outside|not in|module`),
		Zip: honest(Entry{Name: "other.example/x@" + version + "/a.go", Data: []byte("package a\n")})})
	add(Case{Name: "wrong-version-prefix", Reason: res(`prefix|outside|not in|module|version`),
		Zip: honest(Entry{Name: module + "@v9.9.9/a.go", Data: []byte("package a\n")})})
	add(Case{Name: "nested-gomod", Reason: res(`go\.mod`),
		Zip: honest(Entry{Name: p + "sub/go.mod", Data: []byte("module " + module + "/sub\n")})})
	add(Case{Name: "gomod-wrong-case", Reason: res(`go\.mod`),
		Zip: Build([]Entry{{Name: p + "GO.MOD", Data: []byte(GoMod(module))}, code})})

	// Sizes and CRCs the headers lie about.
	add(Case{Name: "real-bytes-short-of-declared", Reason: res(`size|declared|short|fewer|truncated|unexpected|length`),
		Zip: Build([]Entry{goMod}, Raw{Name: p + "short.go", Method: zip.Store,
			Compressed: []byte("package x\n"), CRC: crc32.ChecksumIEEE([]byte("package x\n")), Size: 1000})})
	add(Case{Name: "bad-crc", Reason: res(`crc|checksum`),
		Zip: Build([]Entry{goMod}, Raw{Name: p + "crc.go", Method: zip.Deflate,
			Compressed: Deflate([]byte("package crc\n")), CRC: crc32.ChecksumIEEE([]byte("package xyz\n")), Size: 12})})

	// Counts.
	add(Case{Name: "declares-1000001-entries", Reason: res(`entries|files|too many|count|directory`),
		Zip: DeclareEntries(honest(), 1_000_001)})
	add(Case{Name: "real-1000001-entries", Reason: res(`entries|files|too many|count`), Slow: true,
		Write: func(path string) error { return WriteManyEntries(path, p, GoMod(module), 1_000_000) }})

	// Not a (whole) zip.
	add(Case{Name: "truncated", Reason: res(`zip|truncated|central|end|format|invalid|eocd`),
		Zip: valid[:len(valid)/2]})
	add(Case{Name: "not-a-zip", Reason: res(`zip|central|end|format|invalid|eocd`),
		Zip: []byte("<!DOCTYPE html>\n<html><body>Please sign in</body></html>\n")})
	add(Case{Name: "empty-file", Reason: res(`zip|central|end|format|invalid|eocd|empty`),
		Zip: []byte{}})
	return cases
}
