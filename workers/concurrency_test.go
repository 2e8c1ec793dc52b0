package workers

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// barrier returns a handler that answers only once k handlers are running
// at the same time, and the highest number seen running at once.
func barrier(k int32) (Handler, *atomic.Int32) {
	var now, peak atomic.Int32
	all := make(chan struct{})
	return HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		n := now.Add(1)
		defer now.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == k {
			close(all)
		}
		select {
		case <-all:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return req.Body, nil
	}), &peak
}

// With the extension, K handlers run at once on one connection that
// declared capacity K; a K+1st request waits for a free slot.
func TestConcurrencyOneConnection(t *testing.T) {
	const k = 4
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	h, peak := barrier(k)
	startWorker(t, b.Endpoint, "svc", h, WithConcurrency(k))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	if ready.Msg.Capacity != k {
		t.Fatalf("capacity %d, want %d", ready.Msg.Capacity, k)
	}
	ids := make([]uuid.UUID, k+1)
	for i := range ids {
		ids[i] = uuid.New()
		b.Send(ready.From, xrequest("c", ids[i], 0, "x"))
	}
	for _, id := range ids {
		if got := b.Wait(1, "FINAL", finalFor(id)); got.From != ready.From || got.Msg.Kind != mdp.WorkerFinal {
			t.Fatalf("reply %v from %q", got.Msg.Kind, got.From)
		}
	}
	if p := peak.Load(); p != k {
		t.Fatalf("%d handlers ran at once, want %d", p, k)
	}
	if n := len(b.Messages(mdptest.IsKind(mdp.WorkerReady))); n != 1 {
		t.Fatalf("%d registrations, want one connection", n)
	}
}

// With a plain protocol, K connections register, each a worker of one, and
// serve K requests at once through a plain broker.
func TestConcurrencyPlainConnections(t *testing.T) {
	const k = 3
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, true)
	h, peak := barrier(k)
	startWorker(t, b.Endpoint, "svc", h, WithConcurrency(k), WithProtocol(ProtocolV01))
	b.Wait(k, "K READYs", mdptest.IsKind(mdp.WorkerReady))
	ids := map[string]bool{}
	for _, m := range b.Messages(mdptest.IsKind(mdp.WorkerReady)) {
		if m.Msg.Version != mdp.V01 {
			t.Fatalf("READY in %v", m.Msg.Version)
		}
		ids[m.From] = true
	}
	if len(ids) != k {
		t.Fatalf("%d distinct connections, want %d", len(ids), k)
	}
	clients := make([]*testClient, k)
	for i := range clients {
		clients[i] = newTestClient(t, b.Endpoint, mdp.V01)
		clients[i].request("svc", "x")
	}
	for _, c := range clients {
		if got := c.recv(); !bodyIs(got.Body, "x") {
			t.Fatalf("reply %q", got.Body)
		}
	}
	if p := peak.Load(); p != k {
		t.Fatalf("%d handlers ran at once, want %d", p, k)
	}
}

// A broker that ignores the declared capacity gets 503 for a request beyond
// what the worker can run and hold, instead of an ever-growing queue; the
// held ones run when a slot frees.
func TestOverCapacityRefused(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var calls atomic.Int32
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		calls.Add(1)
		started <- struct{}{}
		awaitRelease(ctx, release)
		return req.Body, nil
	}))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	running, held, extra := uuid.New(), uuid.New(), uuid.New()
	b.Send(ready.From, xrequest("c", running, 0, "running"))
	mdptest.Receive(t, started, "the first handler to start")
	b.Send(ready.From, xrequest("c", held, 0, "held"))
	b.Send(ready.From, xrequest("c", extra, 0, "extra"))
	if got := b.Wait(1, "503", finalFor(extra)).Msg; got.Kind != mdp.WorkerError || got.Status != mdp.StatusOverloaded {
		t.Fatalf("request beyond capacity: %v %d %q", got.Kind, got.Status, got.Text)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d handlers started with capacity 1", n)
	}
	close(release)
	for _, id := range []uuid.UUID{running, held} {
		if got := b.Wait(1, "FINAL", finalFor(id)).Msg; got.Kind != mdp.WorkerFinal {
			t.Fatalf("held request: %v %d", got.Kind, got.Status)
		}
	}
}

// Requests held (not started) on a connection that is lost are dropped, as
// the broker gives them to another worker, and do not take the places of
// the new connection's requests.
func TestHeldRequestsOfLostConnectionDropped(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var served sync.Map
	started := make(chan struct{}, 3)
	release := make(chan struct{})
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		served.Store(string(req.Body[0]), true)
		started <- struct{}{}
		awaitRelease(ctx, release)
		return req.Body, nil
	}))
	first := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	b.Send(first.From, xrequest("c", uuid.New(), 0, "running"))
	mdptest.Receive(t, started, "the first handler to start")
	stale := uuid.New()
	b.Send(first.From, xrequest("c", stale, 0, "held on the lost connection"))
	marker := uuid.New() // answered at once with 503: proves the held one was taken
	b.Send(first.From, xrequest("c", marker, 0, "marker"))
	b.Wait(1, "503 for the marker", finalFor(marker))
	b.Send(first.From, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	second := b.Wait(2, "second XREADY", mdptest.IsKind(mdp.WorkerReady))
	fresh := uuid.New()
	b.Send(second.From, xrequest("c", fresh, 0, "fresh"))
	close(release)
	if got := b.Wait(1, "FINAL", finalFor(fresh)); got.Msg.Kind != mdp.WorkerFinal || got.From != second.From {
		t.Fatalf("request on the new connection: %v %d from %q", got.Msg.Kind, got.Msg.Status, got.From)
	}
	if _, ok := served.Load("held on the lost connection"); ok {
		t.Fatal("a request held on the lost connection ran")
	}
	if n := len(b.Messages(finalFor(stale))); n != 0 {
		t.Fatalf("%d replies for a request of the lost connection", n)
	}
}
