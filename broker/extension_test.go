package broker

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

func expectError(t *testing.T, c *peer, id uuid.UUID, status mdp.Status) mdp.Message {
	t.Helper()
	m := c.expect(mdp.ClientError)
	if m.UUID != id || m.Status != status {
		t.Fatalf("error reply %+v, want %d for %v", m, status, id)
	}
	return m
}

func TestDeadlineAndFailFast(t *testing.T) {
	tb := startBroker(t, nil)
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "absent", 30*time.Millisecond, 0, "x"))
	expectError(t, c, id, mdp.StatusExpired)

	id = uuid.New()
	c.send(requestExt(id, "absent", time.Minute, mdp.FlagFailFast, "x"))
	expectError(t, c, id, mdp.StatusNotFound)

	// Plain requests expire at the broker's deadline and are counted.
	tb2 := startBroker(t, func(cfg *Config) { cfg.RequestTimeout = 30 * time.Millisecond })
	p := dial(t, tb2.ep, zmq.DEALER)
	p.send(plainRequest(mdp.V01, "absent", "x"))
	waitFor(t, "plain request expired", func() bool {
		s := tb2.snapshot(t)
		return len(s.Services) == 1 && s.Services[0].Outcomes.Expired == 1 && s.Counters.PlainDropped == 1
	})
}

func TestQueueLimits(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.QueueLimit = 2 })
	c := dial(t, tb.ep, zmq.DEALER)
	for i := 0; i < 2; i++ {
		c.send(requestExt(uuid.New(), "busy", time.Minute, 0, "x"))
	}
	id := uuid.New()
	c.send(requestExt(id, "busy", time.Minute, 0, "x"))
	expectError(t, c, id, mdp.StatusOverloaded)
	p := dial(t, tb.ep, zmq.DEALER)
	p.send(plainRequest(mdp.V02, "busy", "x"))
	waitFor(t, "plain request dropped", func() bool {
		s := tb.snapshot(t)
		return s.Counters.PlainDropped == 1 && s.Services[0].Queued == 2 && s.Services[0].Outcomes.Rejected == 2
	})

	// MaxMessageSize bounds the whole body (libzmq bounds each frame).
	big := startBroker(t, func(cfg *Config) { cfg.MaxMessageSize = 64 })
	c = dial(t, big.ep, zmq.DEALER)
	id = uuid.New()
	forty := string(make([]byte, 40))
	c.send(requestExt(id, "x", time.Minute, 0, forty, forty))
	expectError(t, c, id, mdp.StatusTooLarge)
}

// Retries of one request UUID: while queued or in flight they are absorbed
// (the reply goes to the latest address); once answered they are answered
// from the cache without reaching a worker.
func TestDuplicateRequestsAreAbsorbed(t *testing.T) {
	tb := startBroker(t, nil)
	c1 := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c1.send(requestExt(id, "once", time.Minute, 0, "x"))
	c1.send(requestExt(id, "once", time.Minute, 0, "x"))
	waitFor(t, "duplicate absorbed while queued", func() bool { return tb.snapshot(t).Counters.Duplicates == 1 })

	w := tb.readyWorker(t, readyExt("once", 1, 4))
	req := w.expect(mdp.WorkerRequest)
	if req.UUID != id || req.Flags&mdp.FlagClientUUID == 0 || req.Timeout <= 0 || req.Timeout > time.Minute {
		t.Fatalf("worker request %+v", req)
	}
	c2 := dial(t, tb.ep, zmq.DEALER) // the client retried from a new socket
	c2.send(requestExt(id, "once", time.Minute, 0, "x"))
	waitFor(t, "duplicate absorbed in flight", func() bool { return tb.snapshot(t).Counters.Duplicates == 2 })
	w.send(replyTo(req, "result"))
	if m := c2.expect(mdp.ClientFinal); m.UUID != id || bodyString(m) != "result" {
		t.Fatalf("latest address got %+v", m)
	}
	c2.send(requestExt(id, "once", time.Minute, 0, "x"))
	if m := c2.expect(mdp.ClientFinal); m.UUID != id || bodyString(m) != "result" {
		t.Fatalf("cached reply %+v", m)
	}
	s := tb.snapshot(t)
	if s.Counters.CacheHits != 1 || s.Services[0].Outcomes.Answered != 1 {
		t.Fatalf("counters %+v outcomes %+v", s.Counters, s.Services[0].Outcomes)
	}
	// The worker saw exactly one request: a fresh one now is the next thing it gets.
	c2.send(requestExt(uuid.New(), "once", time.Minute, 0, "next"))
	if m := w.expect(mdp.WorkerRequest); bodyString(m) != "next" {
		t.Fatalf("worker got %+v", m)
	}
}

// A worker with capacity K holds K requests at once.
func TestCapacityWorkerHoldsKRequests(t *testing.T) {
	tb := startBroker(t, nil)
	w := tb.readyWorker(t, readyExt("wide", 1, 4))
	c := dial(t, tb.ep, zmq.DEALER)
	ids := map[uuid.UUID]bool{}
	for i := 0; i < 5; i++ {
		id := uuid.New()
		ids[id] = true
		c.send(requestExt(id, "wide", time.Minute, 0, "x"))
	}
	var held []mdp.Message
	for i := 0; i < 4; i++ {
		held = append(held, w.expect(mdp.WorkerRequest))
	}
	waitFor(t, "one request left queued", func() bool {
		s := tb.snapshot(t)
		return s.InFlight == 4 && s.Services[0].Queued == 1
	})
	for _, req := range held {
		w.send(replyTo(req, "ok"))
	}
	w.send(replyTo(w.expect(mdp.WorkerRequest), "ok"))
	for i := 0; i < 5; i++ {
		m := c.expect(mdp.ClientFinal)
		if !ids[m.UUID] {
			t.Fatalf("unexpected reply %+v", m)
		}
		delete(ids, m.UUID)
	}
}

// Tier 1 takes work while it has a free worker; tier 2 only when it has
// not; new work goes back to tier 1 once it is free.
func TestTiers(t *testing.T) {
	tb := startBroker(t, nil)
	backup := tb.readyWorker(t, readyExt("tiered", 2, 1))
	primary := tb.readyWorker(t, readyExt("tiered", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(requestExt(uuid.New(), "tiered", time.Minute, 0, "first"))
	r1 := primary.expect(mdp.WorkerRequest)
	c.send(requestExt(uuid.New(), "tiered", time.Minute, 0, "second"))
	r2 := backup.expect(mdp.WorkerRequest)
	primary.send(replyTo(r1, "1"))
	backup.send(replyTo(r2, "2"))
	c.expect(mdp.ClientFinal)
	c.expect(mdp.ClientFinal)
	c.send(requestExt(uuid.New(), "tiered", time.Minute, 0, "third"))
	if m := primary.expect(mdp.WorkerRequest); bodyString(m) != "third" {
		t.Fatalf("primary got %+v", m)
	}
}

// After XDRAIN a worker gets nothing new; what it holds still completes.
func TestDrainingWorkerGetsNoNewWork(t *testing.T) {
	tb := startBroker(t, nil)
	w := tb.readyWorker(t, readyExt("d", 1, 2))
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(requestExt(uuid.New(), "d", time.Minute, 0, "held"))
	req := w.expect(mdp.WorkerRequest)
	w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDrain, Ext: true})
	c.send(requestExt(uuid.New(), "d", time.Minute, 0, "waits"))
	waitFor(t, "second request queued", func() bool {
		s := tb.snapshot(t)
		return s.Services[0].Queued == 1 && s.Services[0].Draining == 1
	})
	w.send(replyTo(req, "done"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "done" {
		t.Fatalf("client got %+v", m)
	}
}

// Workers that leave holding a request: it is re-dispatched, and after
// MaxAttempts deliveries the client gets 502.
func TestAttemptsExhausted(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.MaxAttempts = 2 })
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "flaky", time.Minute, 0, "x"))
	for i := 0; i < 2; i++ {
		w := dial(t, tb.ep, zmq.DEALER)
		w.send(readyExt("flaky", 1, 1))
		if m := w.expect(mdp.WorkerRequest); m.UUID != id {
			t.Fatalf("attempt %d got %+v", i, m)
		}
		w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	}
	expectError(t, c, id, mdp.StatusWorkerFailed)
	if s := tb.snapshot(t); s.Services[0].Outcomes.Failed != 1 || s.Counters.Requeued != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}

// A reply from a worker that does not hold the request is dropped,
// counted, and the worker disconnected (7/MDP: an unexpected command).
func TestStaleRepliesAreDropped(t *testing.T) {
	tb := startBroker(t, nil)
	plain := tb.readyWorker(t, ready(mdp.V02, "p"))
	plain.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Address: []byte("nobody"), Body: frames("x")})
	plain.expect(mdp.WorkerDisconnect)
	ext := tb.readyWorker(t, readyExt("e", 1, 1))
	ext.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: []byte("c"), UUID: uuid.New()})
	ext.expect(mdp.WorkerDisconnect)
	waitFor(t, "foreign replies counted", func() bool {
		s := tb.snapshot(t)
		return s.Counters.ForeignReplies == 2 && len(s.Services) == 2 && s.Services[0].Workers+s.Services[1].Workers == 0
	})
	ext = tb.readyWorker(t, readyExt("e", 1, 1))

	// A worker's error reaches an extension client with its status.
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "e", time.Minute, 0, "x"))
	req := ext.expect(mdp.WorkerRequest)
	ext.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerError, Ext: true, Address: req.Address, UUID: id,
		Status: 409, Text: "conflict"})
	if m := expectError(t, c, id, 409); m.Text != "conflict" {
		t.Fatalf("error text %q", m.Text)
	}
}

// Shutdown: requests in flight finish within the drain timeout, new ones
// are refused, workers get DISCONNECT, Run returns nil.
func TestGracefulShutdown(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.DrainTimeout = waitLong })
	w := tb.readyWorker(t, readyExt("s", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "s", time.Minute, 0, "x"))
	req := w.expect(mdp.WorkerRequest)
	tb.cancel()
	waitFor(t, "draining", func() bool {
		s, err := tb.Snapshot(t.Context())
		return err == nil && s.Draining
	})
	late := uuid.New()
	c.send(requestExt(late, "s", time.Minute, 0, "late"))
	expectError(t, c, late, mdp.StatusOverloaded)
	w.send(replyTo(req, "finished"))
	if m := c.expect(mdp.ClientFinal); m.UUID != id || bodyString(m) != "finished" {
		t.Fatalf("in-flight reply %+v", m)
	}
	w.expect(mdp.WorkerDisconnect)
	select {
	case err := <-tb.errc:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		tb.errc <- nil
	case <-time.After(waitLong):
		t.Fatal("Run did not return")
	}
}
