package mdptest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

func frames(body ...string) [][]byte {
	out := make([][]byte, len(body))
	for i, b := range body {
		out[i] = []byte(b)
	}
	return out
}

// readyWorker connects a raw worker and waits until the broker has its READY.
func readyWorker(t *testing.T, b *MiniBroker, m mdp.Message) *Peer {
	t.Helper()
	before := len(b.Messages(IsKind(mdp.WorkerReady)))
	w := Dial(t, b.Endpoint, zmq.DEALER)
	w.Send(m)
	b.Wait(before+1, "READY", IsKind(mdp.WorkerReady))
	return w
}

// A plain MDP/0.1 client is served by an extension worker, which gets a
// fresh UUID not marked as the client's; the client gets the FINAL only,
// in its own version.
func TestMiniRoutesAcrossProtocols(t *testing.T) {
	b := StartMini(t, MiniConfig{Route: true})
	w := readyWorker(t, b, mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.WorkerReady, Service: "echo", Capacity: 1, Tier: 1})
	c := Dial(t, b.Endpoint, zmq.DEALER)
	c.Send(mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: "echo", Body: frames("hi")})
	req := w.Expect(mdp.WorkerRequest)
	if !req.Ext || req.UUID == (uuid.UUID{}) || req.Flags&mdp.FlagClientUUID != 0 || string(req.Body[0]) != "hi" {
		t.Fatalf("worker got %+v", req)
	}
	reply := mdp.Message{Version: mdp.V02, Ext: true, Address: req.Address, UUID: req.UUID, Body: frames("part")}
	reply.Kind = mdp.WorkerPartial
	w.Send(reply)
	reply.Kind, reply.Body = mdp.WorkerFinal, frames("done")
	w.Send(reply)
	if m := c.Recv(); m.Version != mdp.V01 || m.Kind != mdp.ClientFinal || string(m.Body[0]) != "done" {
		t.Fatalf("client got %v %v %q", m.Version, m.Kind, m.Body)
	}
}

// An extension request's retry while it is held is not delivered again;
// a repeat after the FINAL is answered from the cache; a worker that
// leaves holding a request has it given to the next worker.
func TestMiniDedupAndRequeue(t *testing.T) {
	b := StartMini(t, MiniConfig{Route: true})
	ready := mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.WorkerReady, Service: "svc", Capacity: 1, Tier: 1}
	w1 := readyWorker(t, b, ready)
	c := Dial(t, b.Endpoint, zmq.DEALER)
	id := uuid.New()
	req := mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.ClientRequest, Service: "svc", UUID: id, Timeout: time.Minute, Body: frames("x")}
	c.Send(req)
	if got := w1.Expect(mdp.WorkerRequest); got.UUID != id || got.Flags&mdp.FlagClientUUID == 0 {
		t.Fatalf("worker 1 got %+v", got)
	}
	c.Send(req) // a retry while held
	w1.Send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	w2 := readyWorker(t, b, ready)
	got := w2.Expect(mdp.WorkerRequest)
	if got.UUID != id {
		t.Fatalf("worker 2 got %+v", got)
	}
	w2.Send(mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.WorkerFinal, Address: got.Address, UUID: id, Body: frames("y")})
	if m := c.Expect(mdp.ClientFinal); m.UUID != id || string(m.Body[0]) != "y" {
		t.Fatalf("client got %+v", m)
	}
	c.Send(req) // a repeat after the FINAL
	if m := c.Expect(mdp.ClientFinal); m.UUID != id || string(m.Body[0]) != "y" {
		t.Fatalf("repeat got %+v", m)
	}
	if _, ok := w2.RecvFramesWithin(50 * time.Millisecond); ok {
		t.Fatal("a held or answered request was delivered again")
	}
}

// The broker answers MMI, "xerror.NNN" and a fail-fast request for a
// service without workers itself.
func TestMiniAnswersItself(t *testing.T) {
	b := StartMini(t, MiniConfig{Route: true})
	c := Dial(t, b.Endpoint, zmq.DEALER)
	c.Send(mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: mdp.MMIService, Body: frames("nobody")})
	if m := c.Expect(mdp.ClientFinal); string(m.Body[0]) != "404" {
		t.Fatalf("mmi.service: %q", m.Body)
	}
	c.Send(mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.ClientRequest, Service: "xerror.429", UUID: uuid.New(), Timeout: time.Minute})
	if m := c.Expect(mdp.ClientError); m.Status != 429 {
		t.Fatalf("xerror.429: %+v", m)
	}
	c.Send(mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.ClientRequest, Service: "nobody", UUID: uuid.New(),
		Timeout: time.Minute, Flags: mdp.FlagFailFast})
	if m := c.Expect(mdp.ClientError); m.Status != mdp.StatusNotFound {
		t.Fatalf("fail-fast: %+v", m)
	}
}

// Workers get heartbeats unless the broker is silent; a second READY, a
// reply from a stranger and any READY while refusing get DISCONNECT; with
// Goodbye, Stop says DISCONNECT too.
func TestMiniWorkerLifecycle(t *testing.T) {
	b := StartMini(t, MiniConfig{Heartbeat: time.Millisecond, Goodbye: true})
	ready := mdp.Message{Version: mdp.V01, Kind: mdp.WorkerReady, Service: "svc"}
	w := readyWorker(t, b, ready)
	if m := mustRecv(t, w); m.Kind != mdp.WorkerHeartbeat {
		t.Fatalf("got %v, want HEARTBEAT", m.Kind)
	}
	w.Send(ready)
	w.Expect(mdp.WorkerDisconnect)
	stranger := Dial(t, b.Endpoint, zmq.DEALER)
	stranger.Send(mdp.Message{Version: mdp.V01, Kind: mdp.WorkerFinal, Address: []byte("c"), Body: frames("x")})
	stranger.Expect(mdp.WorkerDisconnect)
	b.SetRefuse(true)
	refused := readyWorker(t, b, ready)
	refused.Expect(mdp.WorkerDisconnect)
	b.SetRefuse(false)

	last := readyWorker(t, b, ready)
	b.SetSilent(true)
	drain(last)
	if _, ok := last.RecvFramesWithin(50 * time.Millisecond); ok {
		t.Fatal("a silent broker sent something")
	}
	b.Stop()
	last.Expect(mdp.WorkerDisconnect)
}

func mustRecv(t *testing.T, p *Peer) mdp.Message {
	t.Helper()
	m, err := mdp.ParseDealer(p.RecvFrames())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// drain takes what is already queued for p (heartbeats sent before the
// broker went silent).
func drain(p *Peer) {
	for {
		if _, ok := p.RecvFramesWithin(20 * time.Millisecond); !ok {
			return
		}
	}
}
