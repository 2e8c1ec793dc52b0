package titanic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/workers"

	"github.com/majordomo-go/majordomo/mdp"
)

func TestPlainClientRequestReplyClose(t *testing.T) {
	b := fastBroker(t)
	srv := startTitanic(t, b, t.TempDir())
	startWorker(t, b, "echo", 1, echo)
	c := newTiclient(t, b.Endpoint)

	id := c.submit("echo", "Hello", "world")
	if r := c.await(id); joined(r) != "200|Hello|world" {
		t.Fatalf("titanic.reply = %q, want 200 and the echo", r)
	}
	if r := c.call(mdp.TitanicReply, id); joined(r) != "200|Hello|world" {
		t.Fatalf("titanic.reply again = %q: a reply must not delete", r)
	}
	if r := c.call(mdp.TitanicClose, id); joined(r) != "200" {
		t.Fatalf("titanic.close = %q", r)
	}
	if r := c.call(mdp.TitanicReply, id); joined(r) != "400" {
		t.Fatalf("titanic.reply after close = %q, want 400", r)
	}
	if r := c.call(mdp.TitanicClose, id); joined(r) != "200" {
		t.Fatalf("titanic.close of a closed UUID = %q, want 200", r)
	}
	st := srv.Stats()
	if st.Stored != 1 || st.Replied != 1 || st.Dispatched != 1 || st.Pending != 0 || st.Store.Commits == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSlowServiceDoesNotDelayAnother(t *testing.T) {
	b := fastBroker(t)
	srv := startTitanic(t, b, t.TempDir(), func(c *Config) { c.MaxInFlight = 2; c.AttemptTimeout = 10 * time.Second })
	release := make(chan struct{})
	var slowRuns atomic.Int32
	startWorker(t, b, "slow", 8, func(ctx context.Context, r *workers.Request) ([][]byte, error) {
		slowRuns.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return r.Body, nil
	})
	startWorker(t, b, "fast", 1, echo)
	c := newTiclient(t, b.Endpoint)

	var slow []string
	for i := range 20 {
		slow = append(slow, c.submit("slow", fmt.Sprint(i)))
	}
	brokertest.WaitFor(t, "slow service busy", func() bool { return slowRuns.Load() == 2 })
	for i := range 20 {
		id := c.submit("fast", fmt.Sprint(i))
		if r := c.await(id); joined(r) != "200|"+fmt.Sprint(i) {
			t.Fatalf("fast request %d: %q", i, r)
		}
	}
	if n := slowRuns.Load(); n != 2 {
		t.Fatalf("slow service ran %d requests at once, bound is 2", n)
	}
	if r := c.call(mdp.TitanicReply, slow[19]); joined(r) != "300" {
		t.Fatalf("slow request still running: %q, want 300", r)
	}
	close(release)
	for i, id := range slow {
		if r := c.await(id); joined(r) != "200|"+fmt.Sprint(i) {
			t.Fatalf("slow request %d: %q", i, r)
		}
	}
	if st := srv.Stats(); st.Replied != 40 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTTLExpiryAnswersFailed(t *testing.T) {
	b := fastBroker(t)
	srv := startTitanic(t, b, t.TempDir(), func(c *Config) { c.DefaultTTL = 300 * time.Millisecond })
	c := newTiclient(t, b.Endpoint)
	byDefault := c.submit("nobody")
	named := c.submit("nobody"+OptionSeparator+"ttl=100", "x")
	long := c.submit("nobody"+OptionSeparator+"ttl=60000", "y")
	for _, id := range []string{named, byDefault} {
		if r := c.await(id); joined(r) != "400|failed: expired" {
			t.Fatalf("titanic.reply of an expired request = %q", r)
		}
	}
	if r := c.call(mdp.TitanicReply, long); joined(r) != "300" {
		t.Fatalf("request with a 60 s TTL = %q, want 300", r)
	}
	if st := srv.Stats(); st.Expired != 2 || st.Dispatched != 0 {
		t.Fatalf("stats %+v: want 2 expired and nothing dispatched to a service without workers", st)
	}
	startWorker(t, b, "nobody", 1, echo)
	if r := c.await(long); joined(r) != "200|y" {
		t.Fatalf("once a worker came: %q", r)
	}
}

func TestServiceRefusalIsAFailure(t *testing.T) {
	b := fastBroker(t)
	srv := startTitanic(t, b, t.TempDir())
	var runs atomic.Int32
	startWorker(t, b, "picky", 1, func(context.Context, *workers.Request) ([][]byte, error) {
		if runs.Add(1) == 1 {
			return nil, workers.Errorf(mdp.StatusInternal, "try again")
		}
		return nil, workers.Errorf(422, "no thanks")
	})
	c := newTiclient(t, b.Endpoint)
	id := c.submit("picky", "x")
	if r := c.await(id); joined(r) != "400|failed: 422 no thanks" {
		t.Fatalf("titanic.reply = %q", r)
	}
	if st := srv.Stats(); runs.Load() != 2 || st.Retries != 1 || st.Failed != 1 {
		t.Fatalf("%d runs, stats %+v: want a retry after the 500 and a failure after the 422", runs.Load(), st)
	}
}

func TestStoreFullRefusesWith503(t *testing.T) {
	b := fastBroker(t)
	srv := startTitanic(t, b, t.TempDir(), func(c *Config) { c.MaxBytes = 64 << 10 })
	c := newTiclient(t, b.Endpoint)
	big := strings.Repeat("z", 8<<10)
	var ids []string
	for {
		r := c.call(mdp.TitanicRequest, "nobody", big)
		if r[0] == "503" {
			if joined(r) != "503|store full" {
				t.Fatalf("refusal %q", r)
			}
			break
		}
		if r[0] != "200" || len(ids) > 10 {
			t.Fatalf("after %d accepted: %q", len(ids), r)
		}
		ids = append(ids, r[1])
	}
	if len(ids) < 5 || srv.Stats().Rejected != 1 || srv.Stats().Store.LiveBytes > 64<<10 {
		t.Fatalf("%d accepted, stats %+v", len(ids), srv.Stats())
	}
	if r := c.call(mdp.TitanicClose, ids[0]); joined(r) != "200" {
		t.Fatal(r)
	}
	c.submit("nobody", big) // room again
}

func TestRestartTakesUpPendingRequests(t *testing.T) {
	b := fastBroker(t)
	dir := t.TempDir()
	first, firstCancel := startTitanicCancel(t, b, dir)
	c := newTiclient(t, b.Endpoint)
	ids := []string{c.submit("later", "a"), c.submit("later", "b")}
	firstCancel()
	if st := first.Stats(); st.Pending != 2 {
		t.Fatalf("pending before restart: %+v", st)
	}
	brokertest.WaitFor(t, "first titanic gone", func() bool { return b.Workers(mdp.TitanicReply) == 0 })
	startTitanic(t, b, dir)
	startWorker(t, b, "later", 1, echo)
	for i, id := range ids {
		if r := c.await(id); joined(r) != "200|"+string(rune('a'+i)) {
			t.Fatalf("after restart %s: %q", id, r)
		}
	}
}

func TestBrokenRequestsGet500(t *testing.T) {
	b := fastBroker(t)
	startTitanic(t, b, t.TempDir())
	c := newTiclient(t, b.Endpoint)
	for _, tc := range []struct {
		service string
		body    []string
	}{
		{mdp.TitanicRequest, nil},
		{mdp.TitanicRequest, []string{"titanic.request", "x"}},
		{mdp.TitanicRequest, []string{"echo" + OptionSeparator + "ttl=soon"}},
		{mdp.TitanicReply, nil},
		{mdp.TitanicReply, []string{"0123456789abcdef"}},
		{mdp.TitanicReply, []string{"01234567-89ab-cdef-0123-456789abcdef"}},
		{mdp.TitanicClose, []string{"0123456789abcdef0123456789abcdef", "extra"}},
	} {
		if r := c.call(tc.service, tc.body...); len(r) != 2 || r[0] != "500" {
			t.Errorf("%s %q = %q, want 500 and a reason", tc.service, tc.body, r)
		}
	}
}

func TestGarbageCollectionRemovesUnclosedResults(t *testing.T) {
	b := fastBroker(t)
	srv := startTitanic(t, b, t.TempDir(), func(c *Config) {
		c.Retention = 100 * time.Millisecond
		c.SweepInterval = 20 * time.Millisecond
	})
	startWorker(t, b, "echo", 1, echo)
	c := newTiclient(t, b.Endpoint)
	id := c.submit("echo", "x")
	if r := c.await(id); joined(r) != "200|x" {
		t.Fatalf("titanic.reply = %q", r)
	}
	brokertest.WaitFor(t, "result collected", func() bool { return joined(c.call(mdp.TitanicReply, id)) == "400" })
	// The sweep counts what it removed just after its transaction commits,
	// which is when titanic.reply starts answering 400.
	brokertest.WaitFor(t, "collection counted", func() bool {
		st := srv.Stats()
		return st.Swept == 1 && st.Store.LiveBytes == 0
	})
}

func TestConfigValidation(t *testing.T) {
	ok := Config{Broker: "tcp://127.0.0.1:5555", Dir: t.TempDir()}
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, tune := range map[string]func(*Config){
		"no broker":         func(c *Config) { c.Broker = "" },
		"no dir":            func(c *Config) { c.Dir = "" },
		"tiny bound":        func(c *Config) { c.MaxBytes = 100 },
		"negative ttl":      func(c *Config) { c.DefaultTTL = -time.Second },
		"ttl over max":      func(c *Config) { c.DefaultTTL, c.MaxTTL = time.Hour, time.Minute },
		"backoff inverted":  func(c *Config) { c.BackoffMin, c.BackoffMax = time.Second, time.Millisecond },
		"negative inflight": func(c *Config) { c.MaxInFlight = -1 },
	} {
		c := ok
		tune(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New with %s: %v, want ErrConfig", name, err)
		}
	}
	srv, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v, want ErrClosed", err)
	}
	again, err := New(ok) // the store was released
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
}

func TestBrokerRestartKeepsTitanicWorking(t *testing.T) {
	first := fastBroker(t)
	ep := first.Endpoint
	srv := startTitanic(t, first, t.TempDir())
	id := newTiclient(t, ep).submit("late", "x")
	first.Stop()

	second := brokertest.Start(t, func(c *broker.Config) { c.Endpoints = []string{ep}; c.HeartbeatInterval = 50 * time.Millisecond })
	for _, svc := range []string{mdp.TitanicRequest, mdp.TitanicReply, mdp.TitanicClose} {
		brokertest.WaitFor(t, svc+" registered again", func() bool { return second.Workers(svc) == 1 })
	}
	startWorker(t, second, "late", 1, echo)
	c := newTiclient(t, ep)
	if r := c.await(id); joined(r) != "200|x" {
		t.Fatalf("after the broker restarted: %q", r)
	}
	if r := c.await(c.submit("late", "y")); joined(r) != "200|y" {
		t.Fatalf("a new request after the restart: %q", r)
	}
	if st := srv.Stats(); st.Replied != 2 {
		t.Fatalf("stats %+v", st)
	}
}
