package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
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
	cmd := Command(f.SumdbBin, "-manifest", f.ManifestPath)
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
