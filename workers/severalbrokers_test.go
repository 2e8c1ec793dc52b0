package workers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// startMultiWorker runs a worker registered with every broker in eps, with
// the tests' heartbeat; its logs at info and above are observed.
func startMultiWorker(t *testing.T, eps []string, service string, h Handler, opts ...Option) (*running, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	opts = append([]Option{WithHeartbeat(testHB), WithLiveness(testLiveness), WithReconnect(5*time.Millisecond, 50*time.Millisecond),
		WithLogger(zap.New(core))}, opts...)
	w, err := New(eps, service, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{w: w, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		_ = r.wait(t)
	})
	return r, logs
}

// logged counts the entries with message msg whose "broker" field is ep.
func logged(logs *observer.ObservedLogs, msg, ep string) int {
	n := 0
	for _, e := range logs.FilterMessage(msg).All() {
		if e.ContextMap()["broker"] == ep {
			n++
		}
	}
	return n
}

// A worker on two brokers registers with both (Ready, and an info log per
// broker), serves requests that come through either, and runs at most its
// one capacity of handlers at once however the requests are split: the
// rest wait in the worker and run as slots free.
func TestSeveralBrokersShareOneCapacity(t *testing.T) {
	for _, p := range []Protocol{ProtocolExtension, ProtocolV02} {
		t.Run(p.String(), func(t *testing.T) {
			b1 := startBroker(t, "tcp://127.0.0.1:*")
			b2 := startBroker(t, "tcp://127.0.0.1:*")
			var running, peak atomic.Int32
			release := make(chan struct{})
			h := HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
				n := running.Add(1)
				defer running.Add(-1)
				for {
					old := peak.Load()
					if n <= old || peak.CompareAndSwap(old, n) {
						break
					}
				}
				awaitRelease(ctx, release)
				return req.Body, nil
			})
			r, logs := startMultiWorker(t, []string{b1.Endpoint, b2.Endpoint}, "slow", h, WithConcurrency(2), WithProtocol(p))
			mdptest.Receive(t, r.w.Ready(), "Ready")
			mdptest.WaitFor(t, "registered with both brokers", func() bool {
				return logged(logs, "registered with broker", b1.Endpoint) == 1 && logged(logs, "registered with broker", b2.Endpoint) == 1
			})
			c1, c2 := newSDKClient(t, b1.Endpoint), newSDKClient(t, b2.Endpoint)
			ctx := testCtx(t)
			var wg sync.WaitGroup
			errs := make(chan error, 6)
			for i := range 6 {
				c := c1
				if i%2 == 1 {
					c = c2
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.Request(ctx, "slow", []byte("x"))
					errs <- err
				}()
			}
			mdptest.WaitFor(t, "both slots busy", func() bool { return running.Load() == 2 })
			close(release)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("request: %v", err)
				}
			}
			if got := peak.Load(); got != 2 {
				t.Fatalf("at most %d handlers ran at once, want the capacity, 2", got)
			}
		})
	}
}

// A broker that goes away is logged as lost at info; the worker keeps
// serving through the other, and registers again when it comes back.
func TestSeveralBrokersLossAndReturn(t *testing.T) {
	b1 := startBroker(t, "tcp://127.0.0.1:*")
	b2 := startBroker(t, "tcp://127.0.0.1:*")
	_, logs := startMultiWorker(t, []string{b1.Endpoint, b2.Endpoint}, "echo", HandlerFunc(echo))
	mdptest.WaitFor(t, "registered with both", func() bool {
		return logged(logs, "registered with broker", b1.Endpoint) == 1 && logged(logs, "registered with broker", b2.Endpoint) == 1
	})
	b1.Stop()
	mdptest.WaitFor(t, "loss of the stopped broker logged", func() bool { return logged(logs, "lost broker", b1.Endpoint) == 1 })
	if _, err := newSDKClient(t, b2.Endpoint).Request(testCtx(t), "echo", []byte("x")); err != nil {
		t.Fatalf("through the other broker: %v", err)
	}
	b3 := startBroker(t, b1.Endpoint) // the same endpoint again
	mdptest.WaitFor(t, "registered again", func() bool { return logged(logs, "registered with broker", b1.Endpoint) == 2 })
	if _, err := newSDKClient(t, b3.ep).Request(testCtx(t), "echo", []byte("x")); err != nil {
		t.Fatalf("through the restarted broker: %v", err)
	}
	if n := logged(logs, "lost broker", b2.Endpoint); n != 0 {
		t.Fatalf("the live broker was logged lost %d times", n)
	}
}

// With WithExitWhenUnreachable, a worker that no broker answers stops and
// Run says why; without it, it logs the outage once and keeps trying.
func TestSeveralBrokersUnreachable(t *testing.T) {
	eps := []string{mdptest.UnusedEndpoint(t), mdptest.UnusedEndpoint(t)}
	r, logs := startMultiWorker(t, eps, "echo", HandlerFunc(echo),
		WithUnreachableTimeout(100*time.Millisecond), WithExitWhenUnreachable())
	if err := r.wait(t); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Run: %v, want ErrUnreachable", err)
	}
	if n := logs.FilterMessage("no broker reachable").Len(); n != 1 {
		t.Fatalf("outage logged %d times, want 1", n)
	}

	r, logs = startMultiWorker(t, eps, "echo", HandlerFunc(echo), WithUnreachableTimeout(50*time.Millisecond))
	mdptest.WaitFor(t, "outage logged", func() bool { return logs.FilterMessage("no broker reachable").Len() == 1 })
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v without WithExitWhenUnreachable", err)
	default:
	}
}

func TestSeveralBrokersBadList(t *testing.T) {
	if _, err := New(nil, "echo"); !errors.Is(err, ErrNoBrokers) {
		t.Fatalf("no brokers: %v, want ErrNoBrokers", err)
	}
	ep := "tcp://127.0.0.1:5555"
	if _, err := New([]string{ep, ep}, "echo"); err == nil {
		t.Fatal("a broker given twice was accepted")
	}
	if _, err := New([]string{ep, "nope://x"}, "echo"); err == nil {
		t.Fatal("a bad endpoint in the list was accepted")
	}
}

// A client's retry that reaches the worker through another broker is
// answered from the worker's one reply cache, without running again.
func TestSeveralBrokersShareTheReplyCache(t *testing.T) {
	b1 := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	b2 := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var calls atomic.Int32
	startMultiWorker(t, []string{b1.Endpoint, b2.Endpoint}, "svc", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		n := calls.Add(1)
		return [][]byte{[]byte("call"), {byte('0' + n)}}, nil
	}))
	r1 := b1.Wait(1, "XREADY at the first broker", mdptest.IsKind(mdp.WorkerReady))
	r2 := b2.Wait(1, "XREADY at the second broker", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b1.Send(r1.From, xrequest("client", id, mdp.FlagClientUUID, "x"))
	b1.Wait(1, "FINAL through the first broker", finalFor(id))
	b2.Send(r2.From, xrequest("client-again", id, mdp.FlagClientUUID, "x"))
	retry := b2.Wait(1, "FINAL through the second broker", finalFor(id))
	if !bodyIs(retry.Msg.Body, "call", "1") {
		t.Fatalf("retry answered %q, want the first call's reply", retry.Msg.Body)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

// Any one broker is enough: a worker whose first broker is down from the
// start registers with the other and serves through it.
func TestSeveralBrokersOneDownFromTheStart(t *testing.T) {
	down := mdptest.UnusedEndpoint(t)
	b := startBroker(t, "tcp://127.0.0.1:*")
	r, logs := startMultiWorker(t, []string{down, b.Endpoint}, "echo", HandlerFunc(echo))
	mdptest.Receive(t, r.w.Ready(), "Ready")
	if _, err := newSDKClient(t, b.Endpoint).Request(testCtx(t), "echo", []byte("x")); err != nil {
		t.Fatalf("through the live broker: %v", err)
	}
	if n := logged(logs, "registered with broker", down); n != 0 {
		t.Fatalf("registered %d times with a broker that is down", n)
	}
}
