package certs

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"
)

func pool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(data) {
		t.Fatalf("%s: no certificates", file)
	}
	return p
}

// The PKI is what the TLS tests assume: checked with Go's verifier.
func TestPKI(t *testing.T) {
	start := time.Now()
	p := New(t)
	t.Logf("PKI made in %v", time.Since(start).Round(time.Millisecond))
	roots := pool(t, p.CA.Cert)
	other := pool(t, p.OtherCA.Cert)
	verify := func(pr Pair, roots *x509.CertPool, usage x509.ExtKeyUsage, dns string) error {
		c, err := Load(pr.Cert)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tls.LoadX509KeyPair(pr.Cert, pr.Key); err != nil {
			t.Errorf("%s: key does not match: %v", pr.Cert, err)
		}
		_, err = c.Verify(x509.VerifyOptions{Roots: roots, DNSName: dns, KeyUsages: []x509.ExtKeyUsage{usage}})
		return err
	}
	for _, name := range []string{"127.0.0.1", "localhost"} {
		if err := verify(p.Server, roots, x509.ExtKeyUsageServerAuth, name); err != nil {
			t.Errorf("server certificate for %s: %v", name, err)
		}
	}
	for _, pr := range []Pair{p.Alice, p.Build01, p.NoCN} {
		if err := verify(pr, roots, x509.ExtKeyUsageClientAuth, ""); err != nil {
			t.Errorf("client certificate %s: %v", pr.Cert, err)
		}
	}
	if err := verify(p.Expired, roots, x509.ExtKeyUsageClientAuth, ""); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired certificate: verify error %v, want expired", err)
	}
	if err := verify(p.WrongCA, roots, x509.ExtKeyUsageClientAuth, ""); err == nil {
		t.Errorf("certificate of the other CA verifies against the test CA")
	}
	if err := verify(p.WrongCA, other, x509.ExtKeyUsageClientAuth, ""); err != nil {
		t.Errorf("certificate of the other CA against its CA: %v", err)
	}
	if c, _ := Load(p.Alice.Cert); c.Subject.CommonName != "alice" || len(c.DNSNames) != 1 || len(c.EmailAddresses) != 1 {
		t.Errorf("alice: CN %q DNS %v email %v", c.Subject.CommonName, c.DNSNames, c.EmailAddresses)
	}
	if c, _ := Load(p.NoCN.Cert); c.Subject.CommonName != "" || len(c.DNSNames) != 1 {
		t.Errorf("nocn: CN %q DNS %v", c.Subject.CommonName, c.DNSNames)
	}
	b := p.MustNewServer(t, "server-b")
	if b.Serial == p.Server.Serial {
		t.Errorf("second server certificate has the same serial %s", b.Serial)
	}
	if err := verify(b, roots, x509.ExtKeyUsageServerAuth, "127.0.0.1"); err != nil {
		t.Errorf("second server certificate: %v", err)
	}
}
