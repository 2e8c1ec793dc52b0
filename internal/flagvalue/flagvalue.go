// Package flagvalue holds the flag.Value types that majordomo's commands
// share (mdbroker, mdkv, titanic), so that a duration or a size is read and
// refused the same way in every flag, environment variable and config file:
//
//	fs.Var(flagvalue.Duration{P: &cfg.Heartbeat}, "heartbeat", "a `duration`")
//	fs.Var(flagvalue.Size{P: &cfg.MaxBytes}, "max-bytes", "a `size`: 64KiB, 16MiB")
//
// Zero and negative values are refused rather than read as "the default".
package flagvalue

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrNotPositive is the error of a zero or negative value.
var ErrNotPositive = errors.New("must be positive")

// Duration is a duration of at least a millisecond, the resolution of the
// commands' timers.
type Duration struct{ P *time.Duration }

func (v Duration) String() string {
	if v.P == nil {
		return "0s"
	}
	return v.P.String()
}

// Set parses s ("250ms", "2.5s", "1m").
func (v Duration) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a duration (say 250ms, 2.5s, 1m)")
	}
	if d < time.Millisecond {
		return errors.New("must be at least 1ms")
	}
	*v.P = d
	return nil
}

// DurationOrZero is a duration of zero (off) or more.
type DurationOrZero struct{ P *time.Duration }

func (v DurationOrZero) String() string {
	if v.P == nil {
		return "0s"
	}
	return v.P.String()
}

// Set parses s ("0", "500ms", "5s").
func (v DurationOrZero) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return errors.New("not a duration of 0 or more (say 0, 500ms, 5s)")
	}
	*v.P = d
	return nil
}

// Size is a positive number of bytes, with an optional binary suffix:
// 65536, 64KiB, 16MiB, 1GiB (K, M and G mean the same).
type Size struct{ P *int64 }

var sizeSuffixes = []struct {
	suffix string
	shift  uint
}{
	{"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"G", 30}, {"M", 20}, {"K", 10}, {"B", 0},
}

func (v Size) String() string {
	if v.P == nil {
		return "0"
	}
	n := *v.P
	for _, s := range sizeSuffixes[:3] {
		if n > 0 && n%(1<<s.shift) == 0 {
			return strconv.FormatInt(n>>s.shift, 10) + s.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Set parses s.
func (v Size) Set(s string) error {
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
		return ErrNotPositive
	}
	if n > (1<<62)>>shift {
		return errors.New("too large")
	}
	*v.P = n << shift
	return nil
}
