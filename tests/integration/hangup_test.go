package integration

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// A client that hangs up in the middle of a cached zip (sent with sendfile,
// which has no MSG_NOSIGNAL) costs that connection only: the server must
// ignore SIGPIPE, keep serving, and send the next client the whole zip.
func TestClientHangingUpMidZipDoesNotStopTheServer(t *testing.T) {
	e := newEnv(t)
	big := e.mod(t, "example.com/big", "v1.0.0")
	want := e.f.Read(t, big.TreePath("zip"))
	e.p.Get(big.URLPath("zip")).ExpectBody(t, want) // now cached

	for i := 0; i < 5; i++ {
		conn, err := net.Dial("tcp", e.p.Addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		// A small receive window, so the server is still sending when we leave.
		conn.(*net.TCPConn).SetReadBuffer(4096)
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write([]byte("GET " + big.URLPath("zip") + " HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			t.Fatalf("write: %v", err)
		}
		if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
			t.Fatalf("reading the status line: %v", err)
		}
		// Reset, not FIN: the server's next send fails at once.
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}
	time.Sleep(200 * time.Millisecond)
	if e.p.Exited() {
		t.Fatalf("modproxy exited after clients hung up mid-zip")
	}
	e.p.Get("/healthz").ExpectStatus(t, 200)
	e.p.Get(big.URLPath("zip")).ExpectBody(t, want)
}
