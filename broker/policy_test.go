package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// A pinned policy's queue cap and deadline replace the broker's for that
// service only.
func TestPinnedQueueLimitAndDeadline(t *testing.T) {
	tb := startBroker(t, func(c *Config) {
		patient(c)
		c.Services = map[string]ServicePolicy{"tight": {QueueLimit: 1, RequestTimeout: 100 * time.Millisecond}}
	})
	w := tb.readyWorker(t, readyExt("tight", 1, 1))
	tb.readyWorker(t, readyExt("loose", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	call(c, "tight", "held")
	req := w.expect(mdp.WorkerRequest)
	if req.Timeout > 100*time.Millisecond {
		t.Fatalf("worker told %v left, want at most the pinned 100ms", req.Timeout)
	}
	queued := call(c, "tight", "queued")
	refused := uuid.New()
	c.send(requestExt(refused, "tight", time.Minute, 0, "refused"))
	expectError(t, c, refused, mdp.StatusOverloaded)
	// The queued one expires at the pinned deadline (the held one too).
	got := map[uuid.UUID]mdp.Status{}
	for range 2 {
		m := c.expect(mdp.ClientError)
		got[m.UUID] = m.Status
	}
	if got[queued] != mdp.StatusExpired {
		t.Fatalf("queued request ended %v", got)
	}
	// Another service keeps the broker's bounds: two requests queue there.
	for range 3 {
		call(c, "loose", "x")
	}
	waitFor(t, "two queued for loose", func() bool { return tb.snapshot(t).Queued == 2 })
}

func TestServicePolicyValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    ServicePolicy
		want string
	}{
		{"mmi.x", ServicePolicy{}, "not a name a worker can register"},
		{"s", ServicePolicy{Mode: mdp.Mode(7)}, "unknown"},
		{"s", ServicePolicy{QueueBytes: -1}, "must not be negative"},
		{"s", ServicePolicy{RequestTimeout: time.Microsecond}, "below 1ms"},
	} {
		cfg := DefaultConfig()
		cfg.Services = map[string]ServicePolicy{tc.name: tc.p}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %+v: %v, want %q", tc.name, tc.p, err, tc.want)
		}
	}
}

// The latency window keeps the last one to two windows: quantiles are
// bucket bounds, an old window rotates out, a long gap forgets all.
func TestLatencyWindow(t *testing.T) {
	var h windowHistogram
	now := time.Unix(1000, 0)
	if q, n := h.quantile(now, 0.5); q != 0 || n != 0 {
		t.Fatalf("empty: %v %d", q, n)
	}
	for i := 0; i < 98; i++ {
		h.observe(now, 3*time.Millisecond) // bucket ≤ 5ms
	}
	h.observe(now, 40*time.Millisecond) // ≤ 50ms
	h.observe(now, time.Minute)         // beyond every bound
	if q, n := h.quantile(now, 0.5); q != 5*time.Millisecond || n != 100 {
		t.Fatalf("p50 %v of %d", q, n)
	}
	if q, _ := h.quantile(now, 0.99); q != 50*time.Millisecond {
		t.Fatalf("p99 %v", q)
	}
	if q, _ := h.quantile(now, 1); q != 10*time.Second {
		t.Fatalf("p100 %v, want the largest bound", q)
	}
	later := now.Add(StatsWindow)
	h.observe(later, 200*time.Microsecond)
	if _, n := h.quantile(later, 0.5); n != 101 {
		t.Fatalf("previous window kept: %d samples, want 101", n)
	}
	if q, n := h.quantile(later.Add(StatsWindow), 0.5); n != 1 || q != 250*time.Microsecond {
		t.Fatalf("after two windows: %v of %d", q, n)
	}
	if _, n := h.quantile(later.Add(5*StatsWindow), 0.5); n != 0 {
		t.Fatalf("after a long gap: %d samples", n)
	}
}
