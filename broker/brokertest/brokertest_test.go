package brokertest

import (
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A started broker serves, reports its workers, stops once however often
// Stop is called, and a new broker can take over its fixed endpoint.
func TestStartStopRestart(t *testing.T) {
	b := Start(t, func(cfg *broker.Config) { cfg.HeartbeatInterval = time.Second })
	w, err := zmq.NewSocket(zmq.DEALER)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetLinger(0)
	if err := w.Connect(b.Endpoint); err != nil {
		t.Fatal(err)
	}
	ready := mdp.Message{Version: mdp.V01, Kind: mdp.WorkerReady, Service: "echo"}
	frames, _ := ready.Frames()
	if _, err := w.SendMessage(frames); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "echo registered", func() bool { return b.Workers("echo") == 1 })
	if _, ok := b.Service("nothing"); ok {
		t.Fatal("an unknown service was reported")
	}

	b.Stop()
	b.Stop()
	again := Start(t, func(cfg *broker.Config) { cfg.Endpoints = []string{b.Endpoint} })
	if again.Endpoint != b.Endpoint {
		t.Fatalf("restarted on %s, want %s", again.Endpoint, b.Endpoint)
	}
	if n := again.Workers("echo"); n != 0 {
		t.Fatalf("new broker has %d workers", n)
	}
}

// FakeRouter hands each message to its script, parse errors included, and
// sends back what the script returns.
func TestFakeRouter(t *testing.T) {
	parseErrors := make(chan error, 1)
	ep := FakeRouter(t, func(m mdp.Message, err error) [][]byte {
		if err != nil {
			parseErrors <- err
			return nil
		}
		return [][]byte{{}, []byte(mdp.HeaderClient01), []byte(m.Service), []byte("scripted")}
	})
	c := Dial(t, ep, zmq.DEALER)
	if _, err := c.SendMessage("garbage"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-parseErrors:
		if err == nil {
			t.Fatal("no parse error for garbage")
		}
	case <-time.After(Timeout):
		t.Fatal("the script never saw the garbage")
	}
	req := mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: "echo", Body: [][]byte{[]byte("x")}}
	frames, _ := req.Frames()
	if _, err := c.SendMessage(frames); err != nil {
		t.Fatal(err)
	}
	poller := zmq.NewPoller()
	poller.Add(c, zmq.POLLIN)
	if polled, err := poller.Poll(Timeout); err != nil || len(polled) == 0 {
		t.Fatalf("no reply: %v", err)
	}
	reply, err := c.RecvMessageBytes(0)
	if err != nil || len(reply) != 4 || string(reply[3]) != "scripted" {
		t.Fatalf("reply %q, %v", reply, err)
	}
}
