package workers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
)

// realBroker is our broker (package broker) on a loopback port.
type realBroker struct {
	b    *broker.Broker
	ep   string
	stop func()
}

func startBroker(t *testing.T, endpoint string) *realBroker {
	t.Helper()
	cfg := broker.DefaultConfig()
	cfg.Endpoints = []string{endpoint}
	cfg.HeartbeatInterval = testHB
	cfg.HeartbeatLiveness = testBrokerLiveness
	cfg.Logger = zaptest.NewLogger(t)
	var b *broker.Broker
	// The port of a broker just stopped may take a moment to be free.
	waitFor(t, "broker on "+endpoint, func() bool {
		var err error
		b, err = broker.New(cfg)
		return err == nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	r := &realBroker{b: b, ep: b.Endpoints()[0]}
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := receive(t, done, "the broker to stop"); err != nil {
				t.Errorf("broker Run: %v", err)
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// service returns the broker's view of one service.
func (r *realBroker) service(t *testing.T, name string) broker.ServiceSnapshot {
	t.Helper()
	snap, err := r.b.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snap.Services {
		if s.Name == name {
			return s
		}
	}
	return broker.ServiceSnapshot{Name: name}
}

func (r *realBroker) counters(t *testing.T) broker.Counters {
	t.Helper()
	snap, err := r.b.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Counters
}

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

// Through our broker, with the client SDK: streaming in order, typed error
// codes, and a plain MDP/0.1 client served by the extension worker.
func TestOurBrokerServes(t *testing.T) {
	rb := startBroker(t, "tcp://127.0.0.1:*")
	startWorker(t, rb.ep, "stream", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		switch string(req.Body[0]) {
		case "fail":
			return nil, Errorf(mdp.StatusBadRequest, "refused")
		case "echo":
			return req.Body, nil
		}
		return streamTen(ctx, req)
	}))
	waitFor(t, "the worker to register", func() bool { return rb.service(t, "stream").Workers == 1 })
	c := newSDKClient(t, rb.ep)
	ctx := testCtx(t)

	s := c.Stream(ctx, "stream", []byte("go"))
	defer s.Close()
	var got []string
	for s.Next() {
		prefix := ""
		if s.Final() {
			prefix = "final:"
		}
		got = append(got, prefix+string(s.Body()[0]))
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	want := []string{"part 0", "part 1", "part 2", "part 3", "part 4", "part 5", "part 6", "part 7", "part 8", "part 9", "final:done"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stream %q, want %q", got, want)
	}

	_, err := c.Request(ctx, "stream", []byte("fail"))
	var se *clients.ServiceError
	if !errors.As(err, &se) || se.Status != mdp.StatusBadRequest || se.Text != "refused" {
		t.Fatalf("error reply: %v, want status 400 refused", err)
	}

	plain := newTestClient(t, rb.ep, mdp.V01)
	plain.request("stream", "echo", "from 0.1")
	if m := plain.recv(); m.Kind != mdp.ClientFinal || m.Version != mdp.V01 || !bodyIs(m.Body, "echo", "from 0.1") {
		t.Fatalf("MDP/0.1 client got %v %v %q", m.Version, m.Kind, m.Body)
	}
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
	waitFor(t, "the worker to register", func() bool { return rb.service(t, "slow").Workers == 1 })
	reply, err := newSDKClient(t, rb.ep).Request(testCtx(t), "slow", []byte("done"))
	if err != nil || !bodyIs(reply, "done") {
		t.Fatalf("slow request: %q, %v", reply, err)
	}
	if c := rb.counters(t); c.WorkersExpired != 0 || c.Requeued != 0 || c.WorkersRegistered != 1 {
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
	rb.stop()
	rb2 := startBroker(t, rb.ep)
	waitFor(t, "the worker to register again", func() bool { return rb2.service(t, "echo").Workers == 1 })
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
	waitFor(t, "the worker to register", func() bool { return rb.service(t, "svc").Workers == 1 })
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
	if n := rb.service(t, "svc").Workers; n != 1 {
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
	waitFor(t, "the worker to register", func() bool { return rb.service(t, "svc").Workers == 1 })
	call := newSDKClient(t, rb.ep).Go(testCtx(t), "svc", []byte("in flight"))
	receive(t, started, "the handler to start")
	shut := make(chan error, 1)
	go func() { shut <- r.w.Shutdown(context.Background()) }()
	waitFor(t, "the broker to see the drain", func() bool { return rb.service(t, "svc").Draining == 1 })
	close(release)
	if reply, err := call.Wait(); err != nil || !bodyIs(reply, "in flight") {
		t.Fatalf("request in flight: %q, %v", reply, err)
	}
	if err := receive(t, shut, "Shutdown"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	waitFor(t, "the worker to leave", func() bool { return rb.service(t, "svc").Workers == 0 })
	if c := rb.counters(t); c.Requeued != 0 || c.StaleReplies != 0 {
		t.Fatalf("requeued %d, stale %d: want 0", c.Requeued, c.StaleReplies)
	}
}
