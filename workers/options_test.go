package workers

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

func TestNewValidates(t *testing.T) {
	cases := []struct {
		name    string
		broker  string
		service string
		opts    []Option
		want    string
	}{
		{"empty broker", "", "svc", nil, "empty broker endpoint"},
		{"bad endpoint", "nonsense", "svc", nil, "broker endpoint"},
		{"bad transport", "bogus://x", "svc", nil, "broker endpoint"},
		{"mmi service", "tcp://127.0.0.1:1", "mmi.service", nil, "reserved"},
		{"empty service", "tcp://127.0.0.1:1", "", nil, "empty service"},
		{"heartbeat", "tcp://127.0.0.1:1", "svc", []Option{WithHeartbeat(0)}, "heartbeat interval"},
		{"liveness", "tcp://127.0.0.1:1", "svc", []Option{WithLiveness(0)}, "liveness"},
		{"reconnect", "tcp://127.0.0.1:1", "svc", []Option{WithReconnect(time.Second, time.Millisecond)}, "reconnect backoff"},
		{"protocol", "tcp://127.0.0.1:1", "svc", []Option{WithProtocol(9)}, "unknown protocol"},
		{"concurrency", "tcp://127.0.0.1:1", "svc", []Option{WithConcurrency(0)}, "concurrency"},
		{"tier range", "tcp://127.0.0.1:1", "svc", []Option{WithTier(256)}, "tier 256"},
		{"tier needs ext", "tcp://127.0.0.1:1", "svc", []Option{WithTier(2), WithProtocol(ProtocolV01)}, "needs MDP/0.2+ext"},
		{"logger", "tcp://127.0.0.1:1", "svc", []Option{WithLogger(nil)}, "logger"},
		{"max size", "tcp://127.0.0.1:1", "svc", []Option{WithMaxMessageSize(0)}, "maximum message size"},
		{"dedup", "tcp://127.0.0.1:1", "svc", []Option{WithDedupCache(10, 0)}, "dedup cache"},
		{"deduper", "tcp://127.0.0.1:1", "svc", []Option{WithDeduper(nil)}, "deduper"},
		{"drain", "tcp://127.0.0.1:1", "svc", []Option{WithDrainTimeout(0)}, "drain timeout"},
		{"two at once", "tcp://127.0.0.1:1", "svc", []Option{WithLiveness(0), WithConcurrency(0)}, "concurrency"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New([]string{c.broker}, c.service, c.opts...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, want an error containing %q", err, c.want)
			}
			if c.opts != nil && !errors.Is(err, ErrInvalidOption) {
				t.Fatalf("New: %v, want ErrInvalidOption", err)
			}
		})
	}
	if _, err := New([]string{"tcp://127.0.0.1:1"}, "svc", WithTier(3), WithConcurrency(8), WithDedupCache(0, 0)); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	if _, err := New([]string{"tcp://127.0.0.1:1"}, "mmi.x"); !errors.Is(err, mdp.ErrReservedService) {
		t.Fatalf("mmi service: %v, want ErrReservedService", err)
	}
}

func TestBackoff(t *testing.T) {
	b := newBackoff(10*time.Millisecond, 80*time.Millisecond)
	steps := []time.Duration{10, 20, 40, 80, 80, 80}
	for i, step := range steps {
		step *= time.Millisecond
		d := b.delay()
		if d < step/2 || d > step {
			t.Fatalf("delay %d = %v, want within [%v, %v]", i, d, step/2, step)
		}
	}
	b.reset()
	if d := b.delay(); d > 10*time.Millisecond {
		t.Fatalf("after reset %v, want at most 10ms", d)
	}
}

// The jitter: delays of one step are spread over its upper half, not one
// value (many workers cut off by one broker restart must not reconnect in
// lockstep), and the cap holds.
func TestBackoffJitter(t *testing.T) {
	b := newBackoff(80*time.Millisecond, 80*time.Millisecond)
	seen := map[time.Duration]bool{}
	lo, hi := time.Hour, time.Duration(0)
	for range 200 {
		d := b.delay()
		if d < 40*time.Millisecond || d > 80*time.Millisecond {
			t.Fatalf("delay %v outside [40ms, 80ms]", d)
		}
		seen[d] = true
		lo, hi = min(lo, d), max(hi, d)
	}
	// 200 uniform draws over 40 ms: the chance that they all fall within
	// 20 ms of each other is below 2^-190.
	if len(seen) < 2 || hi-lo < 20*time.Millisecond {
		t.Fatalf("200 delays span only %v..%v (%d distinct values)", lo, hi, len(seen))
	}
}
