package workers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/mdp"
)

// A handler much slower than interval × liveness is answered on the same
// registration: heartbeats keep flowing while it runs.
func TestHeartbeatsDuringSlowHandler(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	release := make(chan struct{})
	startWorker(t, b.ep, "slow", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		awaitRelease(ctx, release)
		return req.Body, nil
	}))
	ready := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	id := uuid.New()
	b.send(ready.id, xrequest("c", id, 0, "slow"))
	// Stay in the handler for 1.5 times the worker's own expiry period,
	// counted in heartbeats received from the worker.
	n := testLiveness * 3 / 2
	b.wait(n, fmt.Sprintf("%d heartbeats during the handler", n), fromID(ready.id, mdp.WorkerHeartbeat))
	close(release)
	final := b.wait(1, "FINAL", finalFor(id))
	if final.id != ready.id || !bodyIs(final.msg.Body, "slow") {
		t.Fatalf("FINAL from %q body %q, want from %q", final.id, final.msg.Body, ready.id)
	}
	if n := len(b.messages(isKind(mdp.WorkerReady))); n != 1 {
		t.Fatalf("worker registered %d times during a slow handler, want once", n)
	}
}

// A broker stopped and restarted on the same endpoint gets a new READY
// from a new socket, and requests are served again.
func TestReconnectAfterBrokerRestart(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, true)
	startWorker(t, b.ep, "echo", HandlerFunc(echo), WithProtocol(ProtocolV01))
	b.wait(1, "READY", isKind(mdp.WorkerReady))
	c := newTestClient(t, b.ep, mdp.V01)
	c.request("echo", "before")
	if got := c.recv(); !bodyIs(got.Body, "before") {
		t.Fatalf("before restart: %q", got.Body)
	}
	b.stop()
	b2 := startFakeBroker(t, b.ep, testHB, true)
	b2.wait(1, "READY after restart", isKind(mdp.WorkerReady))
	c2 := newTestClient(t, b.ep, mdp.V01)
	c2.request("echo", "after")
	if got := c2.recv(); !bodyIs(got.Body, "after") {
		t.Fatalf("after restart: %q", got.Body)
	}
}

// A broker that stops heartbeating is noticed once interval × liveness
// has passed since the last message it sent, not before (no flapping) and
// not much later; the worker registers again on a new socket (a new
// identity at the ROUTER) and serves there.
func TestSilentBrokerReplaced(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	const reconnectMax = 50 * time.Millisecond // startWorker's
	startWorker(t, b.ep, "echo", HandlerFunc(echo))
	first := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	b.wait(testLiveness, "heartbeats", fromID(first.id, mdp.WorkerHeartbeat))
	if n := len(b.messages(isKind(mdp.WorkerReady))); n != 1 {
		t.Fatalf("%d registrations while the broker heartbeats, want 1", n)
	}
	b.setSilent(true)
	second := b.wait(2, "second XREADY", isKind(mdp.WorkerReady))
	if second.id == first.id {
		t.Fatalf("re-registered on the same socket %q", first.id)
	}
	expiry := testHB * testLiveness
	silence := second.at.Sub(b.lastSentTo(first.id))
	t.Logf("silence before the new READY: %v (expiry %v)", silence, expiry)
	if silence < expiry {
		t.Fatalf("reconnected after %v of silence, before the expiry %v", silence, expiry)
	}
	// The slack is for a loaded machine, not a speed claim.
	if limit := expiry + reconnectMax + 2*time.Second; silence > limit {
		t.Fatalf("reconnected after %v of silence, want within %v", silence, limit)
	}
	b.setSilent(false)
	id := uuid.New()
	b.send(second.id, xrequest("c", id, 0, "x"))
	if got := b.wait(1, "FINAL", finalFor(id)); got.id != second.id {
		t.Fatalf("reply from %q, want %q", got.id, second.id)
	}
}

// DISCONNECT from the broker makes the worker register again on a new
// socket.
func TestBrokerDisconnect(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	startWorker(t, b.ep, "echo", HandlerFunc(echo))
	first := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	b.send(first.id, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	second := b.wait(2, "second XREADY", isKind(mdp.WorkerReady))
	if second.id == first.id {
		t.Fatalf("re-registered on the same socket %q", first.id)
	}
}

// A broker that answers every READY with DISCONNECT is retried with a
// growing backoff, not in a tight loop.
func TestBackoffGrowsWhenRefused(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	b.mu.Lock()
	b.refuse = true
	b.mu.Unlock()
	startWorker(t, b.ep, "svc", HandlerFunc(echo), WithReconnect(5*time.Millisecond, 80*time.Millisecond))
	// Delays are drawn from [step/2, step] with steps 5, 10, 20, 40, 80 ms:
	// the sixth READY comes at least 40 ms after the fifth, however loaded
	// the machine.
	sixth := b.wait(6, "six READYs", isKind(mdp.WorkerReady))
	fifth := b.messages(isKind(mdp.WorkerReady))[4]
	if gap := sixth.at.Sub(fifth.at); gap < 40*time.Millisecond {
		t.Fatalf("fifth reconnect after %v, want at least 40ms", gap)
	}
}
