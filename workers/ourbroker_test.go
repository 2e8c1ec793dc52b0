package workers

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// realBroker is our broker (package broker) on a loopback port.
type realBroker struct {
	*brokertest.Broker
	ep string
}

// startBroker runs our broker on endpoint with the tests' heartbeat and
// the broker's default drain timeout; tune adjusts it further.
func startBroker(t *testing.T, endpoint string, tune ...func(*broker.Config)) *realBroker {
	t.Helper()
	b := brokertest.Start(t, append([]func(*broker.Config){func(cfg *broker.Config) {
		cfg.Endpoints = []string{endpoint}
		cfg.HeartbeatInterval = testHB
		cfg.HeartbeatLiveness = testBrokerLiveness
		cfg.DrainTimeout = broker.DefaultConfig().DrainTimeout
	}}, tune...)...)
	return &realBroker{Broker: b, ep: b.Endpoint}
}

// service returns the broker's view of one service.
func (r *realBroker) service(name string) broker.ServiceSnapshot {
	s, ok := r.Service(name)
	if !ok {
		s.Name = name
	}
	return s
}

func (r *realBroker) counters() broker.Counters { return r.State().Counters }

func newSDKClient(t *testing.T, ep string) *clients.Client {
	t.Helper()
	c, err := clients.New([]string{ep})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A handler running for several expiry periods is answered, and our broker
// never expires the worker: the worker heartbeats while it works.
func TestOurBrokerSlowHandler(t *testing.T) {
	rb := startBroker(t, "tcp://127.0.0.1:*")
	expiry := testHB * testBrokerLiveness // the worker declares testHB
	startWorker(t, rb.ep, "slow", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		// The slowness is the behaviour under test: three expiry periods.
		select {
		case <-time.After(3 * expiry):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return req.Body, nil
	}))
	mdptest.WaitFor(t, "the worker to register", func() bool { return rb.service("slow").Workers == 1 })
	reply, err := newSDKClient(t, rb.ep).Request(testCtx(t), "slow", []byte("done"))
	if err != nil || !bodyIs(reply, "done") {
		t.Fatalf("slow request: %q, %v", reply, err)
	}
	if c := rb.counters(); c.WorkersExpired != 0 || c.Requeued != 0 || c.WorkersRegistered != 1 {
		t.Fatalf("expired %d, requeued %d, registered %d: want 0, 0, 1", c.WorkersExpired, c.Requeued, c.WorkersRegistered)
	}
}

// Our broker stopped and restarted on the same port mid-run: the worker
// registers again and serves.
func TestOurBrokerRestart(t *testing.T) {
	rb := startBroker(t, "tcp://127.0.0.1:*")
	startWorker(t, rb.ep, "echo", HandlerFunc(echo))
	if _, err := newSDKClient(t, rb.ep).Request(testCtx(t), "echo", []byte("before")); err != nil {
		t.Fatalf("before the restart: %v", err)
	}
	rb.Stop()
	rb2 := startBroker(t, rb.ep)
	mdptest.WaitFor(t, "the worker to register again", func() bool { return rb2.service("echo").Workers == 1 })
	reply, err := newSDKClient(t, rb2.ep).Request(testCtx(t), "echo", []byte("after"))
	if err != nil || !bodyIs(reply, "after") {
		t.Fatalf("after the restart: %q, %v", reply, err)
	}
}

// K requests run at once on one registered worker of capacity K.
func TestOurBrokerConcurrency(t *testing.T) {
	const k = 4
	rb := startBroker(t, "tcp://127.0.0.1:*")
	h, peak := barrier(k)
	startWorker(t, rb.ep, "svc", h, WithConcurrency(k))
	mdptest.WaitFor(t, "the worker to register", func() bool { return rb.service("svc").Workers == 1 })
	c := newSDKClient(t, rb.ep)
	ctx := testCtx(t)
	calls := make([]*clients.Call, k)
	for i := range calls {
		calls[i] = c.Go(ctx, "svc", []byte{byte('a' + i)})
	}
	for i, call := range calls {
		if reply, err := call.Wait(); err != nil || !bodyIs(reply, string(rune('a'+i))) {
			t.Fatalf("call %d: %q, %v", i, reply, err)
		}
	}
	if p := peak.Load(); p != k {
		t.Fatalf("%d handlers at once, want %d", p, k)
	}
	if n := rb.service("svc").Workers; n != 1 {
		t.Fatalf("%d workers registered, want 1", n)
	}
}

// Shutdown through our broker: the broker sees the worker draining while
// its request runs, the request is answered, and the worker leaves.
func TestOurBrokerDrain(t *testing.T) {
	rb := startBroker(t, "tcp://127.0.0.1:*")
	started := make(chan struct{})
	release := make(chan struct{})
	r := startWorker(t, rb.ep, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		awaitRelease(ctx, release)
		return req.Body, nil
	}))
	mdptest.WaitFor(t, "the worker to register", func() bool { return rb.service("svc").Workers == 1 })
	call := newSDKClient(t, rb.ep).Go(testCtx(t), "svc", []byte("in flight"))
	mdptest.Receive(t, started, "the handler to start")
	shut := make(chan error, 1)
	go func() { shut <- r.w.Shutdown(context.Background()) }()
	mdptest.WaitFor(t, "the broker to see the drain", func() bool { return rb.service("svc").Draining == 1 })
	close(release)
	if reply, err := call.Wait(); err != nil || !bodyIs(reply, "in flight") {
		t.Fatalf("request in flight: %q, %v", reply, err)
	}
	if err := mdptest.Receive(t, shut, "Shutdown"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	mdptest.WaitFor(t, "the worker to leave", func() bool { return rb.service("svc").Workers == 0 })
	if c := rb.counters(); c.Requeued != 0 || c.StaleReplies != 0 {
		t.Fatalf("requeued %d, stale %d: want 0", c.Requeued, c.StaleReplies)
	}
}

// Cancelling Run's context drains through our broker: the broker is told
// at once (XDRAIN) and hands the draining worker nothing more, so a request
// sent during the drain waits in the broker's queue; the request in flight
// is answered, Run returns nil, and a new worker takes the queued request.
func TestOurBrokerDrainOnCancel(t *testing.T) {
	rb := startBroker(t, "tcp://127.0.0.1:*")
	var seen sync.Map // body → which worker served it
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	serveAs := func(name string) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
			seen.Store(string(req.Body[0]), name)
			if name == "first" {
				started <- struct{}{}
				awaitRelease(ctx, release)
			}
			return [][]byte{[]byte(name)}, nil
		})
	}
	first := startWorker(t, rb.ep, "svc", serveAs("first"), WithConcurrency(2))
	mdptest.WaitFor(t, "the worker to register", func() bool { return rb.service("svc").Workers == 1 })
	c := newSDKClient(t, rb.ep)
	ctx := testCtx(t)
	inFlight := c.Go(ctx, "svc", []byte("in flight"))
	mdptest.Receive(t, started, "the handler to start")

	first.cancel()
	mdptest.WaitFor(t, "the broker to see the drain", func() bool { return rb.service("svc").Draining == 1 })
	// The worker has a free slot, but it is draining: the broker keeps this one.
	late := c.Go(ctx, "svc", []byte("late"))
	mdptest.WaitFor(t, "the late request to be queued", func() bool { return rb.service("svc").Queued == 1 })
	close(release)
	if reply, err := inFlight.Wait(); err != nil || !bodyIs(reply, "first") {
		t.Fatalf("request in flight: %q, %v", reply, err)
	}
	if err := first.wait(t); err != nil {
		t.Fatalf("Run after a complete drain: %v", err)
	}
	if s := rb.service("svc"); s.Workers != 0 || s.Queued != 1 {
		t.Fatalf("after the drain: %d workers, %d queued; want 0, 1", s.Workers, s.Queued)
	}
	if who, ok := seen.Load("late"); ok {
		t.Fatalf("the late request reached the %s worker while it drained", who)
	}
	startWorker(t, rb.ep, "svc", serveAs("second"))
	if reply, err := late.Wait(); err != nil || !bodyIs(reply, "second") {
		t.Fatalf("late request: %q, %v", reply, err)
	}
}

// Tiers through our broker: a tier-1 worker takes the work while it is
// there, even though the tier-2 worker registered first; when it leaves,
// the tier-2 worker serves.
func TestOurBrokerTiers(t *testing.T) {
	rb := startBroker(t, "tcp://127.0.0.1:*")
	named := func(name string) Handler {
		return HandlerFunc(func(context.Context, *Request) ([][]byte, error) { return [][]byte{[]byte(name)}, nil })
	}
	startWorker(t, rb.ep, "svc", named("tier 2"), WithTier(2))
	mdptest.WaitFor(t, "the tier-2 worker to register", func() bool { return rb.service("svc").Workers == 1 })
	best := startWorker(t, rb.ep, "svc", named("tier 1"))
	mdptest.WaitFor(t, "the tier-1 worker to register", func() bool { return rb.service("svc").Workers == 2 })
	c := newSDKClient(t, rb.ep)
	ctx := testCtx(t)
	for i := range 5 {
		if reply, err := c.Request(ctx, "svc", []byte("x")); err != nil || !bodyIs(reply, "tier 1") {
			t.Fatalf("request %d: %q, %v; want the tier-1 worker", i, reply, err)
		}
	}
	best.cancel()
	if err := best.wait(t); err != nil {
		t.Fatalf("tier-1 Run: %v", err)
	}
	mdptest.WaitFor(t, "the tier-1 worker to leave", func() bool { return rb.service("svc").Workers == 1 })
	if reply, err := c.Request(ctx, "svc", []byte("x")); err != nil || !bodyIs(reply, "tier 2") {
		t.Fatalf("without tier 1: %q, %v; want the tier-2 worker", reply, err)
	}
}

// Mismatched intervals do not make the worker flap: the broker's own
// expiry (5 ms × 10) is shorter than the worker's heartbeat interval
// (100 ms), so a broker that ignored the interval the worker declares in
// XREADY would expire it at once; ours expires it only after 100 ms × 10.
// A request lasting 15 of the worker's intervals is answered on the one
// registration.
func TestOurBrokerHonoursDeclaredHeartbeat(t *testing.T) {
	rb := startBroker(t, "tcp://127.0.0.1:*", func(c *broker.Config) {
		c.HeartbeatInterval = 5 * time.Millisecond
		c.HeartbeatLiveness = 10
	})
	const interval = 100 * time.Millisecond
	startWorker(t, rb.ep, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		select { // the duration is the behaviour under test
		case <-time.After(15 * interval):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return req.Body, nil
	}), WithHeartbeat(interval))
	mdptest.WaitFor(t, "the worker to register", func() bool { return rb.service("svc").Workers == 1 })
	reply, err := newSDKClient(t, rb.ep).Request(testCtx(t), "svc", []byte("patient"))
	if err != nil || !bodyIs(reply, "patient") {
		t.Fatalf("request: %q, %v", reply, err)
	}
	if c := rb.counters(); c.WorkersExpired != 0 || c.Requeued != 0 || c.WorkersRegistered != 1 {
		t.Fatalf("expired %d, requeued %d, registered %d: want 0, 0, 1", c.WorkersExpired, c.Requeued, c.WorkersRegistered)
	}
}
