package tests

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
	zmq "github.com/pebbe/zmq4"
)

// Every kind of peer on one broker at once: a zguide-style MDP/0.1 REQ
// client, a raw MDP/0.2 DEALER client and the SDK client, served by an SDK
// worker and a raw MDP/0.1 worker of the same service.
func TestEveryPeerKindOnOneBroker(t *testing.T) {
	b, ep := startBroker(t, nil)
	startWorker(t, ep, "echo", func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		return append([][]byte{[]byte("sdk")}, req.Body...), nil
	})
	raw := mdptest.Dial(t, ep, zmq.DEALER)
	raw.SendFrames([]byte{}, []byte(mdp.HeaderWorker01), []byte{0x01}, []byte("echo"))
	brokertest.WaitFor(t, "both workers registered", func() bool {
		s := b.State()
		return len(s.Services) == 1 && s.Services[0].Workers == 2
	})

	// The raw worker answers whatever it gets, in the background of the test
	// goroutine's own checks: it runs in its own goroutine with its socket.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveRaw01(raw.Socket(), stop)
	}()
	defer func() { close(stop); <-done }()

	req01 := mdptest.Dial(t, ep, zmq.REQ)
	dealer02 := mdptest.Dial(t, ep, zmq.DEALER)
	sdk := newClient(t, []string{ep}, clients.WithTimeout(5*time.Second))
	for i := 0; i < 10; i++ {
		body := []byte(fmt.Sprint("msg-", i))
		req01.SendFrames([]byte(mdp.HeaderClient01), []byte("echo"), body)
		frames, err := req01.Socket().RecvMessageBytes(0)
		if err != nil || len(frames) != 4 || string(frames[0]) != mdp.HeaderClient01 || !bytes.Equal(frames[3], body) {
			t.Fatalf("0.1 client got %q, %v", frames, err)
		}
		dealer02.Send(mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Service: "echo", Body: [][]byte{body}})
		if m := dealer02.Recv(); m.Kind != mdp.ClientFinal || len(m.Body) != 2 || !bytes.Equal(m.Body[1], body) {
			t.Fatalf("0.2 client got %+v", m)
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		reply, err := sdk.Request(ctx, "echo", body)
		cancel()
		if err != nil || len(reply) != 2 || !bytes.Equal(reply[1], body) {
			t.Fatalf("SDK client got %q, %v", reply, err)
		}
	}
	s := b.State()
	if s.Services[0].Outcomes.Answered != 30 || s.Counters.Malformed != 0 {
		t.Fatalf("outcomes %+v, counters %+v", s.Services[0].Outcomes, s.Counters)
	}
}

// serveRaw01 is an RFC 7 worker in exact frames: it answers each REQUEST
// with "raw" and the request's body, and HEARTBEATs back.
func serveRaw01(s *zmq.Socket, stop <-chan struct{}) {
	poller := zmq.NewPoller()
	poller.Add(s, zmq.POLLIN)
	for {
		select {
		case <-stop:
			return
		default:
		}
		polled, err := poller.Poll(10 * time.Millisecond)
		if err != nil {
			return
		}
		if len(polled) == 0 {
			s.SendMessage("", mdp.HeaderWorker01, []byte{0x04})
			continue
		}
		frames, err := s.RecvMessageBytes(0)
		if err != nil {
			return
		}
		// "" · MDPW01 · 0x02 · client · "" · body…
		if len(frames) >= 5 && frames[2][0] == 0x02 {
			reply := [][]byte{{}, []byte(mdp.HeaderWorker01), {0x03}, frames[3], {}, []byte("raw")}
			s.SendMessage(append(reply, frames[5:]...))
		}
	}
}
