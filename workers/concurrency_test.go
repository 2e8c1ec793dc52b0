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
	startWorker(t, b.ep, "svc", h, WithConcurrency(k))
	ready := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	if ready.msg.Capacity != k {
		t.Fatalf("capacity %d, want %d", ready.msg.Capacity, k)
	}
	ids := make([]uuid.UUID, k+1)
	for i := range ids {
		ids[i] = uuid.New()
		b.send(ready.id, xrequest("c", ids[i], 0, "x"))
	}
	for _, id := range ids {
		if got := b.wait(1, "FINAL", finalFor(id)); got.id != ready.id || got.msg.Kind != mdp.WorkerFinal {
			t.Fatalf("reply %v from %q", got.msg.Kind, got.id)
		}
	}
	if p := peak.Load(); p != k {
		t.Fatalf("%d handlers ran at once, want %d", p, k)
	}
	if n := len(b.messages(isKind(mdp.WorkerReady))); n != 1 {
		t.Fatalf("%d registrations, want one connection", n)
	}
}

// With a plain protocol, K connections register, each a worker of one, and
// serve K requests at once through a plain broker.
func TestConcurrencyPlainConnections(t *testing.T) {
	const k = 3
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, true)
	h, peak := barrier(k)
	startWorker(t, b.ep, "svc", h, WithConcurrency(k), WithProtocol(ProtocolV01))
	b.wait(k, "K READYs", isKind(mdp.WorkerReady))
	ids := map[string]bool{}
	for _, m := range b.messages(isKind(mdp.WorkerReady)) {
		if m.msg.Version != mdp.V01 {
			t.Fatalf("READY in %v", m.msg.Version)
		}
		ids[m.id] = true
	}
	if len(ids) != k {
		t.Fatalf("%d distinct connections, want %d", len(ids), k)
	}
	clients := make([]*testClient, k)
	for i := range clients {
		clients[i] = newTestClient(t, b.ep, mdp.V01)
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
	startWorker(t, b.ep, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		calls.Add(1)
		started <- struct{}{}
		awaitRelease(ctx, release)
		return req.Body, nil
	}))
	ready := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	running, held, extra := uuid.New(), uuid.New(), uuid.New()
	b.send(ready.id, xrequest("c", running, 0, "running"))
	mdptest.Receive(t, started, "the first handler to start")
	b.send(ready.id, xrequest("c", held, 0, "held"))
	b.send(ready.id, xrequest("c", extra, 0, "extra"))
	if got := b.wait(1, "503", finalFor(extra)).msg; got.Kind != mdp.WorkerError || got.Status != mdp.StatusOverloaded {
		t.Fatalf("request beyond capacity: %v %d %q", got.Kind, got.Status, got.Text)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d handlers started with capacity 1", n)
	}
	close(release)
	for _, id := range []uuid.UUID{running, held} {
		if got := b.wait(1, "FINAL", finalFor(id)).msg; got.Kind != mdp.WorkerFinal {
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
	startWorker(t, b.ep, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		served.Store(string(req.Body[0]), true)
		started <- struct{}{}
		awaitRelease(ctx, release)
		return req.Body, nil
	}))
	first := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	b.send(first.id, xrequest("c", uuid.New(), 0, "running"))
	mdptest.Receive(t, started, "the first handler to start")
	stale := uuid.New()
	b.send(first.id, xrequest("c", stale, 0, "held on the lost connection"))
	marker := uuid.New() // answered at once with 503: proves the held one was taken
	b.send(first.id, xrequest("c", marker, 0, "marker"))
	b.wait(1, "503 for the marker", finalFor(marker))
	b.send(first.id, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	second := b.wait(2, "second XREADY", isKind(mdp.WorkerReady))
	fresh := uuid.New()
	b.send(second.id, xrequest("c", fresh, 0, "fresh"))
	close(release)
	if got := b.wait(1, "FINAL", finalFor(fresh)); got.msg.Kind != mdp.WorkerFinal || got.id != second.id {
		t.Fatalf("request on the new connection: %v %d from %q", got.msg.Kind, got.msg.Status, got.id)
	}
	if _, ok := served.Load("held on the lost connection"); ok {
		t.Fatal("a request held on the lost connection ran")
	}
	if n := len(b.messages(finalFor(stale))); n != 0 {
		t.Fatalf("%d replies for a request of the lost connection", n)
	}
}
