package mdptest

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

// miniState is a MiniBroker's routing state, owned by its goroutine.
type miniState struct {
	b        *MiniBroker
	sock     *zmq.Socket
	workers  map[string]*miniWorker
	waiting  map[string][]string        // by service: idle workers' identities, oldest first
	queued   map[string][]*miniRequest  // by service
	inflight map[uuid.UUID]*miniRequest // extension requests queued or in flight
	replies  map[uuid.UUID][][]byte     // extension FINAL bodies, for repeats
}

type miniWorker struct {
	id      string
	version mdp.Version
	ext     bool
	service string
	busy    *miniRequest
}

type miniRequest struct {
	client  string
	version mdp.Version
	ext     bool
	id      uuid.UUID
	timeout time.Duration
	service string
	body    [][]byte
}

func newMiniState(b *MiniBroker, sock *zmq.Socket) *miniState {
	return &miniState{b: b, sock: sock, workers: map[string]*miniWorker{}, waiting: map[string][]string{},
		queued: map[string][]*miniRequest{}, inflight: map[uuid.UUID]*miniRequest{}, replies: map[uuid.UUID][][]byte{}}
}

func (s *miniState) sendFrames(id string, frames [][]byte) error {
	s.b.sentTo(id)
	_, err := s.sock.SendMessage(frames)
	return err
}

func (s *miniState) send(id string, m mdp.Message) {
	frames, err := m.AppendFrames([][]byte{[]byte(id)})
	if err != nil {
		s.b.t.Errorf("mini broker: encode %v: %v", m.Kind, err)
		return
	}
	if err := s.sendFrames(id, frames); err != nil {
		s.b.t.Errorf("mini broker: send: %v", err)
	}
}

func (s *miniState) heartbeat() {
	for id, w := range s.workers {
		s.send(id, mdp.Message{Version: w.version, Kind: mdp.WorkerHeartbeat})
	}
}

func (s *miniState) goodbye() {
	for id, w := range s.workers {
		s.send(id, mdp.Message{Version: w.version, Kind: mdp.WorkerDisconnect})
	}
}

func (s *miniState) handle(id string, m *mdp.Message, refuse bool) {
	w := s.workers[id]
	switch m.Kind {
	case mdp.WorkerReady:
		if w != nil || refuse {
			s.send(id, mdp.Message{Version: m.Version, Kind: mdp.WorkerDisconnect})
			s.remove(id)
			return
		}
		s.workers[id] = &miniWorker{id: id, version: m.Version, ext: m.Ext, service: m.Service}
		s.waiting[m.Service] = append(s.waiting[m.Service], id)
		s.dispatch(m.Service)
	case mdp.WorkerDisconnect:
		s.remove(id)
	case mdp.WorkerPartial, mdp.WorkerFinal, mdp.WorkerError:
		if w == nil {
			s.send(id, mdp.Message{Version: m.Version, Kind: mdp.WorkerDisconnect})
			return
		}
		if s.b.cfg.Route {
			s.onReply(w, m)
		}
	case mdp.ClientRequest:
		if s.b.cfg.Route {
			s.onRequest(id, m)
		}
	}
}

// remove forgets a worker; the request it held goes first to the next.
func (s *miniState) remove(id string) {
	w := s.workers[id]
	if w == nil {
		return
	}
	delete(s.workers, id)
	s.waiting[w.service] = slices.DeleteFunc(s.waiting[w.service], func(x string) bool { return x == id })
	if w.busy != nil {
		s.queued[w.service] = append([]*miniRequest{w.busy}, s.queued[w.service]...)
		s.dispatch(w.service)
	}
}

func (s *miniState) onRequest(client string, m *mdp.Message) {
	if m.Ext {
		if r := s.inflight[m.UUID]; r != nil {
			r.client = client // a retry: the reply goes to the latest address
			return
		}
		if body, ok := s.replies[m.UUID]; ok {
			s.answer(client, m, mdp.ClientFinal, 0, body...)
			return
		}
	}
	if s.answerItself(client, m) {
		return
	}
	r := &miniRequest{client: client, version: m.Version, ext: m.Ext, id: m.UUID, timeout: m.Timeout,
		service: m.Service, body: m.Body}
	if r.ext {
		s.inflight[r.id] = r
	}
	s.queued[r.service] = append(s.queued[r.service], r)
	s.dispatch(r.service)
}

// answerItself answers MMI, "xerror.NNN" and a fail-fast request for a
// service without workers; false for a request for a worker.
func (s *miniState) answerItself(client string, m *mdp.Message) bool {
	switch {
	case m.Service == mdp.MMIService:
		status := "404"
		if len(m.Body) > 0 && s.hasWorker(string(m.Body[len(m.Body)-1])) {
			status = "200"
		}
		s.answer(client, m, mdp.ClientFinal, 0, []byte(status))
	case m.Service == mdp.MMIServices:
		js, _ := json.Marshal(s.services())
		s.answer(client, m, mdp.ClientFinal, 0, []byte("200"), js)
	case m.Ext && strings.HasPrefix(m.Service, "xerror."):
		code, _ := strconv.Atoi(strings.TrimPrefix(m.Service, "xerror."))
		s.answer(client, m, mdp.ClientError, mdp.Status(code))
	case m.Ext && m.Flags&mdp.FlagFailFast != 0 && !s.hasWorker(m.Service):
		s.answer(client, m, mdp.ClientError, mdp.StatusNotFound)
	default:
		return false
	}
	return true
}

// answer sends the broker's own reply to a request, in its form.
func (s *miniState) answer(client string, req *mdp.Message, kind mdp.Kind, status mdp.Status, body ...[]byte) {
	m := mdp.Message{Version: req.Version, Ext: req.Ext, Kind: kind, Service: req.Service, UUID: req.UUID, Body: body}
	if kind == mdp.ClientError {
		m.Status, m.Text = status, "injected"
	}
	s.send(client, m)
}

type miniService struct {
	Name    string `json:"name"`
	Workers int    `json:"workers"`
	Queued  int    `json:"queued"`
}

func (s *miniState) services() []miniService {
	count := map[string]int{}
	for _, w := range s.workers {
		count[w.service]++
	}
	for name, q := range s.queued {
		if len(q) > 0 && count[name] == 0 {
			count[name] = 0
		}
	}
	list := []miniService{}
	for name, n := range count {
		list = append(list, miniService{name, n, len(s.queued[name])})
	}
	return list
}

func (s *miniState) hasWorker(service string) bool {
	for _, w := range s.workers {
		if w.service == service {
			return true
		}
	}
	return false
}

// dispatch gives queued requests to waiting workers, in the worker's form:
// an extension worker gets the client's UUID (marked as the client's) or,
// for a plain client, a fresh one.
func (s *miniState) dispatch(service string) {
	for len(s.waiting[service]) > 0 && len(s.queued[service]) > 0 {
		w := s.workers[s.waiting[service][0]]
		r := s.queued[service][0]
		s.waiting[service], s.queued[service] = s.waiting[service][1:], s.queued[service][1:]
		w.busy = r
		m := mdp.Message{Version: w.version, Kind: mdp.WorkerRequest, Ext: w.ext, Address: []byte(r.client), Body: r.body}
		if w.ext {
			m.UUID, m.Timeout = r.id, r.timeout
			if r.ext {
				m.Flags = mdp.FlagClientUUID
			} else {
				m.UUID = uuid.New()
			}
		}
		s.send(w.id, m)
	}
}

// onReply passes a worker's reply to its client in the client's form (an
// MDP/0.1 client gets the FINAL only); an extension reply for another
// request than the worker's is stale and dropped.
func (s *miniState) onReply(w *miniWorker, m *mdp.Message) {
	r := w.busy
	if r == nil || w.ext && r.ext && m.UUID != r.id {
		return
	}
	reply := mdp.Message{Version: r.version, Kind: mdp.ClientPartial, Ext: r.ext, Service: r.service, UUID: r.id, Body: m.Body}
	if m.Kind == mdp.WorkerPartial {
		if r.version == mdp.V02 {
			s.send(r.client, reply)
		}
		return
	}
	reply.Kind = mdp.ClientFinal
	if m.Kind == mdp.WorkerError {
		reply.Kind, reply.Status, reply.Text, reply.Body = mdp.ClientError, m.Status, m.Text, nil
	} else if r.ext {
		s.replies[r.id] = m.Body
	}
	s.send(r.client, reply)
	if s.b.cfg.DupFinal {
		s.send(r.client, reply)
	}
	if r.ext {
		delete(s.inflight, r.id)
	}
	w.busy = nil
	s.waiting[w.service] = append(s.waiting[w.service], w.id)
	s.dispatch(w.service)
}
