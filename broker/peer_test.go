package broker

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
	"go.uber.org/zap/zaptest"
)

// waitLong bounds every wait in these tests: generous, for a loaded CI
// machine; passing tests never come near it.
const waitLong = 10 * time.Second

// testBroker is a running broker on an ephemeral loopback port.
type testBroker struct {
	*Broker
	ep     string
	cancel context.CancelFunc
	errc   chan error
}

// startBroker runs a broker with millisecond heartbeats; tune adjusts the
// config. It is stopped at cleanup.
func startBroker(t *testing.T, tune func(*Config)) *testBroker {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Endpoints = []string{"tcp://127.0.0.1:*"}
	cfg.HeartbeatInterval = 20 * time.Millisecond
	cfg.DrainTimeout = 100 * time.Millisecond
	cfg.Logger = zaptest.NewLogger(t)
	if tune != nil {
		tune(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb := &testBroker{Broker: b, ep: b.Endpoints()[0], cancel: cancel, errc: make(chan error, 1)}
	go func() { tb.errc <- b.Run(ctx) }()
	t.Cleanup(func() { tb.stop(t) })
	return tb
}

// stop cancels the broker and waits for Run to return nil.
func (tb *testBroker) stop(t *testing.T) {
	t.Helper()
	tb.cancel()
	select {
	case err, ok := <-tb.errc:
		if ok && err != nil {
			t.Errorf("Run: %v", err)
		}
		close(tb.errc)
	case <-time.After(waitLong):
		t.Fatal("broker did not stop")
	}
}

func (tb *testBroker) snapshot(t *testing.T) Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	s, err := tb.Snapshot(ctx)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return s
}

// waitFor polls cond until it holds or the long deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// peer is a raw socket speaking exact protocol frames to the broker.
type peer struct {
	t *testing.T
	s *zmq.Socket
}

func dial(t *testing.T, ep string, typ zmq.Type) *peer {
	t.Helper()
	s, err := zmq.NewSocket(typ)
	if err != nil {
		t.Fatal(err)
	}
	s.SetLinger(0)
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &peer{t: t, s: s}
}

func (p *peer) raw(frames ...[]byte) {
	p.t.Helper()
	if _, err := p.s.SendMessage(frames); err != nil {
		p.t.Fatalf("send: %v", err)
	}
}

func (p *peer) send(m mdp.Message) {
	p.t.Helper()
	frames, err := m.Frames()
	if err != nil {
		p.t.Fatalf("encode %v: %v", m.Kind, err)
	}
	p.raw(frames...)
}

// recvFrames waits for the next message, failing the test after waitLong.
func (p *peer) recvFrames() [][]byte {
	p.t.Helper()
	poller := zmq.NewPoller()
	poller.Add(p.s, zmq.POLLIN)
	polled, err := poller.Poll(waitLong)
	if err != nil || len(polled) == 0 {
		p.t.Fatalf("no message within %v (%v)", waitLong, err)
	}
	frames, err := p.s.RecvMessageBytes(0)
	if err != nil {
		p.t.Fatalf("recv: %v", err)
	}
	return frames
}

// recv returns the next message that is not a HEARTBEAT.
func (p *peer) recv() mdp.Message {
	p.t.Helper()
	for {
		m, err := mdp.ParseDealer(p.recvFrames())
		if err != nil {
			p.t.Fatalf("parse: %v", err)
		}
		if m.Kind != mdp.WorkerHeartbeat {
			return m
		}
	}
}

func (p *peer) expect(kind mdp.Kind) mdp.Message {
	p.t.Helper()
	m := p.recv()
	if m.Kind != kind {
		p.t.Fatalf("got %v %+v, want %v", m.Kind, m, kind)
	}
	return m
}

// Message constructors for the tests.

func ready(v mdp.Version, service string) mdp.Message {
	return mdp.Message{Version: v, Kind: mdp.WorkerReady, Service: service}
}

func readyExt(service string, tier uint8, capacity uint16) mdp.Message {
	return mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: service, Tier: tier, Capacity: capacity}
}

func plainRequest(v mdp.Version, service string, body ...string) mdp.Message {
	return mdp.Message{Version: v, Kind: mdp.ClientRequest, Service: service, Body: frames(body...)}
}

func requestExt(id uuid.UUID, service string, timeout time.Duration, flags mdp.Flags, body ...string) mdp.Message {
	return mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: service, UUID: id,
		Timeout: timeout, Flags: flags, Body: frames(body...)}
}

// replyTo answers a worker REQUEST with a FINAL (or 0.1 REPLY) of body.
func replyTo(req mdp.Message, body ...string) mdp.Message {
	return mdp.Message{Version: req.Version, Kind: mdp.WorkerFinal, Ext: req.Ext, Address: req.Address,
		UUID: req.UUID, Body: frames(body...)}
}

func frames(body ...string) [][]byte {
	out := make([][]byte, len(body))
	for i, b := range body {
		out[i] = []byte(b)
	}
	return out
}

func bodyString(m mdp.Message) string {
	s := ""
	for i, f := range m.Body {
		if i > 0 {
			s += "|"
		}
		s += string(f)
	}
	return s
}

// readyWorker connects a worker, sends READY and waits until the broker
// has registered it.
func (tb *testBroker) readyWorker(t *testing.T, m mdp.Message) *peer {
	t.Helper()
	before := tb.snapshot(t).Counters.WorkersRegistered
	w := dial(t, tb.ep, zmq.DEALER)
	w.send(m)
	waitFor(t, "worker registration", func() bool { return tb.snapshot(t).Counters.WorkersRegistered > before })
	return w
}
