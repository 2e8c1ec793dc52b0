package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Flag values that refuse what broker.Config would silently read as "use
// the default": zero and negative numbers.

var errNotPositive = errors.New("must be positive")

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

// positiveDuration is a duration of at least a millisecond, the broker's
// resolution.
type positiveDuration struct{ p *time.Duration }

func (v positiveDuration) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}

func (v positiveDuration) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a duration (say 250ms, 2.5s, 1m)")
	}
	if d < time.Millisecond {
		return errors.New("must be at least 1ms")
	}
	*v.p = d
	return nil
}

// byteSize is a positive number of bytes, with an optional binary suffix:
// 65536, 64KiB, 16MiB, 1GiB (K, M and G mean the same).
type byteSize struct{ p *int64 }

var sizeSuffixes = []struct {
	suffix string
	shift  uint
}{
	{"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"G", 30}, {"M", 20}, {"K", 10}, {"B", 0},
}

func (v byteSize) String() string {
	if v.p == nil {
		return "0"
	}
	n := *v.p
	for _, s := range sizeSuffixes[:3] {
		if n > 0 && n%(1<<s.shift) == 0 {
			return strconv.FormatInt(n>>s.shift, 10) + s.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (v byteSize) Set(s string) error {
	s = strings.TrimSpace(s)
	shift := uint(0)
	for _, suf := range sizeSuffixes {
		if strings.HasSuffix(s, suf.suffix) {
			s, shift = strings.TrimSpace(strings.TrimSuffix(s, suf.suffix)), suf.shift
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not a size (say 65536, 64KiB, 16MiB, 1GiB)")
	}
	if n <= 0 {
		return errNotPositive
	}
	if n > (1<<62)>>shift {
		return errors.New("too large")
	}
	*v.p = n << shift
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
