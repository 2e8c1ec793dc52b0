package clients

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// queuedAt reports how many requests broker b holds in its queues.
func queuedAt(b *realBroker) int { return b.tb.State().Queued }

// provesNothingLeft registers a fresh worker at b, sends one more request
// through b alone and checks that this worker got that request and nothing
// before it: a request still queued at b would have reached it first.
func provesNothingLeft(t *testing.T, b *realBroker, service string) {
	t.Helper()
	var log bodyLog
	startWorker(t, b.Endpoint(), service, log.handle)
	only := newClient(t, []string{b.Endpoint()}, WithTimeout(10*time.Second))
	if reply, err := only.Request(testContext(t, 20*time.Second), service, []byte("sentinel")); err != nil ||
		!equalFrames(reply, frames("sentinel")) {
		t.Fatalf("sentinel: %q, %v", reply, err)
	}
	if got := log.String(); got != "sentinel" {
		t.Fatalf("the worker that came later got %q: a withdrawn attempt ran", got)
	}
}

// An attempt abandoned at broker A (no worker there yet: it waits in A's
// queue) when the request moves on to broker B is withdrawn at A: B's
// worker runs it once, and a worker registering at A afterwards never gets
// it.
func TestTwoBrokersAbandonedAttemptNotRun(t *testing.T) {
	a, b := startRealBroker(t, ""), startRealBroker(t, "")
	var atB bodyLog
	startWorker(t, b.Endpoint(), "svc", atB.handle)
	waitForService(t, newClient(t, []string{b.Endpoint()}), "svc")
	c := newClient(t, []string{a.Endpoint(), b.Endpoint()}, WithTimeout(time.Second), WithRetries(3),
		WithBackoff(time.Millisecond, time.Millisecond))
	connect(t, c)
	reply, err := c.Request(testContext(t, 20*time.Second), "svc", []byte("once"))
	if err != nil || !equalFrames(reply, frames("once")) {
		t.Fatalf("reply %q, %v", reply, err)
	}
	if s := c.Stats(); s.Retries != 1 || s.Cancels != 1 {
		t.Fatalf("stats %+v: want one retry and one withdrawal", s)
	}
	mdptest.WaitFor(t, "A withdrew the attempt", func() bool {
		return a.counters().Cancelled == 1 && queuedAt(a) == 0
	})
	provesNothingLeft(t, a, "svc")
	if got := atB.String(); got != "once" {
		t.Fatalf("B's worker got %q, want the request once", got)
	}
}

// A request whose context is cancelled while it waits in the broker's
// queue is withdrawn there: the worker that registers later never runs it.
func TestCancelledRequestWithdrawnAtBroker(t *testing.T) {
	b := startRealBroker(t, "")
	c := newClient(t, []string{b.Endpoint()}, WithTimeout(time.Minute))
	connect(t, c)
	ctx, cancel := context.WithCancel(testContext(t, 20*time.Second))
	call := c.Go(ctx, "svc", []byte("cancelled"))
	mdptest.WaitFor(t, "the request queued at the broker", func() bool { return queuedAt(b) == 1 })
	cancel()
	if _, err := call.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	mdptest.WaitFor(t, "the broker withdrew it", func() bool {
		return b.counters().Cancelled == 1 && queuedAt(b) == 0
	})
	if s := c.Stats(); s.Cancels != 1 || s.Cancelled != 1 {
		t.Fatalf("stats %+v", s)
	}
	provesNothingLeft(t, b, "svc")
}

// An answered request withdraws nothing; one answered by an earlier
// attempt's broker withdraws the attempt still out at the current one.
func TestAnsweredRequestSendsNoCancel(t *testing.T) {
	b := startRealBroker(t, "")
	startWorker(t, b.Endpoint(), "echo", echo)
	c := newClient(t, []string{b.Endpoint()})
	waitForService(t, c, "echo")
	for range 10 {
		if _, err := c.Request(testContext(t, 20*time.Second), "echo", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Stats(); s.Cancels != 0 || s.CancelsDropped != 0 {
		t.Fatalf("stats %+v: answered requests sent XCANCEL", s)
	}
	if n := b.counters().CancelsIgnored; n != 0 {
		t.Fatalf("broker ignored %d cancels", n)
	}
}
