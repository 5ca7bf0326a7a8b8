package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"modproxy/tests/internal/harness"
)

// [[route]] rules (issue 5): paths matching a route are fetched through the
// route's chain only, never the default one, and with sumdb = false never
// reach the checksum database; other paths keep --upstream and verification.
func TestRouteSendsMatchingPathsToTheirOwnChain(t *testing.T) {
	f := harness.Fixture(t)
	hello := f.Module(t, "example.com/hello", "v1.0.0")
	legacy := f.Module(t, "example.com/legacy", "v1.0.0")
	public, internal := harness.Upstream(t, f.Tree), harness.Upstream(t, f.Tree)
	db := harness.StartSumdb(t, f)
	config := filepath.Join(t.TempDir(), "modproxy.toml")
	toml := fmt.Sprintf("[[route]]\npattern = \"example.com/hello\"\nupstream = %q\nsumdb = false\n",
		internal.URL)
	if err := os.WriteFile(config, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	p := harness.Start(t, harness.Options{Upstream: public.URL, Sumdb: db.VKey + " " + db.URL,
		Args: []string{"--config", config}})
	for _, ext := range []string{"info", "mod", "zip"} {
		p.Get(hello.URLPath(ext)).ExpectStatus(t, 200)
		p.Get(legacy.URLPath(ext)).ExpectStatus(t, 200)
	}
	p.Get("/example.com/hello/@v/list").ExpectStatus(t, 200)
	if n := public.CountMatching(`^/example\.com/hello/`); n != 0 {
		t.Errorf("the default upstream got %d requests for a routed path", n)
	}
	if n := internal.CountMatching(`^/example\.com/hello/`); n == 0 {
		t.Errorf("the route's upstream got no request for its path")
	}
	if n := internal.CountMatching(`^/example\.com/legacy/`); n != 0 {
		t.Errorf("the route's upstream got %d requests for a path outside its pattern", n)
	}
	if got := db.RequestsContaining(t, "example.com/hello@"); len(got) != 0 {
		t.Errorf("a route with sumdb = false was looked up: %v", got)
	}
	if got := db.RequestsContaining(t, "example.com/legacy@"); len(got) == 0 {
		t.Errorf("a path outside the route was not verified against the checksum database")
	}
	// A client's own lookup of the routed path is refused, not forwarded.
	p.Get("/sumdb/"+db.Name+"/lookup/example.com/hello@v1.0.0").ExpectStatus(t, 403)
}
