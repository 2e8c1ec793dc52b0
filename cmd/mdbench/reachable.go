package main

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// probeTimeout bounds the check that the broker is there at all.
const probeTimeout = time.Second

// errUnreachable is the error of a run whose broker cannot be reached.
var errUnreachable = errors.New("mdbench: broker unreachable")

// probeBroker checks, before a run, that something listens at a tcp:// or
// ipc:// endpoint, so that a broker that is not running is a clear error
// within probeTimeout rather than every request counted lost after
// --timeout (ZeroMQ itself reconnects in silence for ever). It opens and
// closes one plain connection; a ZeroMQ peer forgets a connection that
// never completed its handshake. Other transports are not checked.
func probeBroker(endpoint string, timeout time.Duration) error {
	network, addr, ok := dialAddress(endpoint)
	if !ok {
		return nil
	}
	conn, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return fmt.Errorf("%w: %s: %v (is the broker running?)", errUnreachable, endpoint, err)
	}
	return conn.Close()
}

// dialAddress maps a ZeroMQ endpoint to what net.Dial takes. A tcp
// endpoint may name a source address first ("tcp://src;host:port"); the
// part after the semicolon is the peer.
func dialAddress(endpoint string) (network, addr string, ok bool) {
	transport, rest, found := strings.Cut(endpoint, "://")
	if !found {
		return "", "", false
	}
	switch transport {
	case "tcp":
		if i := strings.LastIndexByte(rest, ';'); i >= 0 {
			rest = rest[i+1:]
		}
		return "tcp", rest, true
	case "ipc": // "@name" is Linux's abstract namespace for both
		return "unix", rest, true
	}
	return "", "", false
}
