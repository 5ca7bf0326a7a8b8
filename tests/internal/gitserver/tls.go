package gitserver

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// HTTPS for chosen fake hosts, the way a company network looks to a client:
// an HTTP proxy that tunnels CONNECT <host>:443, and a server certificate
// signed by a private CA that the client only trusts if told to
// (SSL_CERT_FILE=CAFile()). Behind the tunnel the same handler answers as
// for plain http (discovery pages, git http-backend); its requests are
// recorded with TLS set. CONNECT to any other host or port still gets 502.

// tlsState is what EnableTLS set up.
type tlsState struct {
	hosts  map[string]bool
	caFile string
	conns  *connListener // tunnelled connections, before the TLS handshake
}

// EnableTLS makes CONNECT to <host>:443, for each of hosts, tunnel to an
// in-process TLS server whose certificate (names: hosts) is signed by a
// new test CA, written as PEM to CAFile. The discovery pages of hosts
// announce https://<host>/<name>.git. Call it once, before clients
// connect. Tunnels already open outlive Close (their clients end them).
func (s *Server) EnableTLS(hosts ...string) error {
	if len(hosts) == 0 {
		return errors.New("gitserver: EnableTLS needs at least one host")
	}
	caPEM, cert, err := newCertificates(hosts)
	if err != nil {
		return err
	}
	caFile := filepath.Join(s.Set.Dir, ".home", fmt.Sprintf("test-ca-%p.pem", s))
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		return err
	}
	st := &tlsState{hosts: map[string]bool{}, caFile: caFile, conns: newConnListener(s.ln.Addr())}
	for _, h := range hosts {
		st.hosts[h] = true
		s.SetHostRepoURL(h, "https://{host}/{name}.git")
	}
	srv := &http.Server{Handler: s, ErrorLog: log.New(io.Discard, "", 0)}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	go srv.Serve(tls.NewListener(st.conns, cfg))
	s.mu.Lock()
	s.tls = st
	s.mu.Unlock()
	return nil
}

// CAFile is the PEM file of the CA that signed the TLS server's
// certificate ("" before EnableTLS).
func (s *Server) CAFile() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tls == nil {
		return ""
	}
	return s.tls.caFile
}

// tunnel answers a CONNECT for a host of EnableTLS on port 443: 200, then
// the connection belongs to the TLS server. It returns false, having
// written nothing, for any other CONNECT.
func (s *Server) tunnel(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	st := s.tls
	s.mu.Unlock()
	host, port, err := net.SplitHostPort(r.Host)
	if st == nil || err != nil || port != "443" || !st.hosts[host] {
		return false
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return true // the connection is gone either way
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		return true
	}
	// A client may send its TLS hello without waiting for the 200.
	st.conns.put(&bufferedConn{Conn: conn, r: rw.Reader})
	return true
}

// bufferedConn reads what the HTTP server had already buffered first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// connListener is a net.Listener fed with tunnelled connections.
type connListener struct {
	addr net.Addr
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) put(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// newCertificates makes a CA (returned as PEM) and a server certificate
// for hosts signed by it, valid for a day around now.
func newCertificates(hosts []string) (caPEM []byte, cert tls.Certificate, err error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, err
	}
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"modproxy tests"}, CommonName: "modproxy test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, cert, err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return nil, cert, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{Organization: []string{"modproxy tests"}, CommonName: hosts[0]},
		DNSNames:     hosts,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, cert, err
	}
	cert = tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), cert, nil
}
