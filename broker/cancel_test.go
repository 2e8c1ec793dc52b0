package broker

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

func cancelExt(id uuid.UUID, service string) mdp.Message {
	return mdp.Message{Version: mdp.V02, Kind: mdp.ClientCancel, Ext: true, Service: service, UUID: id}
}

// XCANCEL withdraws a queued request: a worker registering afterwards never
// gets it, and the service's queue and the unserved bounds are empty again.
// Cancels for another identity, another service, an unknown UUID or a
// request a worker holds are ignored, and the held one still finishes.
func TestCancelWithdrawsQueuedRequest(t *testing.T) {
	tb := startBroker(t, nil)
	c := dial(t, tb.ep, zmq.DEALER)
	other := dial(t, tb.ep, zmq.DEALER)
	gone, kept := uuid.New(), uuid.New()
	c.send(requestExt(gone, "late", time.Minute, 0, "gone"))
	c.send(requestExt(kept, "late", time.Minute, 0, "kept"))
	waitFor(t, "both queued", func() bool { s := tb.snapshot(t); return s.Queued == 2 })

	other.send(cancelExt(gone, "late"))   // not the client the answer goes to
	c.send(cancelExt(gone, "other"))      // another service: another request
	c.send(cancelExt(uuid.New(), "late")) // unknown
	waitFor(t, "three cancels ignored", func() bool { return tb.snapshot(t).Counters.CancelsIgnored == 3 })
	if s := tb.snapshot(t); s.Queued != 2 || s.Counters.Cancelled != 0 {
		t.Fatalf("after ignored cancels: queued %d, cancelled %d", s.Queued, s.Counters.Cancelled)
	}
	c.send(cancelExt(gone, "late"))
	waitFor(t, "one withdrawn", func() bool { s := tb.snapshot(t); return s.Counters.Cancelled == 1 && s.Queued == 1 })

	w := tb.readyWorker(t, readyExt("late", 1, 1))
	req := w.expect(mdp.WorkerRequest)
	if req.UUID != kept || bodyString(req) != "kept" {
		t.Fatalf("worker got %+v, want the request that was not withdrawn", req)
	}
	c.send(cancelExt(kept, "late")) // held by the worker: it finishes
	waitFor(t, "cancel of a held request ignored", func() bool { return tb.snapshot(t).Counters.CancelsIgnored == 4 })
	w.send(replyTo(req, "done"))
	if m := c.expect(mdp.ClientFinal); m.UUID != kept || bodyString(m) != "done" {
		t.Fatalf("client got %+v", m)
	}
	c.send(cancelExt(kept, "late")) // answered: nothing to withdraw, the cache stays
	waitFor(t, "cancel of an answered request ignored", func() bool { return tb.snapshot(t).Counters.CancelsIgnored == 5 })
	c.send(requestExt(kept, "late", time.Minute, 0, "kept"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "done" {
		t.Fatalf("cached reply %+v", m)
	}
	// A withdrawn UUID sent again is a new request, and runs.
	c.send(requestExt(gone, "late", time.Minute, 0, "again"))
	if m := w.expect(mdp.WorkerRequest); m.UUID != gone || bodyString(m) != "again" {
		t.Fatalf("worker got %+v", m)
	}
}

// A request re-sent from a new socket answers to that socket, so only the
// new socket may withdraw it.
func TestCancelFollowsTheLatestClientIdentity(t *testing.T) {
	tb := startBroker(t, nil)
	first := dial(t, tb.ep, zmq.DEALER)
	second := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	first.send(requestExt(id, "late", time.Minute, 0, "x"))
	waitFor(t, "queued", func() bool { return tb.snapshot(t).Queued == 1 })
	second.send(requestExt(id, "late", time.Minute, 0, "x"))
	waitFor(t, "retry absorbed", func() bool { return tb.snapshot(t).Counters.Duplicates == 1 })
	first.send(cancelExt(id, "late"))
	waitFor(t, "old identity's cancel ignored", func() bool { return tb.snapshot(t).Counters.CancelsIgnored == 1 })
	second.send(cancelExt(id, "late"))
	waitFor(t, "withdrawn", func() bool { s := tb.snapshot(t); return s.Counters.Cancelled == 1 && s.Queued == 0 })
}
