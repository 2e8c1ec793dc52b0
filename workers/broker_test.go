package workers

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// fakeBroker is a broker written for the tests on a ROUTER socket. It logs
// every message it receives, heartbeats the workers that registered, lets
// a test send any message to a worker, and with route set acts as a
// minimal RFC-exact broker for plain MDP/0.1 and MDP/0.2 (extension
// requests and replies pass through too): client requests go to a waiting
// worker of their service, one at a time per worker, and replies go back
// in the client's form. Its socket belongs to its goroutine; tests reach it
// through cmds.
type fakeBroker struct {
	t     *testing.T
	ep    string
	hb    time.Duration
	route bool
	cmds  chan func(*zmq.Socket)
	quit  chan struct{}
	done  chan struct{}

	mu       sync.Mutex
	log      []brokerMsg
	lastSent map[string]time.Time // by worker identity: when the broker last sent it anything
	silent   bool
	refuse   bool // answer every READY with DISCONNECT
}

type brokerMsg struct {
	id  string
	msg mdp.Message
	at  time.Time
}

type fakeWorker struct {
	version mdp.Version
	ext     bool
	service string
	client  *fakeRequest // the request it is serving (route mode)
}

type fakeRequest struct {
	client  string
	version mdp.Version
	ext     bool
	id      uuid.UUID
	timeout time.Duration
	service string
	body    [][]byte
}

func startFakeBroker(t *testing.T, endpoint string, hb time.Duration, route bool) *fakeBroker {
	t.Helper()
	sock, err := zmq.NewSocket(zmq.ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	if err := sock.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	// The port of a broker just stopped may take a moment to be free.
	mdptest.WaitFor(t, "bind "+endpoint, func() bool { return sock.Bind(endpoint) == nil })
	ep, err := sock.GetLastEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBroker{t: t, ep: ep, hb: hb, route: route, cmds: make(chan func(*zmq.Socket), 64),
		quit: make(chan struct{}), done: make(chan struct{}), lastSent: map[string]time.Time{}}
	go b.loop(sock)
	t.Cleanup(b.stop)
	return b
}

func (b *fakeBroker) stop() {
	select {
	case <-b.quit:
	default:
		close(b.quit)
	}
	<-b.done
}

func (b *fakeBroker) setSilent(s bool) {
	b.mu.Lock()
	b.silent = s
	b.mu.Unlock()
}

func (b *fakeBroker) loop(sock *zmq.Socket) {
	defer close(b.done)
	defer sock.Close()
	workers := map[string]*fakeWorker{}
	waiting := map[string][]string{}
	queued := map[string][]*fakeRequest{}
	lastHB := time.Now()
	send := func(id string, m mdp.Message) {
		frames, err := m.AppendFrames([][]byte{[]byte(id)})
		if err != nil {
			b.t.Errorf("fake broker: encode %v: %v", m.Kind, err)
			return
		}
		b.sent(id) // before the send: a lower bound on when the worker got it
		if _, err := sock.SendMessage(frames); err != nil {
			b.t.Errorf("fake broker: send: %v", err)
		}
	}
	dispatch := func(service string) {
		for len(waiting[service]) > 0 && len(queued[service]) > 0 {
			wid, r := waiting[service][0], queued[service][0]
			waiting[service], queued[service] = waiting[service][1:], queued[service][1:]
			w := workers[wid]
			w.client = r
			m := mdp.Message{Version: w.version, Kind: mdp.WorkerRequest, Ext: w.ext, Address: []byte(r.client), Body: r.body}
			if w.ext {
				m.UUID, m.Timeout = r.id, r.timeout
				if r.ext {
					m.Flags = mdp.FlagClientUUID
				} else {
					m.UUID = uuid.New()
				}
			}
			send(wid, m)
		}
	}
	poller := zmq.NewPoller()
	poller.Add(sock, zmq.POLLIN)
	for {
		select {
		case <-b.quit:
			return
		case f := <-b.cmds:
			f(sock)
		default:
		}
		if time.Since(lastHB) >= b.hb {
			lastHB = time.Now()
			b.mu.Lock()
			silent := b.silent
			b.mu.Unlock()
			for id, w := range workers {
				if !silent {
					send(id, mdp.Message{Version: w.version, Kind: mdp.WorkerHeartbeat})
				}
			}
		}
		polled, err := poller.Poll(2 * time.Millisecond)
		if err != nil || len(polled) == 0 {
			continue
		}
		frames, err := sock.RecvMessageBytes(0)
		if err != nil {
			continue
		}
		id, m, err := mdp.ParseRouter(frames)
		if err != nil {
			b.t.Logf("fake broker: dropped malformed message: %v", err)
			continue
		}
		b.mu.Lock()
		b.log = append(b.log, brokerMsg{id: string(id), msg: m, at: time.Now()})
		refuse := b.refuse
		b.mu.Unlock()
		w := workers[string(id)]
		switch m.Kind {
		case mdp.WorkerReady:
			if w != nil || refuse {
				send(string(id), mdp.Message{Version: m.Version, Kind: mdp.WorkerDisconnect})
				delete(workers, string(id))
				continue
			}
			workers[string(id)] = &fakeWorker{version: m.Version, ext: m.Ext, service: m.Service}
			waiting[m.Service] = append(waiting[m.Service], string(id))
			dispatch(m.Service)
		case mdp.WorkerDisconnect:
			delete(workers, string(id))
			for s, ids := range waiting {
				for i, x := range ids {
					if x == string(id) {
						waiting[s] = append(ids[:i:i], ids[i+1:]...)
						break
					}
				}
			}
		case mdp.WorkerPartial, mdp.WorkerFinal, mdp.WorkerError:
			if w == nil {
				send(string(id), mdp.Message{Version: m.Version, Kind: mdp.WorkerDisconnect})
				continue
			}
			if !b.route || w.client == nil {
				continue
			}
			r := w.client
			reply := mdp.Message{Version: r.version, Kind: mdp.ClientPartial, Ext: r.ext, Service: r.service, UUID: r.id, Body: m.Body}
			if m.Kind != mdp.WorkerPartial {
				reply.Kind = mdp.ClientFinal
				w.client = nil
				waiting[w.service] = append(waiting[w.service], string(id))
			}
			if m.Kind == mdp.WorkerError {
				reply.Kind, reply.Status, reply.Text, reply.Body = mdp.ClientError, m.Status, m.Text, nil
			}
			if r.version == mdp.V02 || reply.Kind == mdp.ClientFinal {
				send(r.client, reply)
			}
			dispatch(w.service)
		case mdp.ClientRequest:
			if !b.route {
				continue
			}
			body := make([][]byte, len(m.Body))
			copy(body, m.Body)
			queued[m.Service] = append(queued[m.Service], &fakeRequest{client: string(id), version: m.Version, ext: m.Ext,
				id: m.UUID, timeout: m.Timeout, service: m.Service, body: body})
			dispatch(m.Service)
		}
	}
}

// send makes the broker goroutine send m to the worker with identity id.
func (b *fakeBroker) send(id string, m mdp.Message) {
	b.t.Helper()
	frames, err := m.AppendFrames([][]byte{[]byte(id)})
	if err != nil {
		b.t.Fatalf("encode %v: %v", m.Kind, err)
	}
	sent := make(chan error, 1)
	b.cmds <- func(s *zmq.Socket) {
		b.sent(id)
		_, err := s.SendMessage(frames)
		sent <- err
	}
	if err := <-sent; err != nil {
		b.t.Fatalf("send: %v", err)
	}
}

func (b *fakeBroker) sent(id string) {
	b.mu.Lock()
	b.lastSent[id] = time.Now()
	b.mu.Unlock()
}

// lastSentTo is when the broker last sent anything to the identity id.
func (b *fakeBroker) lastSentTo(id string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastSent[id]
}

// messages returns the logged messages that match pred, in order.
func (b *fakeBroker) messages(pred func(brokerMsg) bool) []brokerMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []brokerMsg
	for _, m := range b.log {
		if pred(m) {
			out = append(out, m)
		}
	}
	return out
}

// wait waits for the n-th (1-based) logged message matching pred.
func (b *fakeBroker) wait(n int, what string, pred func(brokerMsg) bool) brokerMsg {
	b.t.Helper()
	var got []brokerMsg
	mdptest.WaitFor(b.t, what, func() bool {
		got = b.messages(pred)
		return len(got) >= n
	})
	return got[n-1]
}

func isKind(k mdp.Kind) func(brokerMsg) bool {
	return func(m brokerMsg) bool { return m.msg.Kind == k }
}

func fromID(id string, k mdp.Kind) func(brokerMsg) bool {
	return func(m brokerMsg) bool { return m.id == id && m.msg.Kind == k }
}

func bodyIs(body [][]byte, want ...string) bool {
	if len(body) != len(want) {
		return false
	}
	for i := range body {
		if !bytes.Equal(body[i], []byte(want[i])) {
			return false
		}
	}
	return true
}
