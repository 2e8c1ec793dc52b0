package workers

import (
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

// testClient is a plain MDP client on a DEALER socket, used only from the
// test's goroutine.
type testClient struct {
	t       *testing.T
	sock    *zmq.Socket
	version mdp.Version
}

func newTestClient(t *testing.T, endpoint string, v mdp.Version) *testClient {
	t.Helper()
	s, err := zmq.NewSocket(zmq.DEALER)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(endpoint); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &testClient{t: t, sock: s, version: v}
}

func (c *testClient) request(service string, body ...string) {
	c.t.Helper()
	m := mdp.Message{Version: c.version, Kind: mdp.ClientRequest, Service: service}
	for _, b := range body {
		m.Body = append(m.Body, []byte(b))
	}
	frames, err := m.Frames()
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.sock.SendMessage(frames); err != nil {
		c.t.Fatal(err)
	}
}

// recv waits for the next reply, with a generous deadline.
func (c *testClient) recv() mdp.Message {
	c.t.Helper()
	p := zmq.NewPoller()
	p.Add(c.sock, zmq.POLLIN)
	polled, err := p.Poll(10 * time.Second)
	if err != nil || len(polled) == 0 {
		c.t.Fatalf("no reply from the broker (err %v)", err)
	}
	frames, err := c.sock.RecvMessageBytes(0)
	if err != nil {
		c.t.Fatal(err)
	}
	m, err := mdp.ParseDealer(frames)
	if err != nil {
		c.t.Fatalf("malformed reply: %v", err)
	}
	return m
}
