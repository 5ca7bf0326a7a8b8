package godirect

import (
	"errors"

	"modproxy/tests/internal/gitserver"
)

// HTTPS is the go command in direct mode against the https hosts of srv
// (gitserver.EnableTLS), as on a company network: the proxy variables name
// srv, which tunnels CONNECT <host>:443, and nothing is GOINSECURE, so the
// go command uses https only and verifies certificates. The company CA
// (srv.CAFile) comes from SSL_CERT_FILE, which the go command's own TLS
// (discovery pages) reads, and from GIT_SSL_CAINFO for the git it runs:
// Debian's git uses libcurl with GnuTLS, which ignores SSL_CERT_FILE.
func HTTPS(root string, srv *gitserver.Server) (*Env, error) {
	ca := srv.CAFile()
	if ca == "" {
		return nil, errors.New("godirect.HTTPS: the gitserver has no TLS (EnableTLS)")
	}
	e, err := Direct(root, srv)
	if err != nil {
		return nil, err
	}
	e.Name = "direct (https)"
	e.Set("GOINSECURE=", "SSL_CERT_FILE="+ca, "SSL_CERT_DIR=", "GIT_SSL_CAINFO="+ca)
	return e, nil
}
