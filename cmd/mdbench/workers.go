package main

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// workerStats count what the echo workers saw.
type workerStats struct {
	served     uint64 // requests echoed
	malformed  uint64 // messages that did not parse, or that a worker never expects
	sendErrors uint64 // replies or commands that could not be sent
	reconnects uint64 // DISCONNECT from the broker, or its silence: registered again on a new socket
	err        error  // why the workers stopped early (waiting for messages failed)
}

// workerConn is one echo worker: a DEALER registered for the service.
type workerConn struct {
	sock     *zsock.Socket
	lastSent time.Time // our last message of any kind
	lastRecv time.Time // the broker's last message of any kind
}

// workerSet owns every worker socket: one goroutine, one readySet (a
// worker's index in conns is its id there). In plain mode (capacity 1)
// each is an MDP/0.1 worker; otherwise an extension worker that declares
// the capacity in XREADY and answers XREQUEST with XFINAL.
type workerSet struct {
	zctx  *zsock.Context
	cfg   config
	conns []*workerConn
	ready *readySet
	out   [][]byte // reused frame slice for sends
	stats workerStats
	// errs counts the errors in stats as they happen, for the clients'
	// progress line (the only field another goroutine reads).
	errs atomic.Uint64
}

func (ws *workerSet) version() mdp.Version {
	if ws.cfg.capacity > 1 {
		return mdp.V02
	}
	return mdp.V01
}

// startWorkers connects and registers cfg.workers workers, their sockets
// made from zctx.
func startWorkers(zctx *zsock.Context, cfg config) (*workerSet, error) {
	ready, err := newReadySet()
	if err != nil {
		return nil, err
	}
	ws := &workerSet{zctx: zctx, cfg: cfg, ready: ready, out: make([][]byte, 0, 8)}
	now := time.Now()
	for id := 0; id < cfg.workers; id++ {
		ws.conns = append(ws.conns, &workerConn{})
		if err := ws.register(id, now); err != nil {
			ws.close()
			return nil, err
		}
	}
	return ws, nil
}

// register gives worker id a new socket, connected, with READY (or
// XREADY) sent.
func (ws *workerSet) register(id int, now time.Time) error {
	sock, err := newDealer(ws.zctx, ws.cfg.broker, 2*ws.cfg.capacity, ws.cfg.curveKeys)
	if err != nil {
		return err
	}
	if err := ws.ready.set(id, sock); err != nil {
		sock.Close()
		return err
	}
	w := ws.conns[id]
	w.sock, w.lastRecv = sock, now
	ready := mdp.Message{Version: ws.version(), Kind: mdp.WorkerReady, Service: ws.cfg.service}
	if ws.cfg.capacity > 1 {
		ready.Ext, ready.Tier, ready.Capacity, ready.Heartbeat = true, 1, uint16(ws.cfg.capacity), heartbeat
	}
	if !ws.send(id, &ready, now) {
		return fmt.Errorf("mdbench: worker: cannot send READY to %s", ws.cfg.broker)
	}
	return nil
}

// run serves until stop is closed, then sends DISCONNECT and closes every
// socket.
func (ws *workerSet) run(stop <-chan struct{}) workerStats {
	defer ws.close()
	for {
		select {
		case <-stop:
			ws.disconnectAll()
			return ws.stats
		default:
		}
		ready, err := ws.ready.wait(50 * time.Millisecond)
		if err != nil && !retryable(err) {
			ws.stats.err = fmt.Errorf("mdbench: workers: %w", err)
			return ws.stats
		}
		now := time.Now()
		for _, id := range ready {
			ws.receive(id, now)
		}
		ws.tick(now)
	}
}

// receive answers the messages waiting on worker id's socket until there
// are none (EAGAIN) or a batch is done; then it is clean, or touched again.
// Requests are read in libzmq's buffers (RecvView) and echoed before the
// next receive.
func (ws *workerSet) receive(id int, now time.Time) {
	w := ws.conns[id]
	ws.ready.draining(id)
	defer ws.ready.draining(-1)
	for i := 0; i < recvBatch; i++ {
		frames, err := w.sock.RecvView(zsock.DontWait)
		if err != nil {
			return
		}
		w.lastRecv = now
		m, err := mdp.ParseDealer(frames)
		switch {
		case err != nil:
			ws.failed(&ws.stats.malformed)
		case m.Kind == mdp.WorkerRequest:
			ws.echo(id, &m, now)
		case m.Kind == mdp.WorkerHeartbeat:
			if now.Sub(w.lastSent) >= heartbeat/2 {
				ws.send(id, &mdp.Message{Version: m.Version, Kind: mdp.WorkerHeartbeat}, now)
			}
		case m.Kind == mdp.WorkerDisconnect:
			ws.ready.draining(-1)
			ws.reregister(id, now) // a new socket, touched
			return
		default:
			ws.failed(&ws.stats.malformed)
		}
	}
	ws.ready.draining(-1)
	ws.ready.touch(id)
}

// echo answers a request with its own body: REPLY for MDP/0.1, FINAL for
// MDP/0.2, XFINAL with the request's address and UUID for the extension.
func (ws *workerSet) echo(id int, req *mdp.Message, now time.Time) {
	reply := mdp.Message{Version: req.Version, Kind: mdp.WorkerFinal, Ext: req.Ext,
		Address: req.Address, UUID: req.UUID, Body: req.Body}
	if ws.send(id, &reply, now) {
		ws.stats.served++
	}
}

// tick heartbeats workers that have sent nothing for an interval and
// registers again those whose broker has been silent too long.
func (ws *workerSet) tick(now time.Time) {
	for id, w := range ws.conns {
		if now.Sub(w.lastRecv) > liveness*heartbeat {
			ws.reregister(id, now)
			continue
		}
		if w.sock != nil && now.Sub(w.lastSent) >= heartbeat {
			ws.send(id, &mdp.Message{Version: ws.version(), Kind: mdp.WorkerHeartbeat}, now)
		}
	}
}

// reregister replaces worker id's socket with a new one and registers
// again, so that a worker the broker dropped is counted, never silently
// lost. If that fails, the worker is retried at its next expiry.
func (ws *workerSet) reregister(id int, now time.Time) {
	ws.failed(&ws.stats.reconnects)
	w := ws.conns[id]
	if w.sock != nil {
		ws.ready.remove(id)
		w.sock.Close()
		w.sock = nil
	}
	if err := ws.register(id, now); err != nil {
		ws.failed(&ws.stats.sendErrors)
		w.lastRecv = now
	}
}

func (ws *workerSet) disconnectAll() {
	now := time.Now()
	for id, w := range ws.conns {
		if w.sock == nil {
			continue
		}
		ws.send(id, &mdp.Message{Version: ws.version(), Kind: mdp.WorkerDisconnect}, now)
		// Let the DISCONNECT leave after Close, so the broker forgets us at
		// once instead of expiring us later.
		w.sock.SetLinger(100 * time.Millisecond)
	}
}

func (ws *workerSet) close() {
	for id, w := range ws.conns {
		if w.sock != nil {
			ws.ready.remove(id)
			w.sock.Close()
		}
	}
	ws.ready.close()
}

// send encodes m and sends it on worker id's socket without blocking (a
// failure is counted), and marks the socket to be drained.
func (ws *workerSet) send(id int, m *mdp.Message, now time.Time) bool {
	w := ws.conns[id]
	if w.sock == nil {
		ws.failed(&ws.stats.sendErrors)
		return false
	}
	ws.ready.touch(id)
	frames, err := m.AppendFrames(ws.out[:0])
	ws.out = frames[:0]
	if err == nil {
		err = w.sock.Send(frames, zsock.DontWait)
	}
	if err != nil {
		ws.failed(&ws.stats.sendErrors)
		return false
	}
	w.lastSent = now
	return true
}

// failed counts one error in counter and in errs.
func (ws *workerSet) failed(counter *uint64) {
	*counter++
	ws.errs.Add(1)
}
