package mdptest

import (
	"net"
	"strings"
	"testing"
)

// UnusedEndpoint is a loopback TCP endpoint ("tcp://127.0.0.1:port") that
// nothing listens on: it was free a moment ago, and the kernel does not
// hand a just-freed ephemeral port out again at once. A broker may be
// started there later, or a peer pointed at it to find nobody.
func UnusedEndpoint(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "tcp://" + ln.Addr().String()
}

// UnusedAddr is UnusedEndpoint's "host:port".
func UnusedAddr(t testing.TB) string {
	t.Helper()
	return strings.TrimPrefix(UnusedEndpoint(t), "tcp://")
}
