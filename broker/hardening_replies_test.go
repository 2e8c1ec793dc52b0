package broker

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// Issue 9, item 1: a worker sees an opaque address of addrLen bytes, never
// the client's ROUTER identity, and a new one for every request.
func TestWorkersSeeAnOpaqueAddress(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = patientLiveness })
	w := tb.readyWorker(t, ready(mdp.V01, "echo"))
	identity := []byte("client-identity-0123456789")
	s, err := zmq.NewSocket(zmq.DEALER)
	if err != nil {
		t.Fatal(err)
	}
	s.SetIdentity(string(identity))
	s.SetLinger(0)
	if err := s.Connect(tb.ep); err != nil {
		t.Fatal(err)
	}
	c := &peer{t: t, s: s}
	t.Cleanup(func() { s.Close() })

	var seen [][]byte
	for i := 0; i < 2; i++ {
		c.send(plainRequest(mdp.V01, "echo", "x"))
		req := w.expect(mdp.WorkerRequest)
		if len(req.Address) != addrLen || bytes.Contains(req.Address, identity[:8]) {
			t.Fatalf("worker saw address %x for client %q", req.Address, identity)
		}
		for _, old := range seen {
			if bytes.Equal(old, req.Address) {
				t.Fatalf("two requests went with the same address %x", old)
			}
		}
		seen = append(seen, req.Address)
		w.send(replyTo(req, "back"))
		if m := c.expect(mdp.ClientFinal); bodyString(m) != "back" {
			t.Fatalf("client got %+v", m)
		}
	}
}

// Issue 9, item 4: a reply with the right UUID but another request's
// address is not delivered; the worker is disconnected and the genuine
// reply (from the worker the request goes to next) reaches its client.
func TestReplyMustNameAHeldRequest(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = patientLiveness })
	forger := tb.readyWorker(t, readyExt("s", 1, 2))
	a, b := dial(t, tb.ep, zmq.DEALER), dial(t, tb.ep, zmq.DEALER)
	idA, idB := uuid.New(), uuid.New()
	a.send(requestExt(idA, "s", time.Minute, 0, "for a"))
	reqA := forger.expect(mdp.WorkerRequest)
	b.send(requestExt(idB, "s", time.Minute, 0, "for b"))
	reqB := forger.expect(mdp.WorkerRequest)
	// A's UUID with B's address: B must not get A's reply, nor A a forged one.
	forger.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: reqB.Address,
		UUID: reqA.UUID, Body: frames("forged")})
	forger.expect(mdp.WorkerDisconnect)
	honest := tb.readyWorker(t, readyExt("s", 1, 2))
	for i := 0; i < 2; i++ {
		req := honest.expect(mdp.WorkerRequest)
		honest.send(replyTo(req, "genuine "+bodyString(req)))
	}
	if m := a.expect(mdp.ClientFinal); m.UUID != idA || bodyString(m) != "genuine for a" {
		t.Fatalf("a got %+v", m)
	}
	if m := b.expect(mdp.ClientFinal); m.UUID != idB || bodyString(m) != "genuine for b" {
		t.Fatalf("b got %+v", m)
	}
	if s := tb.snapshot(t); s.Counters.ForeignReplies != 1 || s.Counters.Requeued != 2 {
		t.Fatalf("counters %+v", s.Counters)
	}

	// A plain worker's REPLY likewise names the address it was given.
	plain := tb.readyWorker(t, ready(mdp.V01, "p"))
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(plainRequest(mdp.V01, "p", "x"))
	req := plain.expect(mdp.WorkerRequest)
	wrong := append([]byte(nil), req.Address...)
	wrong[len(wrong)-1] ^= 1
	plain.send(mdp.Message{Version: mdp.V01, Kind: mdp.WorkerFinal, Address: wrong, Body: frames("forged")})
	plain.expect(mdp.WorkerDisconnect)
}

// Issue 9, item 5: de-duplication and the reply cache know a request by
// service and UUID. The same UUID for another service is another request:
// it neither takes the first one's reply nor gets it from the cache.
func TestSameUUIDForAnotherServiceIsAnotherRequest(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = patientLiveness })
	wa := tb.readyWorker(t, readyExt("a", 1, 1))
	wb := tb.readyWorker(t, readyExt("b", 1, 1))
	ca, cb := dial(t, tb.ep, zmq.DEALER), dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	ca.send(requestExt(id, "a", time.Minute, 0, "x"))
	reqA := wa.expect(mdp.WorkerRequest)
	cb.send(requestExt(id, "b", time.Minute, 0, "y"))
	reqB := wb.expect(mdp.WorkerRequest) // not absorbed as a duplicate of a's
	wa.send(replyTo(reqA, "from a"))
	if m := ca.expect(mdp.ClientFinal); m.Service != "a" || bodyString(m) != "from a" {
		t.Fatalf("a's client got %+v", m)
	}
	wb.send(replyTo(reqB, "from b"))
	if m := cb.expect(mdp.ClientFinal); m.Service != "b" || bodyString(m) != "from b" {
		t.Fatalf("b's client got %+v", m)
	}

	// Once answered, the cache answers the same (service, UUID) only.
	cc := dial(t, tb.ep, zmq.DEALER)
	cc.send(requestExt(id, "c", time.Minute, mdp.FlagFailFast, "z"))
	expectError(t, cc, id, mdp.StatusNotFound)
	cc.send(requestExt(id, "a", time.Minute, 0, "again"))
	if m := cc.expect(mdp.ClientFinal); m.Service != "a" || bodyString(m) != "from a" {
		t.Fatalf("cached reply %+v", m)
	}
	if s := tb.snapshot(t); s.Counters.CacheHits != 1 || s.Counters.Duplicates != 0 {
		t.Fatalf("counters %+v", s.Counters)
	}
}

// Issue 9, item 6: a request held by a worker past its deadline is
// answered 504; the worker's late reply is dropped and frees its slot.
// A worker that still holds an expired request after its own expiry time
// is disconnected.
func TestHeldRequestsExpire(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = 50 })
	w := tb.readyWorker(t, readyExt("slow", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	id := uuid.New()
	c.send(requestExt(id, "slow", 50*time.Millisecond, 0, "x"))
	req := w.expect(mdp.WorkerRequest)
	expectError(t, c, id, mdp.StatusExpired)
	w.send(replyTo(req, "too late"))
	next := uuid.New()
	c.send(requestExt(next, "slow", time.Minute, 0, "next"))
	if m := w.expect(mdp.WorkerRequest); m.UUID != next {
		t.Fatalf("worker got %+v", m)
	}
	s := tb.snapshot(t)
	if s.Counters.ExpiredHeld != 1 || s.Counters.StaleReplies != 1 || s.Counters.Violations != 0 {
		t.Fatalf("counters %+v", s.Counters)
	}

	// A stuck worker: heartbeats, never answers. After the deadline and
	// its expiry time (20ms × 50) it gets DISCONNECT.
	stuck := tb.readyWorker(t, readyExt("stuck", 1, 1))
	id = uuid.New()
	c.send(requestExt(id, "stuck", 50*time.Millisecond, 0, "x"))
	stuck.expect(mdp.WorkerRequest)
	expectError(t, c, id, mdp.StatusExpired)
	for deadline := time.Now().Add(waitLong); ; {
		if time.Now().After(deadline) {
			t.Fatal("a worker holding an expired request was never disconnected")
		}
		stuck.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerHeartbeat})
		if m, ok := stuck.poll(10 * time.Millisecond); ok && m.Kind == mdp.WorkerDisconnect {
			break
		}
	}
	if s := tb.snapshot(t); s.Counters.Violations != 1 { // not expired: it heartbeated
		t.Fatalf("counters %+v", s.Counters)
	}
}

// patientLiveness makes the expiry time of a raw test worker, which does
// not heartbeat, 20ms × 1000 = 20s: beyond every wait of these tests, so that
// on a loaded machine no worker is expired in the middle of a test.
const patientLiveness = 1000

// poll returns the next message if one comes within d.
func (p *peer) poll(d time.Duration) (mdp.Message, bool) {
	p.t.Helper()
	poller := zmq.NewPoller()
	poller.Add(p.s, zmq.POLLIN)
	polled, err := poller.Poll(d)
	if err != nil || len(polled) == 0 {
		return mdp.Message{}, false
	}
	frames, err := p.s.RecvMessageBytes(0)
	if err != nil {
		p.t.Fatalf("recv: %v", err)
	}
	m, err := mdp.ParseDealer(frames)
	if err != nil {
		p.t.Fatalf("parse: %v", err)
	}
	return m, true
}
