package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// probeTimeout bounds the check that the broker is there at all.
const probeTimeout = time.Second

// errUnreachable is the error of a run whose broker cannot be reached.
var errUnreachable = errors.New("mdbench: broker unreachable")

// zmtpSignatureLen is the length of the signature a ZeroMQ peer sends first
// on every connection (ZMTP 2.0 and 3.x, RFC 15 and 23): 0xFF, eight
// bytes, 0x7F.
const zmtpSignatureLen = 10

// probeBroker checks, before a run, that a ZeroMQ peer listens at a tcp://
// or ipc:// endpoint: it connects and reads the signature such a peer
// sends at once. So a broker that is not running (or a port that is not
// ZeroMQ's) is a clear error within timeout rather than every request
// counted lost after --timeout (ZeroMQ itself reconnects in silence for
// ever). The connection is closed before the handshake goes further; the
// peer forgets it. Other transports are not checked.
func probeBroker(endpoint string, timeout time.Duration) error {
	network, addr, ok := dialAddress(endpoint)
	if !ok {
		return nil
	}
	deadline := time.Now().Add(timeout)
	conn, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return fmt.Errorf("%w: %s: %v (is the broker running?)", errUnreachable, endpoint, err)
	}
	defer conn.Close()
	sig := make([]byte, zmtpSignatureLen)
	err = conn.SetReadDeadline(deadline)
	if err == nil {
		_, err = io.ReadFull(conn, sig)
	}
	if err != nil || sig[0] != 0xFF || sig[zmtpSignatureLen-1] != 0x7F {
		return fmt.Errorf("%w: %s: something listens there but did not greet as a ZeroMQ peer within %v (is it a broker?)",
			errUnreachable, endpoint, timeout)
	}
	return nil
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
