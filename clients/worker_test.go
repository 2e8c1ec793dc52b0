package clients

import (
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/mdp"
)

// action is what a test worker does with a request.
type action struct {
	partials [][][]byte
	final    [][]byte
	status   mdp.Status // non-zero: answer with XERROR
	// drop: send no reply, then leave (DISCONNECT) and come back on a new
	// socket, like a worker that crashed after doing the work.
	drop bool
}

// testWorker is a minimal extension worker written with zmq4 and mdp: it
// heartbeats, and reconnects on a new socket when the broker says
// DISCONNECT or when it drops a request.
type testWorker struct {
	t        testing.TB
	endpoint string
	service  string
	handle   func(m *mdp.Message) action
	// beforeLeave, when set, runs after a dropped request before the
	// worker leaves; tests use it to wait for the client's retry.
	beforeLeave func()
	heartbeat   time.Duration // declared to the broker, and sent at

	stop chan struct{}
	done chan struct{}
}

const workerHeartbeat = 100 * time.Millisecond

func startWorker(t testing.TB, endpoint, service string, handle func(m *mdp.Message) action) *testWorker {
	t.Helper()
	return startWorkerHeartbeat(t, endpoint, service, workerHeartbeat, handle)
}

// startWorkerHeartbeat starts a worker with its own heartbeat interval: a
// handler that blocks for longer than the broker's liveness (three
// intervals) would get its worker expired.
func startWorkerHeartbeat(t testing.TB, endpoint, service string, heartbeat time.Duration, handle func(m *mdp.Message) action) *testWorker {
	t.Helper()
	w := &testWorker{t: t, endpoint: endpoint, service: service, handle: handle, heartbeat: heartbeat,
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	t.Cleanup(w.Stop)
	return w
}

func (w *testWorker) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func (w *testWorker) connect() *zmq.Socket {
	s, err := zmq.NewSocket(zmq.DEALER)
	if err == nil {
		s.SetLinger(0)
		err = s.Connect(w.endpoint)
	}
	if err != nil {
		w.t.Error(err)
		return nil
	}
	w.send(s, &mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: w.service,
		Tier: 1, Capacity: 1, Heartbeat: w.heartbeat})
	return s
}

func (w *testWorker) send(s *zmq.Socket, m *mdp.Message) {
	frames, err := m.Frames()
	if err == nil {
		_, err = s.SendMessageDontwait(frames)
	}
	if err != nil {
		w.t.Logf("test worker: send: %v", err)
	}
}

func (w *testWorker) run() {
	defer close(w.done)
	s := w.connect()
	if s == nil {
		return
	}
	defer func() { s.Close() }()
	lastSent := time.Now()
	for {
		select {
		case <-w.stop:
			w.send(s, &mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
			s.SetLinger(time.Second)
			return
		default:
		}
		if time.Since(lastSent) >= w.heartbeat {
			w.send(s, &mdp.Message{Version: mdp.V02, Kind: mdp.WorkerHeartbeat})
			lastSent = time.Now()
		}
		p := zmq.NewPoller()
		p.Add(s, zmq.POLLIN)
		polled, err := p.Poll(5 * time.Millisecond)
		if err != nil || len(polled) == 0 {
			continue
		}
		frames, err := s.RecvMessageBytes(zmq.DONTWAIT)
		if err != nil {
			continue
		}
		m, err := mdp.ParseDealer(frames)
		if err != nil {
			w.t.Logf("test worker: %v", err)
			continue
		}
		switch m.Kind {
		case mdp.WorkerDisconnect:
			s.Close()
			if s = w.connect(); s == nil {
				return
			}
		case mdp.WorkerRequest:
			if w.serve(s, &m) {
				continue
			}
			if w.beforeLeave != nil {
				w.beforeLeave()
			}
			w.send(s, &mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
			s.SetLinger(time.Second) // let the DISCONNECT out
			s.Close()
			if s = w.connect(); s == nil {
				return
			}
		}
		lastSent = time.Now()
	}
}

// serve answers a request; false when the action was to drop it.
func (w *testWorker) serve(s *zmq.Socket, req *mdp.Message) bool {
	a := w.handle(req)
	if a.drop {
		return false
	}
	reply := mdp.Message{Version: mdp.V02, Ext: true, Address: req.Address, UUID: req.UUID}
	for _, p := range a.partials {
		reply.Kind, reply.Body = mdp.WorkerPartial, p
		w.send(s, &reply)
	}
	reply.Kind, reply.Body = mdp.WorkerFinal, a.final
	if a.status != 0 {
		reply.Kind, reply.Status, reply.Text, reply.Body = mdp.WorkerError, a.status, "handler says no", nil
	}
	w.send(s, &reply)
	return true
}

// echo answers with the request body.
func echo(m *mdp.Message) action { return action{final: m.Body} }
