package broker

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// A service with no workers and no requests is forgotten after the idle
// timeout; one with a worker is kept.
func TestIdleServiceIsForgotten(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) {
		cfg.ServiceIdleTimeout = 30 * time.Millisecond
		cfg.RequestTimeout = 20 * time.Millisecond
	})
	tb.readyWorker(t, ready(mdp.V02, "kept"))
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(plainRequest(mdp.V02, "passing", "x"))
	waitFor(t, "the request to create the service", func() bool {
		for _, s := range tb.snapshot(t).Services {
			if s.Name == "passing" && s.Outcomes.Expired == 1 {
				return true
			}
		}
		return false
	})
	waitFor(t, "the idle service to be forgotten", func() bool {
		s := tb.snapshot(t)
		return len(s.Services) == 1 && s.Services[0].Name == "kept"
	})
}

// A worker command that only the broker may send is a protocol violation:
// DISCONNECT, and a registered worker is forgotten.
func TestWrongDirectionWorkerCommandIsDisconnected(t *testing.T) {
	tb := startBroker(t, nil)
	w := tb.readyWorker(t, ready(mdp.V02, "echo"))
	w.raw([]byte(mdp.HeaderWorker02), []byte{0x02}, []byte("client"), []byte{}, []byte("body"))
	w.expect(mdp.WorkerDisconnect)
	waitFor(t, "worker forgotten", func() bool { return tb.snapshot(t).Services[0].Workers == 0 })
}

// A capacity worker that dies holding several requests: every one of them
// is delivered again to the next worker.
func TestCapacityWorkerDeathRequeuesEveryRequest(t *testing.T) {
	tb := startBroker(t, nil)
	a := tb.readyWorker(t, readyExt("multi", 1, 3))
	c := dial(t, tb.ep, zmq.DEALER)
	want := map[uuid.UUID]bool{}
	for i := 0; i < 3; i++ {
		id := uuid.New()
		want[id] = true
		c.send(requestExt(id, "multi", time.Minute, 0, "x"))
	}
	for i := 0; i < 3; i++ {
		a.expect(mdp.WorkerRequest)
	}
	a.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	b := dial(t, tb.ep, zmq.DEALER)
	b.send(readyExt("multi", 1, 3))
	for i := 0; i < 3; i++ {
		req := b.expect(mdp.WorkerRequest)
		if !want[req.UUID] {
			t.Fatalf("unexpected request %v", req.UUID)
		}
		b.send(replyTo(req, "ok"))
	}
	for i := 0; i < 3; i++ {
		m := c.expect(mdp.ClientFinal)
		delete(want, m.UUID)
	}
	if len(want) != 0 {
		t.Fatalf("requests never answered: %v", want)
	}
}
