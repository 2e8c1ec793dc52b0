package broker

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/internal/mdptest"
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

// waitFor polls cond until it holds or mdptest.Timeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	mdptest.WaitFor(t, what, cond)
}

// peer is a raw socket speaking exact protocol frames to the broker, used
// from the test's goroutine; its methods are mdptest.Peer's.
type peer struct {
	t *testing.T
	s *zmq.Socket
}

func dial(t *testing.T, ep string, typ zmq.Type) *peer {
	t.Helper()
	return &peer{t: t, s: mdptest.Dial(t, ep, typ).Socket()}
}

func (p *peer) shared() *mdptest.Peer         { return mdptest.Wrap(p.t, p.s) }
func (p *peer) raw(frames ...[]byte)          { p.t.Helper(); p.shared().SendFrames(frames...) }
func (p *peer) send(m mdp.Message)            { p.t.Helper(); p.shared().Send(m) }
func (p *peer) recvFrames() [][]byte          { p.t.Helper(); return p.shared().RecvFrames() }
func (p *peer) recv() mdp.Message             { p.t.Helper(); return p.shared().Recv() }
func (p *peer) expect(k mdp.Kind) mdp.Message { p.t.Helper(); return p.shared().Expect(k) }

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
