package integration

import (
	"modproxy/tests/internal/gitserver"
	"modproxy/tests/internal/godirect"
)

// scratchDirect is the go command in direct mode against srv
// (godirect.Direct) with a fresh GOPATH and HOME in the shared scratch
// directory, for the collectors that run outside any one test's TempDir.
func scratchDirect(srv *gitserver.Server) (*godirect.Env, error) {
	root, err := godirect.Scratch()
	if err != nil {
		return nil, err
	}
	return godirect.Direct(root, srv)
}
