// Package certs makes a throw-away PKI for the TLS tests with the openssl
// command line tool only (Debian 12: OpenSSL 3.0), so the certificates are
// produced by a different implementation than the Go client that checks
// them: a CA, a server certificate for 127.0.0.1 and localhost, client
// certificates, an expired client certificate (made with `openssl ca`,
// since `openssl x509 -req` in 3.0 cannot set a start date) and a client
// certificate from an unrelated CA. Keys are EC P-256, so a whole PKI takes
// a few dozen milliseconds.
package certs

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Pair is a certificate and its private key, as PEM files.
type Pair struct {
	Cert, Key string
	// Serial is the certificate's serial number (lower-case hex, no leading zeros).
	Serial string
}

// PKI is every file a test may need.
type PKI struct {
	Dir string

	// CA signs the server and the good client certificates.
	CA Pair
	// Server: CN=localhost, SANs IP:127.0.0.1 and DNS:localhost, signed by CA.
	Server Pair
	// Alice: CN=alice, SANs DNS:alice.clients.example and
	// email:alice@example.com, signed by CA, clientAuth.
	Alice Pair
	// Build01: CN=build01.corp.example (also its DNS SAN), signed by CA.
	Build01 Pair
	// NoCN: no subject CN, SANs DNS:nocn.clients.example then
	// email:nocn@example.com, signed by CA (identity = first SAN).
	NoCN Pair
	// Expired: CN=alice, signed by CA, valid 2020-01-01 to 2021-01-01.
	Expired Pair
	// OtherCA is an unrelated CA; WrongCA (CN=alice, same SANs as Alice) is
	// signed by it.
	OtherCA Pair
	WrongCA Pair

	ca Pair // CA, for signing more certificates
	mu sync.Mutex
}

// New makes a fresh PKI under a temp dir of t. It fails the test if the
// openssl tool is missing or fails.
func New(t testing.TB) *PKI {
	t.Helper()
	p, err := Generate(t.TempDir())
	if err != nil {
		t.Fatalf("certs: %v", err)
	}
	return p
}

// Generate makes a fresh PKI in dir (which must exist).
func Generate(dir string) (*PKI, error) {
	p := &PKI{Dir: dir}
	var err error
	if p.CA, err = p.newCA("ca", "modproxy test CA"); err != nil {
		return nil, err
	}
	p.ca = p.CA
	if p.Server, err = p.NewServer("server"); err != nil {
		return nil, err
	}
	if p.Alice, err = p.sign(p.CA, "alice", "/CN=alice", clientExt("DNS:alice.clients.example,email:alice@example.com")); err != nil {
		return nil, err
	}
	if p.Build01, err = p.sign(p.CA, "build01", "/CN=build01.corp.example", clientExt("DNS:build01.corp.example")); err != nil {
		return nil, err
	}
	if p.NoCN, err = p.sign(p.CA, "nocn", "/O=modproxy tests", clientExt("DNS:nocn.clients.example,email:nocn@example.com")); err != nil {
		return nil, err
	}
	if p.Expired, err = p.expired("expired", "/CN=alice"); err != nil {
		return nil, err
	}
	if p.OtherCA, err = p.newCA("other-ca", "unrelated test CA"); err != nil {
		return nil, err
	}
	if p.WrongCA, err = p.sign(p.OtherCA, "wrong-ca-alice", "/CN=alice", clientExt("DNS:alice.clients.example,email:alice@example.com")); err != nil {
		return nil, err
	}
	return p, nil
}

// NewServer makes another server certificate for 127.0.0.1 and localhost,
// signed by the same CA, with a new key and a new serial; name is the file
// name stem (name.pem, name.key) in p.Dir and must be unused.
func (p *PKI) NewServer(name string) (Pair, error) {
	return p.sign(p.ca, name, "/CN=localhost", `
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`)
}

// MustNewServer is NewServer failing the test on error.
func (p *PKI) MustNewServer(t testing.TB, name string) Pair {
	t.Helper()
	s, err := p.NewServer(name)
	if err != nil {
		t.Fatalf("certs: %v", err)
	}
	return s
}

func clientExt(san string) string {
	return `
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = ` + san + `
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`
}

// minimalConfig keeps the system openssl.cnf (and its defaults) out of it.
const minimalConfig = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
`

func (p *PKI) path(name string) string { return filepath.Join(p.Dir, name) }

func (p *PKI) write(name, content string) (string, error) {
	f := p.path(name)
	return f, os.WriteFile(f, []byte(content), 0o600)
}

// randomSerial is a positive 63-bit serial in hex, different every call.
func randomSerial() string {
	var b [8]byte
	rand.Read(b[:])
	b[0] &= 0x7f
	b[0] |= 0x10 // never a leading zero byte
	return hex.EncodeToString(b[:])
}

func (p *PKI) newCA(name, cn string) (Pair, error) {
	cfg, err := p.write(name+".cnf", minimalConfig+`
[ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`)
	if err != nil {
		return Pair{}, err
	}
	pr := Pair{Cert: p.path(name + ".pem"), Key: p.path(name + ".key")}
	if err := openssl("req", "-x509", "-new", "-config", cfg, "-extensions", "ext",
		"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", pr.Key, "-out", pr.Cert, "-days", "3650", "-subj", "/CN="+cn,
		"-set_serial", "0x"+randomSerial()); err != nil {
		return Pair{}, err
	}
	return withSerial(pr)
}

// csr makes name.key and name.csr.
func (p *PKI) csr(name, subj string) (key, csr string, err error) {
	cfg, err := p.write(name+".req.cnf", minimalConfig)
	if err != nil {
		return "", "", err
	}
	key, csr = p.path(name+".key"), p.path(name+".csr")
	err = openssl("req", "-new", "-config", cfg, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-keyout", key, "-out", csr, "-subj", subj)
	return key, csr, err
}

func (p *PKI) sign(ca Pair, name, subj, ext string) (Pair, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := os.Stat(p.path(name + ".pem")); err == nil {
		return Pair{}, fmt.Errorf("%s.pem exists already", name)
	}
	key, csr, err := p.csr(name, subj)
	if err != nil {
		return Pair{}, err
	}
	extFile, err := p.write(name+".ext", "[ext]\n"+ext)
	if err != nil {
		return Pair{}, err
	}
	pr := Pair{Cert: p.path(name + ".pem"), Key: key}
	if err := openssl("x509", "-req", "-in", csr, "-CA", ca.Cert, "-CAkey", ca.Key,
		"-set_serial", "0x"+randomSerial(), "-days", "825", "-sha256",
		"-extfile", extFile, "-extensions", "ext", "-out", pr.Cert); err != nil {
		return Pair{}, err
	}
	return withSerial(pr)
}

// expired signs a client certificate whose validity ended years ago, with
// `openssl ca` (the only openssl 3.0 command that takes a start date).
func (p *PKI) expired(name, subj string) (Pair, error) {
	key, csr, err := p.csr(name, subj)
	if err != nil {
		return Pair{}, err
	}
	db := p.path(name + ".ca")
	if err := os.MkdirAll(db, 0o700); err != nil {
		return Pair{}, err
	}
	if err := os.WriteFile(filepath.Join(db, "index.txt"), nil, 0o600); err != nil {
		return Pair{}, err
	}
	if err := os.WriteFile(filepath.Join(db, "serial"), []byte(randomSerial()+"\n"), 0o600); err != nil {
		return Pair{}, err
	}
	cfg, err := p.write(name+".ca.cnf", fmt.Sprintf(`
[ca]
default_ca = testca
[testca]
dir = %s
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
certificate = %s
private_key = %s
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[anything]
commonName = supplied
[ext]
%s
`, db, p.ca.Cert, p.ca.Key, clientExt("DNS:alice.clients.example,email:alice@example.com")))
	if err != nil {
		return Pair{}, err
	}
	pr := Pair{Cert: p.path(name + ".pem"), Key: key}
	if err := openssl("ca", "-batch", "-config", cfg, "-extensions", "ext", "-notext",
		"-startdate", "20200101000000Z", "-enddate", "20210101000000Z",
		"-in", csr, "-out", pr.Cert); err != nil {
		return Pair{}, err
	}
	return withSerial(pr)
}

func openssl(args ...string) error {
	cmd := exec.Command("openssl", args...)
	// No system config: OPENSSL_CONF pointing nowhere keeps local policy
	// (and a broken /etc/ssl/openssl.cnf) out of it.
	cmd.Env = append(os.Environ(), "OPENSSL_CONF=/dev/null")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("openssl %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

func withSerial(pr Pair) (Pair, error) {
	c, err := Load(pr.Cert)
	if err != nil {
		return Pair{}, err
	}
	pr.Serial = c.SerialNumber.Text(16)
	return pr, nil
}

// Load parses the first certificate of a PEM file.
func Load(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", file)
	}
	return x509.ParseCertificate(b.Bytes)
}

// SerialHex is the serial number of c the way Pair.Serial spells it.
func SerialHex(n *big.Int) string { return n.Text(16) }

// CopyTo copies pr's two files to certFile and keyFile, each through a
// temp file and a rename, so a reader sees the old or the new file, never
// half of one.
func (pr Pair) CopyTo(certFile, keyFile string) error {
	for _, c := range [][2]string{{pr.Key, keyFile}, {pr.Cert, certFile}} {
		data, err := os.ReadFile(c[0])
		if err != nil {
			return err
		}
		if err := WriteAtomic(c[1], data); err != nil {
			return err
		}
	}
	return nil
}

// WriteAtomic writes data to file through a temp file and a rename.
func WriteAtomic(file string, data []byte) error {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}
