package broker

import (
	"testing"

	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// A zguide-style MDP/0.1 client (REQ socket, exact RFC frames) is served by
// an MDP/0.1 worker speaking raw frames on a DEALER.
func TestPlain01ClientAndWorker(t *testing.T) {
	tb := startBroker(t, nil)
	w := tb.readyWorker(t, ready(mdp.V01, "echo"))
	c := dial(t, tb.ep, zmq.REQ) // REQ adds the empty delimiter itself
	c.raw([]byte(mdp.HeaderClient01), []byte("echo"), []byte("hello"), []byte("world"))

	req := w.expect(mdp.WorkerRequest)
	if req.Version != mdp.V01 || bodyString(req) != "hello|world" {
		t.Fatalf("worker got %+v", req)
	}
	w.send(replyTo(req, "HELLO", "WORLD"))

	got := c.recvFrames()
	want := []string{mdp.HeaderClient01, "echo", "HELLO", "WORLD"}
	if len(got) != len(want) {
		t.Fatalf("client got %q, want %q", got, want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Fatalf("client got %q, want %q", got, want)
		}
	}
}

// MDP/0.2: the worker's PARTIALs reach the client in order, then its FINAL;
// an MDP/0.1 client of the same worker gets only the FINAL.
func TestPlain02StreamsPartialsInOrder(t *testing.T) {
	tb := startBroker(t, nil)
	w := tb.readyWorker(t, ready(mdp.V02, "stream"))
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(plainRequest(mdp.V02, "stream", "go"))
	req := w.expect(mdp.WorkerRequest)
	for _, part := range []string{"1", "2", "3"} {
		w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerPartial, Address: req.Address, Body: frames(part)})
	}
	w.send(replyTo(req, "done"))
	for _, want := range []string{"1", "2", "3"} {
		if m := c.expect(mdp.ClientPartial); bodyString(m) != want || m.Service != "stream" {
			t.Fatalf("partial %+v, want %q", m, want)
		}
	}
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "done" || m.Version != mdp.V02 {
		t.Fatalf("final %+v", m)
	}

	c1 := dial(t, tb.ep, zmq.DEALER)
	c1.send(plainRequest(mdp.V01, "stream", "go"))
	req = w.expect(mdp.WorkerRequest)
	w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerPartial, Address: req.Address, Body: frames("dropped")})
	w.send(replyTo(req, "only"))
	if m := c1.expect(mdp.ClientFinal); m.Version != mdp.V01 || bodyString(m) != "only" {
		t.Fatalf("0.1 client got %+v, want one REPLY", m)
	}
}

// Requests queue while a service has no worker and go out when one comes.
func TestRequestsWaitForAWorker(t *testing.T) {
	tb := startBroker(t, nil)
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(plainRequest(mdp.V01, "late", "x"))
	waitFor(t, "request queued", func() bool {
		s := tb.snapshot(t)
		return len(s.Services) == 1 && s.Services[0].Queued == 1
	})
	w := dial(t, tb.ep, zmq.DEALER)
	w.send(ready(mdp.V01, "late"))
	req := w.expect(mdp.WorkerRequest)
	w.send(replyTo(req, "y"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "y" {
		t.Fatalf("client got %+v", m)
	}
}

// Garbage of every shape is dropped and counted; the broker keeps serving.
func TestMalformedInputIsDroppedAndCounted(t *testing.T) {
	tb := startBroker(t, nil)
	g := dial(t, tb.ep, zmq.DEALER)
	g.raw([]byte("garbage"))
	g.raw([]byte{}, []byte("MDPC01"))
	g.raw([]byte("MDPW02"), []byte{0x7f})
	g.raw([]byte("MDPC02"), []byte{0x01}, []byte{})
	waitFor(t, "malformed counted", func() bool { return tb.snapshot(t).Counters.Malformed >= 4 })
	w := tb.readyWorker(t, ready(mdp.V02, "echo"))
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(plainRequest(mdp.V02, "echo", "still"))
	w.send(replyTo(w.expect(mdp.WorkerRequest), "here"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "here" {
		t.Fatalf("client got %+v", m)
	}
}
