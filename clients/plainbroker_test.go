package clients

import (
	"sync"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

// plainBroker speaks the client side of plain MDP/0.1 (RFC 7) and MDP/0.2
// (RFC 18) exactly, and answers requests itself through handle, playing
// broker and worker at once. It records the identity each request came
// from.
type plainBroker struct {
	endpoint string
	ext      bool // extension requests are welcome too
	handle   func(p *plainBroker, identity []byte, m *mdp.Message)
	sock     *zmq.Socket // only the broker's goroutine (and handle) use it

	mu         sync.Mutex
	identities [][]byte

	stop chan struct{}
	done chan struct{}
}

func startPlainBroker(t *testing.T, handle func(p *plainBroker, identity []byte, m *mdp.Message)) *plainBroker {
	t.Helper()
	return startScriptedBroker(t, false, handle)
}

// startScriptedBroker is startPlainBroker for extension requests too (ext):
// a broker whose every move the test scripts.
func startScriptedBroker(t *testing.T, ext bool, handle func(p *plainBroker, identity []byte, m *mdp.Message)) *plainBroker {
	t.Helper()
	sock := bindRouter(t, "tcp://127.0.0.1:*")
	ep, err := sock.GetLastEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	p := &plainBroker{endpoint: ep, ext: ext, handle: handle, sock: sock, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run(t)
	t.Cleanup(func() {
		close(p.stop)
		<-p.done
	})
	return p
}

func (p *plainBroker) run(t *testing.T) {
	defer close(p.done)
	defer p.sock.Close()
	poller := zmq.NewPoller()
	poller.Add(p.sock, zmq.POLLIN)
	for {
		select {
		case <-p.stop:
			return
		default:
		}
		polled, err := poller.Poll(5 * time.Millisecond)
		if err != nil || len(polled) == 0 {
			continue
		}
		frames, err := p.sock.RecvMessageBytes(zmq.DONTWAIT)
		if err != nil {
			continue
		}
		id, m, err := mdp.ParseRouter(frames)
		if err == nil && p.ext && m.Kind == mdp.ClientCancel {
			continue // a withdrawn attempt: a scripted broker holds no queue
		}
		if err != nil || m.Ext && !p.ext || m.Kind != mdp.ClientRequest {
			t.Errorf("plain broker: unexpected %v %v ext=%v: %v", m.Version, m.Kind, m.Ext, err)
			continue
		}
		p.mu.Lock()
		p.identities = append(p.identities, id)
		p.mu.Unlock()
		p.handle(p, id, &m)
	}
}

// reply sends a plain reply in the request's version: MDP/0.1 REPLY, or
// MDP/0.2 PARTIAL (partial) or FINAL.
func (p *plainBroker) reply(identity []byte, req *mdp.Message, partial bool, body ...[]byte) {
	m := mdp.Message{Version: req.Version, Kind: mdp.ClientFinal, Service: req.Service, Body: body}
	if partial {
		m.Kind = mdp.ClientPartial
	}
	frames, err := m.AppendFrames([][]byte{identity})
	if err != nil {
		panic(err)
	}
	p.sock.SendMessage(frames)
}

func (p *plainBroker) seen() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.identities...)
}
