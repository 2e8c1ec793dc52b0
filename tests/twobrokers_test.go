package tests

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/workers"
)

// load runs concurrent callers of "echo" through c until end, counting
// successes and failures.
type load struct {
	ok, failed atomic.Int64
	firstErr   atomic.Value
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(t *testing.T, c *clients.Client, callers int) *load {
	l := &load{stop: make(chan struct{})}
	for range callers {
		l.wg.Add(1)
		go l.call(c)
	}
	t.Cleanup(l.end)
	return l
}

func (l *load) call(c *clients.Client) {
	defer l.wg.Done()
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		_, err := c.Request(ctx, "echo", []byte("ping"))
		cancel()
		if err != nil {
			l.failed.Add(1)
			l.firstErr.CompareAndSwap(nil, err)
		} else {
			l.ok.Add(1)
		}
	}
}

func (l *load) end() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// waitMore waits until n more calls have succeeded.
func (l *load) waitMore(t *testing.T, n int64, what string) {
	t.Helper()
	target := l.ok.Load() + n
	if !mdptest.Eventually(waitLong, func() bool { return l.ok.Load() >= target }) {
		t.Fatalf("%s: %d calls succeeded, wanted %d (failed %d)", what, l.ok.Load(), target, l.failed.Load())
	}
}

// Two broker processes, two workers registered with both, a client on
// both with 32 calls in flight. kill -9 of one broker fails no call: the
// client retries what it had there on the other (same UUID) and the
// workers keep serving through the other. The broker restarted on its
// endpoint: both workers register with it again and serve calls that come
// only through it.
func TestTwoBrokersKillOneUnderLoad(t *testing.T) {
	bin := buildMdbroker(t)
	b1, ep1 := startBrokerProcess(t, bin)
	_, ep2 := startBrokerProcess(t, bin)
	eps := []string{ep1, ep2}
	// The workers' liveness and reconnect are the workers package's test
	// timings, where this test came from.
	opts := []workers.Option{workers.WithConcurrency(8), workers.WithLiveness(50), workers.WithReconnect(5*time.Millisecond, 50*time.Millisecond)}
	log1 := startObservedWorker(t, eps, "echo", echo, opts...)
	log2 := startObservedWorker(t, eps, "echo", echo, opts...)
	registered := func(ep string, n int) func() bool {
		return func() bool {
			return logged(log1, "registered with broker", ep) == n && logged(log2, "registered with broker", ep) == n
		}
	}
	mdptest.WaitFor(t, "both workers on both brokers", func() bool { return registered(ep1, 1)() && registered(ep2, 1)() })

	c := newClient(t, eps, clients.WithTimeout(time.Second), clients.WithRetries(10))
	l := startLoad(t, c, 32)
	l.waitMore(t, 300, "before the kill")

	retriesBefore := c.Stats().Retries
	b1.kill(t) // the client's first choice: the calls in flight are there
	l.waitMore(t, 500, "after the kill")
	if c.Stats().Retries == retriesBefore {
		t.Fatal("no call was retried after the kill: the load did not go through the killed broker")
	}
	mdptest.WaitFor(t, "the loss logged by both workers", func() bool {
		return logged(log1, "lost broker", ep1) == 1 && logged(log2, "lost broker", ep1) == 1
	})

	startBrokerProcessAt(t, bin, ep1)
	mdptest.WaitFor(t, "both workers registered again with the restarted broker", registered(ep1, 2))
	only1 := newClient(t, []string{ep1}, clients.WithTimeout(time.Second), clients.WithRetries(10))
	l1 := startLoad(t, only1, 8)
	l1.waitMore(t, 200, "through the restarted broker alone")
	l.waitMore(t, 200, "after the restart")
	l.end()
	l1.end()
	for _, x := range []*load{l, l1} {
		if n := x.failed.Load(); n != 0 {
			t.Fatalf("%d calls failed (of %d); first: %v", n, n+x.ok.Load(), x.firstErr.Load())
		}
	}
	t.Logf("calls: %d through both brokers, %d through the restarted one alone, none failed", l.ok.Load(), l1.ok.Load())
}

func echo(_ context.Context, req *workers.Request) ([][]byte, error) { return req.Body, nil }
