package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// LiveSumdb is a running tests/fixtures/sumdb process: a signed checksum
// database for the fixture modules, built on x/mod's test server.
type LiveSumdb struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	VKey string `json:"vkey"`
	stop func()
}

// StartSumdb starts the database and stops it when the test ends (or earlier with Stop).
func StartSumdb(t testing.TB, f *Fixtures) *LiveSumdb {
	t.Helper()
	return StartSumdbArgs(t, f)
}

// StartSumdbArgs is StartSumdb with extra flags for the tool, such as
// "-tamper", "example.com/hello@v1.0.0:zip" or "-omit", "M@V" (see
// tests/fixtures/sumdb).
func StartSumdbArgs(t testing.TB, f *Fixtures, args ...string) *LiveSumdb {
	t.Helper()
	cmd := Command(f.SumdbBin, append([]string{"-manifest", f.ManifestPath}, args...)...)
	stdin, err := cmd.StdinPipe() // closing it stops the server, even if we die
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s := &LiveSumdb{}
	s.stop = func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	t.Cleanup(s.Stop)

	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		l, _ := r.ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if err := json.Unmarshal([]byte(l), s); err != nil || s.URL == "" {
			t.Fatalf("sumdb tool said %q (%v); stderr: %s", l, err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("sumdb tool printed nothing within 15s; stderr: %s", stderr.String())
	}
	return s
}

// Stop stops the database; afterwards its port refuses connections.
func (s *LiveSumdb) Stop() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
}

func (s *LiveSumdb) String() string { return fmt.Sprintf("%s at %s", s.Name, s.URL) }

// Control changes how the running database behaves from now on; query is
// what follows "POST /_control?", e.g. "sign=corrupt", "tree=reorder",
// "fail=503" (see tests/fixtures/sumdb).
func (s *LiveSumdb) Control(t testing.TB, query string) {
	t.Helper()
	resp, err := http.Post(s.URL+"/_control?"+query, "text/plain", nil)
	if err != nil {
		t.Fatalf("sumdb control %s: %v", query, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("sumdb control %s: %d %s", query, resp.StatusCode, body)
	}
}

// Requests lists the decoded path of every database request received so far
// (control requests excluded), in arrival order.
func (s *LiveSumdb) Requests(t testing.TB) []string {
	t.Helper()
	resp, err := http.Get(s.URL + "/_control/requests")
	if err != nil {
		t.Fatalf("sumdb requests: %v", err)
	}
	defer resp.Body.Close()
	var out []string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("sumdb requests: %v", err)
	}
	return out
}

// RequestsContaining lists the recorded request paths that contain sub.
func (s *LiveSumdb) RequestsContaining(t testing.TB, sub string) []string {
	t.Helper()
	var out []string
	for _, p := range s.Requests(t) {
		if strings.Contains(p, sub) {
			out = append(out, p)
		}
	}
	return out
}
