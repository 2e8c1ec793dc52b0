package broker

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// Issue 9, item 7: a worker whose connection is gone is removed at the
// first send that fails (a heartbeat will do), long before its expiry
// time, and the request it held goes to another worker at once.
func TestFailedSendRemovesTheWorkerAtOnce(t *testing.T) {
	// Expiry is 20ms × 1000 = 20s, past every wait: only a failed send removes the worker in time.
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = 1000 })
	gone := tb.readyWorker(t, readyExt("s", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "s", time.Minute, 0, "x"))
	gone.expect(mdp.WorkerRequest)
	other := tb.readyWorker(t, readyExt("s", 1, 1))
	gone.s.Close() // the connection closes, as when its process dies
	req := other.expect(mdp.WorkerRequest)
	if req.UUID != id {
		t.Fatalf("the other worker got %+v", req)
	}
	other.send(replyTo(req, "done"))
	if m := c.expect(mdp.ClientFinal); m.UUID != id {
		t.Fatalf("client got %+v", m)
	}
	if s := tb.snapshot(t); s.Counters.WorkersExpired != 0 || s.Counters.Requeued != 1 || s.Services[0].Workers != 1 {
		t.Fatalf("counters %+v, %d workers", s.Counters, s.Services[0].Workers)
	}
}

// Issue 9, item 11: while the broker drains, a retry of a request it still
// holds is absorbed as a duplicate, not refused with 503, and the reply
// reaches the retrying client.
func TestRetryDuringDrainIsNotRefused(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.DrainTimeout, cfg.HeartbeatLiveness = waitLong, patientLiveness })
	w := tb.readyWorker(t, readyExt("slow", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "slow", time.Minute, 0, "x"))
	req := w.expect(mdp.WorkerRequest)
	tb.cancel()
	waitFor(t, "draining", func() bool {
		s, err := tb.Snapshot(t.Context())
		return err == nil && s.Draining
	})
	retry := dial(t, tb.ep, zmq.DEALER) // the client's retry, on a new socket
	retry.send(requestExt(id, "slow", time.Minute, 0, "x"))
	waitFor(t, "retry absorbed", func() bool { return tb.snapshot(t).Counters.Duplicates == 1 })
	w.send(replyTo(req, "finished"))
	if m := retry.expect(mdp.ClientFinal); m.UUID != id || bodyString(m) != "finished" {
		t.Fatalf("retrying client got %+v", m)
	}
}
