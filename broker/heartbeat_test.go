package broker

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// The broker heartbeats a busy worker too, and a busy worker that goes
// silent is expired: its request goes to another worker.
func TestBusyWorkerIsHeartbeatedExpiredAndItsRequestRedispatched(t *testing.T) {
	tb := startBroker(t, nil)
	a := tb.readyWorker(t, ready(mdp.V02, "job"))
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(plainRequest(mdp.V02, "job", "work"))
	a.expect(mdp.WorkerRequest)

	// While busy (and silent), a still receives HEARTBEATs, then DISCONNECT.
	heartbeats := 0
	for {
		m, err := mdp.ParseDealer(a.recvFrames())
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == mdp.WorkerHeartbeat {
			heartbeats++
			continue
		}
		if m.Kind != mdp.WorkerDisconnect {
			t.Fatalf("silent busy worker got %v", m.Kind)
		}
		break
	}
	if heartbeats == 0 {
		t.Fatal("busy worker got no heartbeat before it was expired")
	}
	snap := tb.snapshot(t)
	if snap.Counters.WorkersExpired != 1 || snap.Counters.Requeued != 1 {
		t.Fatalf("counters after expiry: %+v", snap.Counters)
	}
	b := dial(t, tb.ep, zmq.DEALER)
	b.send(ready(mdp.V02, "job"))
	req := b.expect(mdp.WorkerRequest)
	b.send(replyTo(req, "done by b"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "done by b" {
		t.Fatalf("client got %+v", m)
	}
}

// A worker that keeps heartbeating is never expired, however long its
// request takes; one that heartbeats at its own declared (slower) interval
// is judged by that interval, not the broker's.
func TestHeartbeatingWorkerIsNotExpired(t *testing.T) {
	tb := startBroker(t, nil)
	slow := tb.readyWorker(t, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "slow",
		Tier: 1, Capacity: 1, Heartbeat: 100 * time.Millisecond})
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "slow", 0, 0, "x"))
	req := slow.expect(mdp.WorkerRequest)
	// Work for 10 of the broker's expiry windows (20ms × 3), heartbeating
	// every 50ms: inside the declared 100ms interval, far outside the
	// broker's own 20ms one.
	for end := time.Now().Add(600 * time.Millisecond); time.Now().Before(end); {
		slow.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerHeartbeat})
		time.Sleep(50 * time.Millisecond)
	}
	slow.send(replyTo(req, "finally"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "finally" || m.UUID != id {
		t.Fatalf("client got %+v", m)
	}
	if n := tb.snapshot(t).Counters.WorkersExpired; n != 0 {
		t.Fatalf("%d workers expired", n)
	}
}

// Heartbeats from a worker the broker does not know get DISCONNECT, so the
// worker registers again.
func TestUnknownWorkerIsToldToReconnect(t *testing.T) {
	tb := startBroker(t, nil)
	w := dial(t, tb.ep, zmq.DEALER)
	w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerHeartbeat})
	w.expect(mdp.WorkerDisconnect)
}

// A second READY is a protocol violation: DISCONNECT, and the worker is
// forgotten.
func TestSecondReadyIsDisconnected(t *testing.T) {
	tb := startBroker(t, nil)
	w := tb.readyWorker(t, ready(mdp.V01, "echo"))
	w.send(ready(mdp.V01, "echo"))
	w.expect(mdp.WorkerDisconnect)
	waitFor(t, "worker forgotten", func() bool {
		s := tb.snapshot(t)
		return s.Counters.Violations == 1 && len(s.Services) == 1 && s.Services[0].Workers == 0
	})
}
