package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/majordomo-go/majordomo/internal/flagvalue"
)

// Flag values of mdbroker's own that refuse what broker.Config would silently
// read as "use the default": zero and negative numbers. Durations and sizes
// are internal/flagvalue's, shared with the other commands.

var errNotPositive = flagvalue.ErrNotPositive

// positiveInt is a whole number from 1 to max (no bound when max is 0).
type positiveInt struct {
	p   *int
	max int
}

func (v positiveInt) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}

func (v positiveInt) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a whole number")
	}
	if n <= 0 {
		return errNotPositive
	}
	if v.max > 0 && n > v.max {
		return fmt.Errorf("must be at most %d", v.max)
	}
	*v.p = n
	return nil
}

// endpointList is a repeatable flag; the first Set replaces the default.
type endpointList struct {
	p   *[]string
	set bool
}

func (v *endpointList) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

// Set takes one endpoint, or several separated by commas (as the
// environment variable carries them).
func (v *endpointList) Set(s string) error {
	if !v.set {
		*v.p, v.set = nil, true
	}
	for _, ep := range strings.Split(s, ",") {
		ep = strings.TrimSpace(ep)
		if ep == "" {
			return errors.New("empty endpoint")
		}
		if err := checkEndpoint(ep); err != nil {
			return err
		}
		*v.p = append(*v.p, ep)
	}
	return nil
}

// checkEndpoint refuses a bind endpoint that libzmq would misread or that
// can only fail later: no transport or address, or a tcp endpoint whose port
// is not 1-65535 or * (libzmq takes port 99999 modulo 65536 and binds 34463)
// or whose host is not an IP address, * or a host or interface name.
func checkEndpoint(ep string) error {
	transport, addr, ok := strings.Cut(ep, "://")
	if !ok || transport == "" {
		return fmt.Errorf("endpoint %q has no transport (say tcp://127.0.0.1:5555)", ep)
	}
	if addr == "" {
		return fmt.Errorf("endpoint %q has no address", ep)
	}
	if transport != "tcp" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("endpoint %q: want tcp://host:port (an IPv6 host in brackets)", ep)
	}
	if port != "*" {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("endpoint %q: port %q is not a number from 1 to 65535, or * for any free port", ep, port)
		}
	}
	if !validBindHost(host) {
		return fmt.Errorf("endpoint %q: host %q is not an IP address, *, or a host or interface name", ep, host)
	}
	return nil
}

// validBindHost reports whether host is *, an IP address, or a name made of
// dot-separated labels of letters, digits, '-' and '_' (a host name or a
// network interface) that does not look like a malformed IPv4 address.
func validBindHost(host string) bool {
	if host == "*" {
		return true
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	numeric := true
	for _, label := range strings.Split(host, ".") {
		if label == "" {
			return false
		}
		for _, r := range label {
			switch {
			case r >= '0' && r <= '9':
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '_':
				numeric = false
			default:
				return false
			}
		}
	}
	return !numeric
}
