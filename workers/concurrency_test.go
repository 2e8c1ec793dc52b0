package workers

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

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
