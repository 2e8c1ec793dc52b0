package workers

import (
	"fmt"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"
)

// rawRecv receives one message on a ROUTER owned by the test goroutine.
func rawRecv(t *testing.T, s *zmq.Socket) [][]byte {
	t.Helper()
	p := zmq.NewPoller()
	p.Add(s, zmq.POLLIN)
	if polled, err := p.Poll(10 * time.Second); err != nil || len(polled) == 0 {
		t.Fatalf("nothing received (err %v)", err)
	}
	frames, err := s.RecvMessageBytes(0)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// The worker speaks RFC 7 byte for byte to a broker that knows nothing but
// raw frames: READY, heartbeats, REQUEST and REPLY, and its error form.
func TestInteropRawV01Broker(t *testing.T) {
	s, err := zmq.NewSocket(zmq.ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep, _ := s.GetLastEndpoint()
	r := startWorker(t, ep, "echo", HandlerFunc(echo), WithProtocol(ProtocolV01))

	ready := rawRecv(t, s)
	id := ready[0]
	if got := fmt.Sprintf("%q", ready[1:]); got != `["" "MDPW01" "\x01" "echo"]` {
		t.Fatalf("READY frames %s", got)
	}
	send := func(frames ...string) {
		t.Helper()
		if _, err := s.SendMessage(id, frames); err != nil {
			t.Fatal(err)
		}
	}
	send("", "MDPW01", "\x02", "client-7", "", "hello", "world")
	for {
		frames := rawRecv(t, s)
		got := fmt.Sprintf("%q", frames[1:])
		if got == `["" "MDPW01" "\x04"]` {
			send("", "MDPW01", "\x04") // heartbeat back, as a broker does
			continue
		}
		if want := `["" "MDPW01" "\x03" "client-7" "" "hello" "world"]`; got != want {
			t.Fatalf("REPLY frames %s, want %s", got, want)
		}
		break
	}
	// Shutdown under MDP/0.1: no drain command exists, DISCONNECT at once.
	r.cancel()
	if err := r.wait(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for {
		got := fmt.Sprintf("%q", rawRecv(t, s)[1:])
		if got == `["" "MDPW01" "\x04"]` {
			continue
		}
		if want := `["" "MDPW01" "\x05"]`; got != want {
			t.Fatalf("at shutdown %s, want DISCONNECT %s", got, want)
		}
		break
	}
}
