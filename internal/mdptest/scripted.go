package mdptest

import (
	"sync"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

// Scripted is a broker whose every move the test scripts: a ROUTER that
// parses each message it gets and hands it to the script, in the socket's
// goroutine. The script answers through the Call, to the sender or to any
// identity it has seen.
type Scripted struct {
	Endpoint string // port resolved

	script func(*Call)
	sock   *zmq.Socket // the goroutine's, and the script's through Call

	mu      sync.Mutex
	senders [][]byte

	stop chan struct{}
	done chan struct{}
}

// Call is one message as the scripted broker got it. Its methods may be
// used only inside the script.
type Call struct {
	From []byte      // the sender's routing identity
	Msg  mdp.Message // parsed (as mdp.ParseRouter does)
	Err  error       // the parse error, if any
	sock *zmq.Socket
}

// StartScripted binds endpoint ("" for an ephemeral loopback port),
// retrying while a socket closed a moment ago still holds it, and runs
// until the test ends.
func StartScripted(t testing.TB, endpoint string, script func(*Call)) *Scripted {
	t.Helper()
	sock := BindRouter(t, endpoint)
	ep, err := sock.GetLastEndpoint()
	if err != nil {
		sock.Close()
		t.Fatal(err)
	}
	s := &Scripted{Endpoint: ep, script: script, sock: sock, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	t.Cleanup(func() {
		close(s.stop)
		<-s.done
	})
	return s
}

// BindRouter binds a ROUTER with a linger of 0 to endpoint ("" for an
// ephemeral loopback port), retrying until Timeout while a just-closed
// socket still holds the port. The caller owns the socket.
func BindRouter(t testing.TB, endpoint string) *zmq.Socket {
	t.Helper()
	if endpoint == "" {
		endpoint = "tcp://127.0.0.1:*"
	}
	sock, err := zmq.NewSocket(zmq.ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	sock.SetLinger(0)
	if !Eventually(Timeout, func() bool { err = sock.Bind(endpoint); return err == nil }) {
		sock.Close()
		t.Fatalf("bind %s: %v", endpoint, err)
	}
	return sock
}

func (s *Scripted) run() {
	defer close(s.done)
	defer s.sock.Close()
	poller := zmq.NewPoller()
	poller.Add(s.sock, zmq.POLLIN)
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		if polled, err := poller.Poll(5 * time.Millisecond); err != nil || len(polled) == 0 {
			continue
		}
		frames, err := s.sock.RecvMessageBytes(zmq.DONTWAIT)
		if err != nil {
			continue
		}
		id, m, err := mdp.ParseRouter(frames)
		s.mu.Lock()
		s.senders = append(s.senders, id)
		s.mu.Unlock()
		s.script(&Call{From: id, Msg: m, Err: err, sock: s.sock})
	}
}

// Senders are the identities of every message received so far, in order.
func (s *Scripted) Senders() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.senders...)
}

// Send sends frames to the sender, identity first; nothing when the
// message had no identity.
func (c *Call) Send(frames ...[]byte) { c.SendTo(c.From, frames...) }

// SendTo sends frames to the peer with identity.
func (c *Call) SendTo(identity []byte, frames ...[]byte) {
	if len(identity) > 0 {
		c.sock.SendMessage(identity, frames)
	}
}

// SendMessage encodes m and sends it to the peer with identity.
func (c *Call) SendMessage(identity []byte, m mdp.Message) {
	frames, err := m.Frames()
	if err != nil {
		panic(err) // the script built a message the encoder refuses
	}
	c.SendTo(identity, frames...)
}

// ReplyPlain sends a plain client reply to identity in req's version:
// MDP/0.1 REPLY, or MDP/0.2 PARTIAL (partial) or FINAL.
func (c *Call) ReplyPlain(identity []byte, req *mdp.Message, partial bool, body ...[]byte) {
	m := mdp.Message{Version: req.Version, Kind: mdp.ClientFinal, Service: req.Service, Body: body}
	if partial {
		m.Kind = mdp.ClientPartial
	}
	c.SendMessage(identity, m)
}
