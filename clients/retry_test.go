package clients

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// Every attempt of a request carries its UUID; another request has
// another. The fake broker shows the UUIDs on the wire; the real one counts
// the retries of a request it already holds as duplicates.
func TestRetriesKeepTheUUID(t *testing.T) {
	forEachBroker(t, func(t *testing.T, start startBrokerFunc) {
		b := start(t, "")
		c := newClient(t, []string{b.Endpoint()}, WithTimeout(30*time.Millisecond), WithRetries(2), WithBackoff(0, 0))
		connect(t, c)
		before := c.Stats()
		for range 2 {
			// A long ctx deadline: the broker keeps the request queued
			// while its retries arrive.
			if _, err := c.Request(testContext(t, time.Minute), "nobody"); !errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
		}
		if s := c.Stats(); s.Requests-before.Requests != 2 || s.Attempts-before.Attempts != 6 {
			t.Fatalf("stats %+v, before %+v", s, before)
		}
		mdptest.WaitFor(t, "six attempts at the broker", func() bool { return b.Work() == 6 })
		switch b := b.(type) {
		case *fakeBroker:
			a := b.requestsFor(func(m *mdp.Message) bool { return m.Service == "nobody" })
			first, second := a[0].Msg.UUID, a[3].Msg.UUID
			if first == (uuid.UUID{}) || first == second {
				t.Fatalf("UUIDs %v and %v: want two distinct", first, second)
			}
			for i, x := range a {
				if want := []uuid.UUID{first, second}[i/3]; x.Msg.UUID != want {
					t.Fatalf("attempt %d carried %v, want %v", i, x.Msg.UUID, want)
				}
			}
		case *realBroker:
			if d := b.counters().Duplicates; d != 4 {
				t.Fatalf("broker counted %d duplicates, want 4 (two retries of each request)", d)
			}
		}
	})
}

func TestBackoffFor(t *testing.T) {
	o := defaultOptions()
	o.backoff, o.maxBackoff = 10*time.Millisecond, time.Second
	for n, want := range map[int]time.Duration{
		1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 3: 40 * time.Millisecond,
		7: 640 * time.Millisecond, 8: time.Second, 50: time.Second,
	} {
		if got := o.backoffFor(n); got != want {
			t.Errorf("backoffFor(%d) = %v, want %v", n, got, want)
		}
	}
	o.backoff, o.maxBackoff = 0, 0
	if got := o.backoffFor(3); got != 0 {
		t.Errorf("zero backoff: backoffFor(3) = %v", got)
	}
}

// Between two attempts the client waits the attempt's timeout, then the
// backoff, which doubles up to its maximum.
func TestRetriesBackOff(t *testing.T) {
	b := startFakeBroker(t, "", false)
	const timeout, backoff = 20 * time.Millisecond, 100 * time.Millisecond
	c := newClient(t, []string{b.Endpoint()}, WithTimeout(timeout), WithRetries(3), WithBackoff(backoff, 2*backoff))
	connect(t, c)
	if _, err := c.Request(context.Background(), "nobody"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	mdptest.WaitFor(t, "four attempts at the broker", func() bool { return b.Work() == 4 })
	a := b.requestsFor(func(m *mdp.Message) bool { return m.Service == "nobody" })
	// Measured where the attempts arrive, which the network may delay by a
	// little: less slack than the backoff itself.
	const slack = 15 * time.Millisecond
	for i, min := range []time.Duration{timeout + backoff, timeout + 2*backoff, timeout + 2*backoff} {
		if gap := a[i+1].At.Sub(a[i].At); gap < min-slack {
			t.Errorf("attempt %d came %v after attempt %d, want at least %v", i+2, gap, i+1, min)
		}
	}
}

// Requests cancelled while they wait for a broker that is not up are never
// sent: when the broker comes, it gets only the next request.
func TestCancelledRequestsNeverSent(t *testing.T) {
	forEachBroker(t, func(t *testing.T, start startBrokerFunc) {
		ep := mdptest.UnusedEndpoint(t)
		c := newClient(t, []string{ep}, WithTimeout(time.Minute), WithRetries(0))
		ctx, cancel := context.WithCancel(context.Background())
		calls := make([]*Call, 20)
		for i := range calls {
			calls[i] = c.Go(ctx, "echo")
		}
		mdptest.WaitFor(t, "every request pending", func() bool { return c.Stats().Pending == int64(len(calls)) })
		cancel()
		for i, call := range calls {
			if _, err := call.Wait(); !errors.Is(err, context.Canceled) {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		b := start(t, ep)
		startWorker(t, ep, "echo", echo)
		if reply, err := c.Request(testContext(t, 20*time.Second), "echo", []byte("only")); err != nil || !equalFrames(reply, frames("only")) {
			t.Fatalf("reply %q, %v", reply, err)
		}
		if n := b.Requests(); n != 1 {
			t.Fatalf("the broker got %d requests, want 1", n)
		}
		if s := c.Stats(); s.Cancelled != uint64(len(calls)) || s.Pending != 0 {
			t.Fatalf("stats %+v", s)
		}
	})
}
