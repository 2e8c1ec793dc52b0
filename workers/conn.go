package workers

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/wakeup"
	"github.com/majordomo-go/majordomo/internal/zready"
	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// closeLinger bounds how long libzmq keeps trying to deliver the last
// messages (replies, DISCONNECT) of a socket closed at shutdown; it does not
// block the caller.
const closeLinger = time.Second

// conn is one connection to the broker, as the broker sees one worker: a
// DEALER socket owned by the goroutine that runs run, replaced by a new one
// whenever the broker goes silent or disconnects us. Handlers run in their
// own goroutines and hand replies back through out, with a wake-up
// (internal/wakeup) so that the socket goroutine, blocked in Poll, sees
// them at once. Everything below that is not a channel belongs to the socket
// goroutine.
type conn struct {
	w        *Worker
	broker   string
	cfg      *config
	log      *zap.Logger
	handler  Handler
	capacity int
	version  mdp.Version

	out    chan outMsg
	sig    *wakeup.Signal // Wake from any goroutine; the rest is the loop's
	hungry atomic.Bool    // requests wait in pending for a slot

	sock     *zsock.Socket // nil while disconnected
	ready    *zready.Set   // the signal (readyWake), and sock (readySock) when connected
	epoch    uint64        // counts sockets; a job's replies go out only on its own
	lastSend time.Time
	lastRecv time.Time
	lost     bool   // the broker sent DISCONNECT
	joined   bool   // the broker has shown it has us (see registry)
	why      string // why the connection is being replaced
	broken   bool   // a send failed
	quiet    bool   // the socket's last operation was a receive that found nothing (zready.Drained)
	draining bool
	bye      bool // DISCONNECT sent (or queued) on this socket
	backoff  backoff
	sendq    []outgoing    // messages waiting for room, oldest first
	batch    []mdp.Message // recvAll's buffer, reused
	stale    []string      // recvAll's verdicts, reused

	hctx      context.Context // parent of the handlers' contexts
	hcancel   context.CancelFunc
	running   int                // handler goroutines started and not yet finished
	pending   []*job             // accepted while all slots were busy
	inflight  map[uuid.UUID]*job // de-duplicable jobs pending or running
	cache     *replyCache        // recent replies by client UUID (the worker's, shared)
	abandoned bool               // forced to stop with handlers running
}

func newConn(w *Worker, broker string, h Handler, capacity int) (*conn, error) {
	sig, err := wakeup.New()
	if err != nil {
		return nil, fmt.Errorf("workers: %w", err)
	}
	c := &conn{
		sig:      sig,
		broker:   broker,
		why:      "worker stopping",
		log:      w.log.With(zap.String("broker", broker)),
		w:        w,
		cfg:      &w.cfg,
		handler:  h,
		capacity: capacity,
		version:  mdp.V02,
		out:      make(chan outMsg, 4*capacity),
		backoff:  newBackoff(w.cfg.reconnectMin, w.cfg.reconnectMax),
		inflight: make(map[uuid.UUID]*job),
		cache:    w.cache,
	}
	if w.cfg.protocol == ProtocolV01 {
		c.version = mdp.V01
	}
	return c, nil
}

// wake makes the socket goroutine look at out and at the worker's state. It
// never blocks and is safe from any goroutine.
func (c *conn) wake() { c.sig.Wake() }

// run serves until the worker stops, then waits for its handlers. It
// returns an error only when it cannot make a socket at all.
func (c *conn) run(base context.Context) error {
	c.hctx, c.hcancel = context.WithCancel(context.WithoutCancel(base))
	defer c.hcancel()
	defer c.sig.Close()
	err := c.openReady()
	if err == nil {
		err = c.loop()
	}
	if err != nil {
		err = fmt.Errorf("workers: socket to %s: %w", c.broker, err)
	}
	c.finish()
	if c.ready != nil {
		_ = c.ready.Close()
	}
	if err == nil && c.abandoned {
		err = ErrDrainTimeout
	}
	return err
}

// loop connects, serves, and reconnects with backoff until the worker stops.
func (c *conn) loop() error {
	for !c.w.isStopping() {
		if err := c.connect(); err != nil {
			return err
		}
		reconnect := c.serve()
		if !reconnect && c.joined {
			// Let the last replies and DISCONNECT reach the broker (one
			// that never answered us has nothing of ours to wait for).
			_ = c.sock.SetLinger(closeLinger)
		}
		c.closeSocket()
		if !reconnect || c.w.isStopping() {
			return nil
		}
		c.wait(c.backoff.delay())
	}
	return nil
}

func (c *conn) connect() error {
	sock, err := c.w.zctx.NewSocket(zsock.DEALER)
	if err != nil {
		return err
	}
	if err := c.cfg.curve.Apply(sock); err != nil {
		sock.Close()
		return err
	}
	if err := sock.Connect(c.broker); err != nil {
		sock.Close()
		return err
	}
	c.sock = sock
	c.epoch++
	c.lost, c.broken, c.bye, c.quiet = false, false, false, false
	c.dropStale()
	if err := c.ready.AddSocket(readySock, sock); err != nil {
		c.closeSocket()
		return err
	}
	now := time.Now()
	c.lastRecv = now
	ready := mdp.Message{Version: c.version, Kind: mdp.WorkerReady, Service: c.w.service}
	if c.cfg.protocol == ProtocolExtension {
		ready.Ext = true
		ready.Tier = uint8(c.cfg.tier)
		ready.Capacity = uint16(c.capacity)
		ready.Heartbeat = c.cfg.heartbeat
		c.cfg.info.apply(&ready)
	}
	c.send(&ready)
	c.log.Debug("registering", zap.Uint64("epoch", c.epoch))
	return nil
}

func (c *conn) closeSocket() {
	if c.sock == nil {
		return
	}
	if c.joined {
		c.joined = false
		c.w.reg.lost(c.broker, c.why)
	}
	c.why = "worker stopping"
	c.ready.Remove(readySock) // before the socket's ZMQ_FD goes
	c.sock.Close()
	c.sock = nil
	c.sendq = nil // for a lost connection: the broker re-dispatches
}

// The ids of what a connection waits for.
const (
	readyWake = iota // the wake-up signal
	readySock        // the socket, while connected
)

// openReady makes the set the connection waits in, watching the signal.
func (c *conn) openReady() error {
	r, err := zready.New()
	if err != nil {
		return err
	}
	if err := r.AddFd(readyWake, c.sig.Fd()); err != nil {
		_ = r.Close()
		return err
	}
	c.ready = r
	return nil
}

// serve runs the connected loop: requests in, replies out, heartbeats both
// ways. It returns true when the connection is lost and must be replaced,
// false when the worker has stopped (after sending DISCONNECT).
func (c *conn) serve() bool {
	hb := c.cfg.heartbeat
	expiry := hb * time.Duration(c.cfg.liveness)
	for {
		if c.w.isForced() {
			c.abandonHandlers()
			if !c.bye {
				c.sendCommand(mdp.WorkerDisconnect)
			}
			return false
		}
		if c.w.isStopping() && !c.draining {
			c.draining = true
			if c.cfg.protocol == ProtocolExtension {
				c.sendCommand(mdp.WorkerDrain)
			}
			c.log.Info("draining", zap.Int("in_flight", c.running+len(c.pending)))
		}
		if c.draining && c.running == 0 && len(c.pending) == 0 {
			if !c.bye {
				c.sendCommand(mdp.WorkerDisconnect)
				c.bye = true
			}
			if len(c.sendq) == 0 {
				return false // the rest is libzmq's, within the linger
			}
		}
		now := time.Now()
		if now.Sub(c.lastRecv) >= expiry {
			c.log.Warn("broker silent, reconnecting", c.silenceFields(now)...)
			c.why = "silent"
			return true
		}
		// A heartbeat behind queued messages would say nothing new: the
		// broker hears from us as soon as it reads them.
		if len(c.sendq) == 0 && now.Sub(c.lastSend) >= hb {
			c.sendCommand(mdp.WorkerHeartbeat)
		}
		now = time.Now()
		timeout := c.lastRecv.Add(expiry).Sub(now)
		if len(c.sendq) == 0 {
			timeout = min(timeout, c.lastSend.Add(hb).Sub(now))
		}
		if !c.poll(timeout) || c.broken {
			c.why = "socket error"
			return true
		}
		if c.lost {
			c.log.Info("broker sent DISCONNECT, reconnecting")
			c.why = "DISCONNECT"
			return true
		}
	}
}

// wait sleeps for the backoff delay while still taking replies from
// handlers, and returns early when the worker stops.
func (c *conn) wait(d time.Duration) {
	c.log.Debug("reconnect backoff", zap.Duration("delay", d))
	until := time.Now().Add(d)
	for !c.w.isStopping() {
		left := time.Until(until)
		if left <= 0 {
			return
		}
		c.poll(left)
	}
}

// poll waits up to timeout for a message or a wake-up and handles what
// came. It returns false on a socket error.
func (c *conn) poll(timeout time.Duration) bool {
	if len(c.sendq) > 0 {
		timeout = min(timeout, sendRetry)
	}
	// Never spin on a timer that is due: it is handled after this wait.
	timeout = max(timeout, 100*time.Microsecond)
	if c.quiet && c.sock != nil {
		c.ready.Drained(readySock)
	}
	ids, err := c.ready.Wait(timeout)
	if err != nil {
		c.log.Error("poll failed", zap.Error(err))
		return false
	}
	incoming := false
	for _, id := range ids {
		switch {
		case id == readyWake:
			c.sig.Clear() // before drainOut looks at out
		case id == readySock:
			incoming = true
		}
	}
	// Send first and receive last, so that a receive that finds nothing
	// leaves the socket quiet for the next Wait.
	if c.sock != nil && !c.broken {
		c.flush()
	}
	c.drainOut()
	if incoming && c.sock != nil && !c.recvAll() {
		return false
	}
	if len(c.pending) > 0 {
		c.startNext() // a slot freed by another connection
	}
	return true
}
