package workers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// A handler much slower than interval × liveness is answered on the same
// registration: heartbeats keep flowing while it runs.
func TestHeartbeatsDuringSlowHandler(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	release := make(chan struct{})
	startWorker(t, b.Endpoint, "slow", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		awaitRelease(ctx, release)
		return req.Body, nil
	}))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b.Send(ready.From, xrequest("c", id, 0, "slow"))
	// Stay in the handler for 1.5 times the worker's own expiry period,
	// counted in heartbeats received from the worker.
	n := testLiveness * 3 / 2
	b.Wait(n, fmt.Sprintf("%d heartbeats during the handler", n), mdptest.FromID(ready.From, mdp.WorkerHeartbeat))
	close(release)
	final := b.Wait(1, "FINAL", finalFor(id))
	if final.From != ready.From || !bodyIs(final.Msg.Body, "slow") {
		t.Fatalf("FINAL from %q body %q, want from %q", final.From, final.Msg.Body, ready.From)
	}
	if n := len(b.Messages(mdptest.IsKind(mdp.WorkerReady))); n != 1 {
		t.Fatalf("worker registered %d times during a slow handler, want once", n)
	}
}

// A broker stopped and restarted on the same endpoint gets a new READY
// from a new socket, and requests are served again.
func TestReconnectAfterBrokerRestart(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, true)
	startWorker(t, b.Endpoint, "echo", HandlerFunc(echo), WithProtocol(ProtocolV01))
	b.Wait(1, "READY", mdptest.IsKind(mdp.WorkerReady))
	c := newTestClient(t, b.Endpoint, mdp.V01)
	c.request("echo", "before")
	if got := c.recv(); !bodyIs(got.Body, "before") {
		t.Fatalf("before restart: %q", got.Body)
	}
	b.Stop()
	b2 := startFakeBroker(t, b.Endpoint, testHB, true)
	b2.Wait(1, "READY after restart", mdptest.IsKind(mdp.WorkerReady))
	c2 := newTestClient(t, b.Endpoint, mdp.V01)
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
	startWorker(t, b.Endpoint, "echo", HandlerFunc(echo))
	first := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	b.Wait(testLiveness, "heartbeats", mdptest.FromID(first.From, mdp.WorkerHeartbeat))
	if n := len(b.Messages(mdptest.IsKind(mdp.WorkerReady))); n != 1 {
		t.Fatalf("%d registrations while the broker heartbeats, want 1", n)
	}
	b.SetSilent(true)
	second := b.Wait(2, "second XREADY", mdptest.IsKind(mdp.WorkerReady))
	if second.From == first.From {
		t.Fatalf("re-registered on the same socket %q", first.From)
	}
	expiry := testHB * testLiveness
	silence := second.At.Sub(b.LastSentTo(first.From))
	t.Logf("silence before the new READY: %v (expiry %v)", silence, expiry)
	if silence < expiry {
		t.Fatalf("reconnected after %v of silence, before the expiry %v", silence, expiry)
	}
	// The slack is for a loaded machine, not a speed claim.
	if limit := expiry + reconnectMax + 2*time.Second; silence > limit {
		t.Fatalf("reconnected after %v of silence, want within %v", silence, limit)
	}
	b.SetSilent(false)
	id := uuid.New()
	b.Send(second.From, xrequest("c", id, 0, "x"))
	if got := b.Wait(1, "FINAL", finalFor(id)); got.From != second.From {
		t.Fatalf("reply from %q, want %q", got.From, second.From)
	}
}

// DISCONNECT from the broker makes the worker register again on a new
// socket.
func TestBrokerDisconnect(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	startWorker(t, b.Endpoint, "echo", HandlerFunc(echo))
	first := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	b.Send(first.From, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	second := b.Wait(2, "second XREADY", mdptest.IsKind(mdp.WorkerReady))
	if second.From == first.From {
		t.Fatalf("re-registered on the same socket %q", first.From)
	}
}

// A broker that answers every READY with DISCONNECT is retried with a
// growing backoff, not in a tight loop.
func TestBackoffGrowsWhenRefused(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	b.SetRefuse(true)
	startWorker(t, b.Endpoint, "svc", HandlerFunc(echo), WithReconnect(5*time.Millisecond, 80*time.Millisecond))
	// Delays are drawn from [step/2, step] with steps 5, 10, 20, 40, 80 ms:
	// the sixth READY comes at least 40 ms after the fifth, however loaded
	// the machine.
	sixth := b.Wait(6, "six READYs", mdptest.IsKind(mdp.WorkerReady))
	fifth := b.Messages(mdptest.IsKind(mdp.WorkerReady))[4]
	if gap := sixth.At.Sub(fifth.At); gap < 40*time.Millisecond {
		t.Fatalf("fifth reconnect after %v, want at least 40ms", gap)
	}
}
