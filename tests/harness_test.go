package tests

import (
	"context"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
	zmq "github.com/pebbe/zmq4"
	"go.uber.org/zap/zaptest"
)

// waitLong bounds every wait: generous for a loaded CI machine.
const waitLong = 20 * time.Second

// Heartbeats are short so that faults are noticed fast; liveness is high
// so that a stalled goroutine on a loaded machine is not taken for a dead
// peer.
const (
	testHeartbeat = 20 * time.Millisecond
	testLiveness  = 25
)

// startBroker runs an in-process broker on an ephemeral loopback port until
// the test ends, with the heartbeats above; tune adjusts it further.
func startBroker(t *testing.T, tune func(*broker.Config)) (*brokertest.Broker, string) {
	t.Helper()
	b := brokertest.Start(t, func(cfg *broker.Config) {
		cfg.HeartbeatInterval = testHeartbeat
		cfg.HeartbeatLiveness = testLiveness
		cfg.DrainTimeout = 200 * time.Millisecond
		if tune != nil {
			tune(cfg)
		}
	})
	return b, b.Endpoint
}

// startWorker runs an SDK worker until the test ends.
func startWorker(t *testing.T, ep, service string, h workers.HandlerFunc, opts ...workers.Option) {
	t.Helper()
	opts = append([]workers.Option{workers.WithHeartbeat(testHeartbeat), workers.WithLiveness(testLiveness),
		workers.WithLogger(zaptest.NewLogger(t))}, opts...)
	w, err := workers.New([]string{ep}, service, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(waitLong):
			t.Error("worker did not stop")
		}
	})
}

func newClient(t *testing.T, brokers []string, opts ...clients.Option) *clients.Client {
	t.Helper()
	opts = append([]clients.Option{clients.WithLogger(zaptest.NewLogger(t))}, opts...)
	c, err := clients.New(brokers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawPeer is a socket that speaks exact protocol frames, as a zguide
// client or worker would.
type rawPeer struct {
	t *testing.T
	s *zmq.Socket
}

func dialRaw(t *testing.T, ep string, typ zmq.Type) *rawPeer {
	t.Helper()
	return &rawPeer{t: t, s: brokertest.Dial(t, ep, typ)}
}

func (p *rawPeer) send(frames ...[]byte) {
	p.t.Helper()
	if _, err := p.s.SendMessage(frames); err != nil {
		p.t.Fatal(err)
	}
}

func (p *rawPeer) sendMsg(m mdp.Message) {
	p.t.Helper()
	frames, err := m.Frames()
	if err != nil {
		p.t.Fatal(err)
	}
	p.send(frames...)
}

// recv returns the next message that is not a HEARTBEAT, parsed.
func (p *rawPeer) recv() mdp.Message {
	p.t.Helper()
	for {
		poller := zmq.NewPoller()
		poller.Add(p.s, zmq.POLLIN)
		polled, err := poller.Poll(waitLong)
		if err != nil || len(polled) == 0 {
			p.t.Fatalf("no message within %v", waitLong)
		}
		frames, err := p.s.RecvMessageBytes(0)
		if err != nil {
			p.t.Fatal(err)
		}
		m, err := mdp.ParseDealer(frames)
		if err != nil {
			p.t.Fatalf("parse %q: %v", frames, err)
		}
		if m.Kind != mdp.WorkerHeartbeat {
			return m
		}
	}
}
