package broker

import (
	"bytes"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// A message of more frames than the router takes is dropped and counted,
// and the next message is served.
func TestTooManyFramesDropped(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatInterval = time.Second })
	w := tb.readyWorker(t, ready(mdp.V01, "echo"))
	c := dial(t, tb.ep, zmq.DEALER)
	huge := []string{"", mdp.HeaderClient01, "echo"}
	for len(huge) < 1100 {
		huge = append(huge, "x")
	}
	c.raw(frames(huge...)...)
	waitFor(t, "the oversized message counted", func() bool {
		s := tb.snapshot(t)
		return s.Counters.TooLarge == 1 && s.Counters.PlainDropped == 1
	})

	c.send(plainRequest(mdp.V01, "echo", "after"))
	req := w.expect(mdp.WorkerRequest)
	if bodyString(req) != "after" {
		t.Fatalf("worker got %q", bodyString(req))
	}
}

// Frames of every size, empty ones and a body of several MiB among them,
// cross the router byte for byte in both directions.
func TestRouterCarriesFramesIntact(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatInterval = time.Second })
	w := tb.readyWorker(t, ready(mdp.V01, "echo"))
	c := dial(t, tb.ep, zmq.DEALER)
	big := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	body := [][]byte{{}, big, {0}, []byte("tail")}
	c.send(mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: "echo", Body: body})
	req := w.expect(mdp.WorkerRequest)
	if len(req.Body) != len(body) {
		t.Fatalf("worker got %d frames, want %d", len(req.Body), len(body))
	}
	for i := range body {
		if !bytes.Equal(req.Body[i], body[i]) {
			t.Fatalf("frame %d changed on the way to the worker (%d bytes, want %d)", i, len(req.Body[i]), len(body[i]))
		}
	}
	w.send(mdp.Message{Version: mdp.V01, Kind: mdp.WorkerFinal, Address: req.Address, Body: req.Body})
	reply := c.expect(mdp.ClientFinal)
	for i := range body {
		if !bytes.Equal(reply.Body[i], body[i]) {
			t.Fatalf("frame %d changed on the way back", i)
		}
	}
}
