package mdptest

import (
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

// Peer is a raw socket that speaks exact protocol frames, as a zguide
// client or worker would. It belongs to the test's goroutine.
type Peer struct {
	t    testing.TB
	sock *zmq.Socket
}

// Dial connects a socket of type typ to endpoint with a linger of 0; it is
// closed when the test ends.
func Dial(t testing.TB, endpoint string, typ zmq.Type) *Peer {
	t.Helper()
	s, err := zmq.NewSocket(typ)
	if err != nil {
		t.Fatal(err)
	}
	s.SetLinger(0)
	if err := s.Connect(endpoint); err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &Peer{t: t, sock: s}
}

// Socket is the peer's socket, for what the methods here do not do.
func (p *Peer) Socket() *zmq.Socket { return p.sock }

// SendFrames sends frames as one message.
func (p *Peer) SendFrames(frames ...[]byte) {
	p.t.Helper()
	if _, err := p.sock.SendMessage(frames); err != nil {
		p.t.Fatalf("send: %v", err)
	}
}

// Send encodes m (as a DEALER sends it: empty frame first) and sends it.
func (p *Peer) Send(m mdp.Message) {
	p.t.Helper()
	frames, err := m.Frames()
	if err != nil {
		p.t.Fatalf("encode %v: %v", m.Kind, err)
	}
	p.SendFrames(frames...)
}

// RecvFrames waits for the next message, failing the test after Timeout.
func (p *Peer) RecvFrames() [][]byte {
	p.t.Helper()
	frames, ok := p.RecvFramesWithin(Timeout)
	if !ok {
		p.t.Fatalf("no message within %v", Timeout)
	}
	return frames
}

// RecvFramesWithin waits at most d for the next message; false when none
// came.
func (p *Peer) RecvFramesWithin(d time.Duration) ([][]byte, bool) {
	p.t.Helper()
	poller := zmq.NewPoller()
	poller.Add(p.sock, zmq.POLLIN)
	polled, err := poller.Poll(d)
	if err != nil {
		p.t.Fatalf("poll: %v", err)
	}
	if len(polled) == 0 {
		return nil, false
	}
	frames, err := p.sock.RecvMessageBytes(0)
	if err != nil {
		p.t.Fatalf("recv: %v", err)
	}
	return frames, true
}

// Recv returns the next message that is not a worker HEARTBEAT, parsed as
// a DEALER gets it.
func (p *Peer) Recv() mdp.Message {
	p.t.Helper()
	for {
		frames := p.RecvFrames()
		m, err := mdp.ParseDealer(frames)
		if err != nil {
			p.t.Fatalf("parse %q: %v", frames, err)
		}
		if m.Kind != mdp.WorkerHeartbeat {
			return m
		}
	}
}

// Expect is Recv, failing the test unless the message is of kind.
func (p *Peer) Expect(kind mdp.Kind) mdp.Message {
	p.t.Helper()
	m := p.Recv()
	if m.Kind != kind {
		p.t.Fatalf("got %v %+v, want %v", m.Kind, m, kind)
	}
	return m
}

// Wrap is a Peer on a socket the caller made (with an identity set before
// connecting, say) and closes.
func Wrap(t testing.TB, sock *zmq.Socket) *Peer { return &Peer{t: t, sock: sock} }
