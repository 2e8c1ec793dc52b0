package clients

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

// fakeBroker is a small extension broker for the client tests: one ROUTER,
// extension clients and workers, a queue per service, dedup by request UUID
// with a reply cache, fail-fast 404, mmi.service and mmi.services. Services
// named "xerror.NNN" are answered by the broker itself with status NNN.
type fakeBroker struct {
	t        testing.TB
	endpoint string
	dupFinal bool // send every FINAL twice (the second is stale)

	stop        chan struct{}
	done        chan struct{}
	requests    atomic.Int64 // client requests received
	lastTimeout atomic.Int64 // the Timeout of the last one

	mu      sync.Mutex
	arrived []arrival // every client request, in order
}

// arrival is a client request as the fake broker saw it.
type arrival struct {
	at       time.Time
	identity string
	id       uuid.UUID
	service  string
}

// arrivalsFor are the client requests received that keep says to keep.
func (b *fakeBroker) arrivalsFor(keep func(arrival) bool) []arrival {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []arrival
	for _, a := range b.arrived {
		if keep(a) {
			out = append(out, a)
		}
	}
	return out
}

type fbRequest struct {
	client  []byte
	id      uuid.UUID
	service string
	body    [][]byte
	timeout time.Duration
}

type fbWorker struct {
	identity string
	service  string
	busy     *fbRequest
}

// startFakeBroker binds endpoint ("" for an ephemeral port) and serves
// until stopped; the test's cleanup stops it.
func startFakeBroker(t testing.TB, endpoint string, dupFinal bool) *fakeBroker {
	t.Helper()
	if endpoint == "" {
		endpoint = "tcp://127.0.0.1:*"
	}
	sock := bindRouter(t, endpoint)
	ep, err := sock.GetLastEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBroker{t: t, endpoint: ep, dupFinal: dupFinal, stop: make(chan struct{}), done: make(chan struct{})}
	go b.run(sock)
	t.Cleanup(b.Stop)
	return b
}

// bindRouter binds a ROUTER, retrying while a just-closed socket still
// holds the port.
func bindRouter(t testing.TB, endpoint string) *zmq.Socket {
	t.Helper()
	sock, err := zmq.NewSocket(zmq.ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	sock.SetLinger(0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = sock.Bind(endpoint)
		if err == nil {
			return sock
		}
		if time.Now().After(deadline) {
			sock.Close()
			t.Fatalf("bind %s: %v", endpoint, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Stop stops the broker (telling its workers DISCONNECT) and waits for it.
func (b *fakeBroker) Stop() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	<-b.done
}

type fbState struct {
	sock     *zmq.Socket
	workers  map[string]*fbWorker
	idle     map[string][]*fbWorker
	queues   map[string][]*fbRequest
	inflight map[uuid.UUID]*fbRequest // queued or in flight
	replies  map[uuid.UUID][][]byte   // FINAL reply cache
}

func (b *fakeBroker) run(sock *zmq.Socket) {
	defer close(b.done)
	s := &fbState{
		sock: sock, workers: map[string]*fbWorker{}, idle: map[string][]*fbWorker{},
		queues: map[string][]*fbRequest{}, inflight: map[uuid.UUID]*fbRequest{}, replies: map[uuid.UUID][][]byte{},
	}
	poller := zmq.NewPoller()
	poller.Add(sock, zmq.POLLIN)
	for {
		select {
		case <-b.stop:
			for id := range s.workers {
				s.sendTo([]byte(id), &mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
			}
			sock.Close()
			return
		default:
		}
		polled, err := poller.Poll(5 * time.Millisecond)
		if err != nil || len(polled) == 0 {
			continue
		}
		for {
			frames, err := sock.RecvMessageBytes(zmq.DONTWAIT)
			if err != nil {
				break
			}
			b.handle(s, frames)
		}
	}
}

func (s *fbState) sendTo(identity []byte, m *mdp.Message) {
	frames, err := m.AppendFrames([][]byte{identity})
	if err != nil {
		panic(err)
	}
	s.sock.SendMessageDontwait(frames)
}

func (b *fakeBroker) handle(s *fbState, frames [][]byte) {
	id, m, err := mdp.ParseRouter(frames)
	if err != nil || !m.Ext && m.Kind != mdp.WorkerHeartbeat && m.Kind != mdp.WorkerDisconnect {
		b.t.Logf("fake broker: dropped %v (%v)", m.Kind, err)
		return
	}
	switch m.Kind {
	case mdp.ClientRequest:
		b.mu.Lock()
		b.arrived = append(b.arrived, arrival{time.Now(), string(id), m.UUID, m.Service})
		b.mu.Unlock()
		b.requests.Add(1)
		b.lastTimeout.Store(int64(m.Timeout))
		b.onRequest(s, id, &m)
	case mdp.WorkerReady:
		w := &fbWorker{identity: string(id), service: m.Service}
		s.workers[w.identity] = w
		s.idle[w.service] = append(s.idle[w.service], w)
		s.dispatch(w.service)
	case mdp.WorkerPartial, mdp.WorkerFinal, mdp.WorkerError:
		b.onWorkerReply(s, string(id), &m)
	case mdp.WorkerDisconnect:
		w := s.workers[string(id)]
		if w == nil {
			return
		}
		delete(s.workers, w.identity)
		idle := s.idle[w.service][:0]
		for _, x := range s.idle[w.service] {
			if x != w {
				idle = append(idle, x)
			}
		}
		s.idle[w.service] = idle
		if w.busy != nil {
			s.queues[w.service] = append([]*fbRequest{w.busy}, s.queues[w.service]...)
			s.dispatch(w.service)
		}
	}
}

func (b *fakeBroker) onRequest(s *fbState, client []byte, m *mdp.Message) {
	reply := func(kind mdp.Kind, status mdp.Status, body ...[]byte) {
		s.sendTo(client, &mdp.Message{Version: mdp.V02, Ext: true, Kind: kind, Service: m.Service, UUID: m.UUID, Status: status, Text: "injected", Body: body})
	}
	if r := s.inflight[m.UUID]; r != nil {
		r.client = client // a retry: the reply goes to the latest address
		return
	}
	if body, ok := s.replies[m.UUID]; ok {
		reply(mdp.ClientFinal, 0, body...)
		return
	}
	switch {
	case m.Service == mdp.MMIService:
		status := "404"
		if len(m.Body) > 0 && s.hasWorker(string(m.Body[0])) {
			status = "200"
		}
		reply(mdp.ClientFinal, 0, []byte(status))
		return
	case m.Service == mdp.MMIServices:
		type svc struct {
			Name    string `json:"name"`
			Workers int    `json:"workers"`
			Queued  int    `json:"queued"`
		}
		list := []svc{}
		for name := range s.serviceNames() {
			n := 0
			for _, w := range s.workers {
				if w.service == name {
					n++
				}
			}
			list = append(list, svc{name, n, len(s.queues[name])})
		}
		js, _ := json.Marshal(list)
		reply(mdp.ClientFinal, 0, []byte("200"), js)
		return
	case strings.HasPrefix(m.Service, "xerror."):
		code, _ := strconv.Atoi(strings.TrimPrefix(m.Service, "xerror."))
		reply(mdp.ClientError, mdp.Status(code))
		return
	case m.Flags&mdp.FlagFailFast != 0 && !s.hasWorker(m.Service):
		reply(mdp.ClientError, mdp.StatusNotFound)
		return
	}
	r := &fbRequest{client: client, id: m.UUID, service: m.Service, body: m.Body, timeout: m.Timeout}
	s.inflight[r.id] = r
	s.queues[r.service] = append(s.queues[r.service], r)
	s.dispatch(r.service)
}

func (s *fbState) hasWorker(service string) bool {
	for _, w := range s.workers {
		if w.service == service {
			return true
		}
	}
	return false
}

func (s *fbState) serviceNames() map[string]bool {
	names := map[string]bool{}
	for _, w := range s.workers {
		names[w.service] = true
	}
	for name, q := range s.queues {
		if len(q) > 0 {
			names[name] = true
		}
	}
	return names
}

func (s *fbState) dispatch(service string) {
	for len(s.queues[service]) > 0 && len(s.idle[service]) > 0 {
		r := s.queues[service][0]
		s.queues[service] = s.queues[service][1:]
		w := s.idle[service][0]
		s.idle[service] = s.idle[service][1:]
		w.busy = r
		s.sendTo([]byte(w.identity), &mdp.Message{
			Version: mdp.V02, Kind: mdp.WorkerRequest, Ext: true, Address: r.client, UUID: r.id,
			Flags: mdp.FlagClientUUID, Timeout: r.timeout, Body: r.body,
		})
	}
}

func (b *fakeBroker) onWorkerReply(s *fbState, identity string, m *mdp.Message) {
	w := s.workers[identity]
	if w == nil || w.busy == nil || w.busy.id != m.UUID {
		return
	}
	r := w.busy
	out := &mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.ClientPartial, Service: w.service, UUID: r.id, Body: m.Body}
	switch m.Kind {
	case mdp.WorkerPartial:
		s.sendTo(r.client, out)
		return
	case mdp.WorkerFinal:
		out.Kind = mdp.ClientFinal
		s.replies[r.id] = m.Body
	case mdp.WorkerError:
		out.Kind, out.Status, out.Text, out.Body = mdp.ClientError, m.Status, m.Text, nil
	}
	s.sendTo(r.client, out)
	if b.dupFinal {
		s.sendTo(r.client, out)
	}
	delete(s.inflight, r.id)
	w.busy = nil
	s.idle[w.service] = append(s.idle[w.service], w)
	s.dispatch(w.service)
}
