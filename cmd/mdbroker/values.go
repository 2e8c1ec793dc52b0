package main

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Flag values that refuse what broker.Config would silently read as "use
// the default": zero and negative numbers.

var errNotPositive = errors.New("must be positive")

type positiveInt struct{ p *int }

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
		if !strings.Contains(ep, "://") {
			return errors.New("endpoint " + strconv.Quote(ep) + " has no transport (say tcp://127.0.0.1:5555)")
		}
		*v.p = append(*v.p, ep)
	}
	return nil
}
