package brokertest

import (
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// Dial connects a raw socket of type typ to ep, with a linger of 0, closed
// when the test ends: a peer that speaks exact protocol frames.
func Dial(t testing.TB, ep string, typ zmq.Type) *zmq.Socket {
	t.Helper()
	s, err := zmq.NewSocket(typ)
	if err != nil {
		t.Fatal(err)
	}
	s.SetLinger(0)
	if err := s.Connect(ep); err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// FakeRouter is a scripted broker: a ROUTER on an ephemeral loopback port
// that parses each message it gets and passes it to answer with the
// sender's identity (err is the parse error, if any). The frames answer
// returns are sent back to the sender, identity first; nil sends nothing.
// It runs in its own goroutine until the test ends, and returns its
// endpoint.
func FakeRouter(t testing.TB, answer func(m mdp.Message, err error) [][]byte) string {
	t.Helper()
	sock, err := zmq.NewSocket(zmq.ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	sock.SetLinger(0)
	if err := sock.Bind("tcp://127.0.0.1:*"); err != nil {
		sock.Close()
		t.Fatal(err)
	}
	ep, _ := sock.GetLastEndpoint()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		defer sock.Close()
		poller := zmq.NewPoller()
		poller.Add(sock, zmq.POLLIN)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if polled, err := poller.Poll(5 * time.Millisecond); err != nil || len(polled) == 0 {
				continue
			}
			frames, err := sock.RecvMessageBytes(zmq.DONTWAIT)
			if err != nil {
				continue
			}
			id, m, err := mdp.ParseRouter(frames)
			if out := answer(m, err); out != nil && len(id) > 0 {
				sock.SendMessage(id, out)
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
	})
	return ep
}
