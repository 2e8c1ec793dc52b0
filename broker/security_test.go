package broker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// keyPair is a test's CURVE key pair.
type keyPair struct{ pub, sec zsock.Key }

func newKeyPair(t *testing.T) keyPair {
	t.Helper()
	pub, sec, err := zsock.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{pub, sec}
}

// curveBroker runs a broker whose endpoint is a CURVE server with the key
// pair server, under the policy text (none when empty).
func curveBroker(t *testing.T, server keyPair, policy string, tune func(*Config)) *testBroker {
	t.Helper()
	return startBroker(t, func(cfg *Config) {
		cfg.HeartbeatInterval = time.Second // the test's raw workers do not heartbeat
		cfg.CurveSecretKey = server.sec.String()
		if policy != "" {
			a, err := ParseAccess("test.acl", []byte(policy), nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Access = a
		}
		if tune != nil {
			tune(cfg)
		}
	})
}

// curveDial connects a DEALER to ep as a CURVE client of server with the
// key pair k.
func curveDial(t *testing.T, ep string, server zsock.Key, k keyPair) *peer {
	t.Helper()
	s, err := zmq.NewSocket(zmq.DEALER)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetLinger(0)
	for _, set := range []func() error{
		func() error { return s.SetCurveServerkey(server.String()) },
		func() error { return s.SetCurvePublickey(k.pub.String()) },
		func() error { return s.SetCurveSecretkey(k.sec.String()) },
		func() error { return s.Connect(ep) },
	} {
		if err := set(); err != nil {
			t.Fatal(err)
		}
	}
	return &peer{t: t, s: s}
}

// quiet asserts that p receives nothing for a short while; called once
// the broker has shown (by a counter) that it handled what p sent.
func (p *peer) quiet(what string) {
	p.t.Helper()
	for {
		frames, ok := p.shared().RecvFramesWithin(100 * time.Millisecond)
		if !ok {
			return
		}
		if m, err := mdp.ParseDealer(frames); err != nil || m.Kind != mdp.WorkerHeartbeat {
			p.t.Fatalf("%s: got %q", what, frames)
		}
	}
}

// A client or worker whose key the policy does not list is refused at the
// handshake: not one of its messages reaches the broker's loop, and no
// worker registers. A listed key on the same broker gets through.
func TestCurveUnknownKeyCannotConnect(t *testing.T) {
	server, known, unknown := newKeyPair(t), newKeyPair(t), newKeyPair(t)
	tb := curveBroker(t, server, "key app "+known.pub.String()+"\n", nil)

	client := curveDial(t, tb.ep, server.pub, unknown)
	client.send(plainRequest(mdp.V02, "echo", "hello"))
	worker := curveDial(t, tb.ep, server.pub, unknown)
	worker.send(ready(mdp.V02, "echo"))
	wrongServer := curveDial(t, tb.ep, newKeyPair(t).pub, known) // the broker's key is not the one it expects
	wrongServer.send(plainRequest(mdp.V02, "echo", "hello"))
	waitFor(t, "both unknown keys refused at the handshake", func() bool {
		return tb.snapshot(t).Counters.HandshakesRefused >= 2
	})
	s := tb.snapshot(t)
	if s.Counters.Received != 0 || s.Counters.WorkersRegistered != 0 || s.Counters.Requests != 0 {
		t.Fatalf("messages from refused peers reached the loop: %+v", s.Counters)
	}

	ok := curveDial(t, tb.ep, server.pub, known)
	ok.send(plainRequest(mdp.V02, mdp.MMIService, "echo"))
	if m := ok.expect(mdp.ClientFinal); bodyString(m) != "404" {
		t.Fatalf("mmi.service for the known key: %q", bodyString(m))
	}
	if s := tb.snapshot(t); s.Counters.Received != 1 || s.Counters.HandshakesAccepted != 1 {
		t.Fatalf("after the known key: received %d, accepted handshakes %d", s.Counters.Received, s.Counters.HandshakesAccepted)
	}
	client.quiet("the refused client")
	worker.quiet("the refused worker")
}

// Without a policy, CURVE encrypts and lets every key in; the key is still
// each message's caller.
func TestCurveWithoutPolicyLetsEveryKeyIn(t *testing.T) {
	server := newKeyPair(t)
	tb := curveBroker(t, server, "", nil)
	w := curveDial(t, tb.ep, server.pub, newKeyPair(t))
	w.send(ready(mdp.V02, "echo"))
	waitFor(t, "worker registered", func() bool { return tb.snapshot(t).Counters.WorkersRegistered == 1 })
	c := curveDial(t, tb.ep, server.pub, newKeyPair(t))
	c.send(plainRequest(mdp.V02, "echo", "hi"))
	req := w.expect(mdp.WorkerRequest)
	w.send(replyTo(req, "hi back"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "hi back" {
		t.Fatalf("reply %q", bodyString(m))
	}
	if s := tb.snapshot(t); !s.Curve || s.AccessKeys != 0 || s.Counters.HandshakesAccepted != 2 {
		t.Fatalf("snapshot: curve %v keys %d accepted %d", s.Curve, s.AccessKeys, s.Counters.HandshakesAccepted)
	}
}

// A worker key allowed to serve only a.* registers for a.x, and gets
// DISCONNECT for b.
func TestACLWorkerCannotServeOtherService(t *testing.T) {
	server, wk := newKeyPair(t), newKeyPair(t)
	tb := curveBroker(t, server, "key w "+wk.pub.String()+"\nallow w serve a.*\n", nil)
	good := curveDial(t, tb.ep, server.pub, wk)
	good.send(readyExt("a.x", 1, 1))
	waitFor(t, "a.x registered", func() bool { return tb.snapshot(t).Counters.WorkersRegistered == 1 })
	bad := curveDial(t, tb.ep, server.pub, wk)
	bad.send(readyExt("b", 1, 1))
	bad.expect(mdp.WorkerDisconnect)
	s := tb.snapshot(t)
	if s.Counters.ReadyRefused != 1 || s.Counters.WorkersRegistered != 1 {
		t.Fatalf("ready refused %d, registered %d", s.Counters.ReadyRefused, s.Counters.WorkersRegistered)
	}
	for _, svc := range s.Services {
		if svc.Name == "b" {
			t.Fatalf("service b exists after a refused READY: %+v", svc)
		}
	}
}

// A client key not allowed to call b gets 403 (extension), or its request
// is dropped and counted (plain MDP); MMI needs the mmi right, and
// mmi.handover the admin right.
func TestACLClientCannotCallOtherService(t *testing.T) {
	server, ck, wk := newKeyPair(t), newKeyPair(t), newKeyPair(t)
	policy := "key c " + ck.pub.String() + "\nkey w " + wk.pub.String() +
		"\nallow c call a\nallow w serve *\nallow w mmi\n"
	tb := curveBroker(t, server, policy, nil)
	w := curveDial(t, tb.ep, server.pub, wk)
	w.send(readyExt("b", 1, 1))
	waitFor(t, "b registered", func() bool { return tb.snapshot(t).Counters.WorkersRegistered == 1 })

	c := curveDial(t, tb.ep, server.pub, ck)
	id := uuid.New()
	c.send(requestExt(id, "b", time.Second, 0, "x"))
	m := c.expect(mdp.ClientError)
	if m.Status != mdp.StatusForbidden || m.UUID != id {
		t.Fatalf("got %d %q for %v", m.Status, m.Text, m.UUID)
	}
	c.send(plainRequest(mdp.V02, "b", "x"))
	waitFor(t, "plain request refused", func() bool { return tb.snapshot(t).Counters.AccessRefused == 2 })
	if s := tb.snapshot(t); s.Counters.PlainDropped != 1 {
		t.Fatalf("plain dropped %d", s.Counters.PlainDropped)
	}
	c.quiet("the refused plain request")
	w.quiet("the worker of b")

	c.send(plainRequest(mdp.V02, mdp.MMIService, "b"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "403" {
		t.Fatalf("mmi.service without the mmi right: %q", bodyString(m))
	}
	w.send(plainRequest(mdp.V02, mdp.MMIService, "b")) // a worker's socket may ask MMI too
	if m := w.expect(mdp.ClientFinal); bodyString(m) != "200" {
		t.Fatalf("mmi.service with the mmi right: %q", bodyString(m))
	}
	w.send(plainRequest(mdp.V02, mdp.MMIHandover, "b"))
	if m := w.expect(mdp.ClientFinal); bodyString(m) != "403" {
		t.Fatalf("mmi.handover without the admin right: %q", bodyString(m))
	}
}

// A reply cached for key A is given only to A: the same UUID from key B is
// another request, run anew by the worker and answered with B's reply.
func TestCurveCachedReplyBoundToCaller(t *testing.T) {
	server := newKeyPair(t)
	tb := curveBroker(t, server, "", nil)
	w := curveDial(t, tb.ep, server.pub, newKeyPair(t))
	w.send(readyExt("echo", 1, 1))
	waitFor(t, "worker registered", func() bool { return tb.snapshot(t).Counters.WorkersRegistered == 1 })
	a, b := curveDial(t, tb.ep, server.pub, newKeyPair(t)), curveDial(t, tb.ep, server.pub, newKeyPair(t))
	id := uuid.New()

	a.send(requestExt(id, "echo", 5*time.Second, 0, "from A"))
	w.send(replyTo(w.expect(mdp.WorkerRequest), "secret of A"))
	if m := a.expect(mdp.ClientFinal); bodyString(m) != "secret of A" {
		t.Fatalf("A got %q", bodyString(m))
	}
	b.send(requestExt(id, "echo", 5*time.Second, 0, "from B"))
	req := w.expect(mdp.WorkerRequest)
	if bodyString(req) != "from B" {
		t.Fatalf("the worker got %q", bodyString(req))
	}
	w.send(replyTo(req, "for B"))
	if m := b.expect(mdp.ClientFinal); bodyString(m) != "for B" || m.UUID != id {
		t.Fatalf("B got %q", bodyString(m))
	}
	a.send(requestExt(id, "echo", 5*time.Second, 0, "from A again"))
	if m := a.expect(mdp.ClientFinal); bodyString(m) != "secret of A" {
		t.Fatalf("A's retry got %q", bodyString(m))
	}
	if s := tb.snapshot(t); s.Counters.CacheHits != 1 {
		t.Fatalf("cache hits %d, want 1 (A's retry only)", s.Counters.CacheHits)
	}
	w.quiet("the worker after A's retry")
}

// With ClientMaxInFlight 1, a connection's second request is refused with
// 429 while its first is held, and another connection is served.
func TestCurveClientInFlightLimit(t *testing.T) {
	server := newKeyPair(t)
	tb := curveBroker(t, server, "", func(cfg *Config) { cfg.ClientMaxInFlight = 1 })
	k := newKeyPair(t)
	one, two := curveDial(t, tb.ep, server.pub, k), curveDial(t, tb.ep, server.pub, k)
	first, second, other := uuid.New(), uuid.New(), uuid.New()
	one.send(requestExt(first, "svc", 5*time.Second, 0, "1"))
	one.send(requestExt(second, "svc", 5*time.Second, 0, "2"))
	if m := one.expect(mdp.ClientError); m.Status != mdp.StatusTooMany || m.UUID != second {
		t.Fatalf("second request: %d %q %v", m.Status, m.Text, m.UUID)
	}
	one.send(requestExt(first, "svc", 5*time.Second, 0, "1")) // a retry of the one held is no new request
	two.send(requestExt(other, "svc", 5*time.Second, 0, "3"))
	waitFor(t, "two requests queued", func() bool { return tb.snapshot(t).Queued == 2 })

	w := curveDial(t, tb.ep, server.pub, newKeyPair(t))
	w.send(readyExt("svc", 1, 2))
	for range 2 {
		req := w.expect(mdp.WorkerRequest)
		w.send(replyTo(req, "done "+bodyString(req)))
	}
	if m := one.expect(mdp.ClientFinal); m.UUID != first {
		t.Fatalf("one got %v", m.UUID)
	}
	if m := two.expect(mdp.ClientFinal); m.UUID != other {
		t.Fatalf("two got %v", m.UUID)
	}
	if s := tb.snapshot(t); s.Counters.Limited != 1 || s.ClientsSeen != 2 {
		t.Fatalf("limited %d, clients seen %d", s.Counters.Limited, s.ClientsSeen)
	}
	// Its first request answered, the first connection may send again.
	one.send(requestExt(uuid.New(), "svc", 5*time.Second, 0, "4"))
	w.send(replyTo(w.expect(mdp.WorkerRequest), "ok"))
	one.expect(mdp.ClientFinal)
}

// With a rate of 1/s and a burst of 2, a connection's third request at
// once is refused (429; dropped and counted for a plain client), and MMI
// queries count too.
func TestCurveClientRateLimit(t *testing.T) {
	server := newKeyPair(t)
	tb := curveBroker(t, server, "", func(cfg *Config) { cfg.ClientRate, cfg.ClientBurst = 1, 2 })
	c := curveDial(t, tb.ep, server.pub, newKeyPair(t))
	for range 2 {
		c.send(plainRequest(mdp.V02, mdp.MMIService, "x"))
		if m := c.expect(mdp.ClientFinal); bodyString(m) != "404" {
			t.Fatalf("within the burst: %q", bodyString(m))
		}
	}
	c.send(plainRequest(mdp.V02, mdp.MMIService, "x"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "429" {
		t.Fatalf("over the rate: %q", bodyString(m))
	}
	c.send(plainRequest(mdp.V02, "svc", "x"))
	waitFor(t, "plain request limited", func() bool { return tb.snapshot(t).Counters.Limited == 2 })
	if s := tb.snapshot(t); s.Counters.PlainDropped != 1 || s.Queued != 0 {
		t.Fatalf("plain dropped %d, queued %d", s.Counters.PlainDropped, s.Queued)
	}
}

// SetAccess takes effect at once without dropping connections: a client
// that keeps its socket is refused what the new policy removed and keeps
// what it left; a worker no longer allowed to serve gets DISCONNECT, the
// others stay registered.
func TestACLSetAccessKeepsConnections(t *testing.T) {
	server, ck, wk, wk2 := newKeyPair(t), newKeyPair(t), newKeyPair(t), newKeyPair(t)
	keys := "key c " + ck.pub.String() + "\nkey w " + wk.pub.String() + "\nkey w2 " + wk2.pub.String() + "\n"
	tb := curveBroker(t, server, keys+"allow c call a b\nallow w serve a\nallow w2 serve b\n", nil)
	wa, wb := curveDial(t, tb.ep, server.pub, wk), curveDial(t, tb.ep, server.pub, wk2)
	wa.send(readyExt("a", 1, 1))
	wb.send(readyExt("b", 1, 1))
	waitFor(t, "workers registered", func() bool { return tb.snapshot(t).Counters.WorkersRegistered == 2 })
	c := curveDial(t, tb.ep, server.pub, ck)
	call := func(w *peer, service string) mdp.Message {
		c.send(requestExt(uuid.New(), service, 5*time.Second, 0, "q"))
		if w != nil {
			w.send(replyTo(w.expect(mdp.WorkerRequest), "r"))
		}
		return c.recv()
	}
	if m := call(wb, "b"); m.Kind != mdp.ClientFinal {
		t.Fatalf("before the reload: %v", m.Kind)
	}

	next, err := ParseAccess("next.acl", []byte(keys+"allow c call a\nallow w serve a\nallow w2 serve a\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := tb.SetAccess(ctx, next); err != nil {
		t.Fatal(err)
	}
	wb.expect(mdp.WorkerDisconnect)
	if m := call(nil, "b"); m.Kind != mdp.ClientError || m.Status != mdp.StatusForbidden {
		t.Fatalf("b after the reload: %v %d", m.Kind, m.Status)
	}
	if m := call(wa, "a"); m.Kind != mdp.ClientFinal {
		t.Fatalf("a after the reload: %v %d", m.Kind, m.Status)
	}
	s := tb.snapshot(t)
	if s.Counters.AccessRevoked != 1 || s.Counters.AccessReloads != 1 || s.Counters.HandshakesAccepted != 3 {
		t.Fatalf("revoked %d reloads %d handshakes %d", s.Counters.AccessRevoked, s.Counters.AccessReloads, s.Counters.HandshakesAccepted)
	}
	// A key the new policy drops is refused at its next handshake.
	if err := tb.SetAccess(ctx, mustAccess(t, "key c "+ck.pub.String()+"\n")); err != nil {
		t.Fatal(err)
	}
	late := curveDial(t, tb.ep, server.pub, wk)
	late.send(readyExt("a", 1, 1))
	waitFor(t, "the dropped key refused", func() bool { return tb.snapshot(t).Counters.HandshakesRefused == 1 })
}

func mustAccess(t *testing.T, text string) *Access {
	t.Helper()
	a, err := ParseAccess("t.acl", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A policy needs CURVE; SetAccess on a plain broker says so.
func TestACLNeedsCurve(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Access = mustAccess(t, "key a "+newKeyPair(t).pub.String()+"\n")
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "needs CURVE") {
		t.Fatalf("Validate: %v", err)
	}
	cfg.Access, cfg.CurveSecretKey = nil, "short"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "curve secret key") {
		t.Fatalf("Validate: %v", err)
	}
	tb := startBroker(t, nil)
	if err := tb.SetAccess(context.Background(), nil); err != ErrNoCurve {
		t.Fatalf("SetAccess on a plain broker: %v", err)
	}
}
