package broker

import (
	"net"
	"strings"
)

// loopbackEndpoint reports whether ep can be reached only from this
// machine: ipc:// and inproc://, or tcp:// on 127.0.0.0/8, ::1 or
// "localhost". Any other (0.0.0.0, *, an interface name, a host name) may
// be reached from elsewhere.
func loopbackEndpoint(ep string) bool {
	switch {
	case strings.HasPrefix(ep, "ipc://"), strings.HasPrefix(ep, "inproc://"):
		return true
	case !strings.HasPrefix(ep, "tcp://"):
		return false
	}
	host, _, err := net.SplitHostPort(strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
