package broker

import (
	"encoding/binary"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// core holds all broker state and makes every decision. It never touches a
// socket: handle and tick change state and append the messages to send to
// c.out, which the loop then moves to the ROUTER. Tests drive it directly.
type core struct {
	cfg Config
	log *zap.Logger

	services  map[string]*service
	list      serviceList // the same services in slots, for snapshots taken in chunks
	names     nameIndex   // and in name order, for mmi.services
	held      int         // requests held by workers, expired ones included
	workers   map[string]*worker
	requests  map[requestKey]*request // extension requests queued or in flight, by service and UUID (de-duplication)
	cache     *replyCache
	timers    timerHeap
	deadlines deadlineHeap

	queued      int   // requests queued, all services
	queuedBytes int64 // their cost (queueCost)

	unservedQueued   int            // of those, queued for services with no worker (bounds.go)
	unservedBytes    int64          // their cost
	unservedByClient map[string]int // their count by client identity

	draining bool
	out      []outMsg

	access    *Access           // who may do what (access.go); nil: everyone everything
	from      peerProps         // the sender of the message being handled
	callers   map[string]string // interned caller keys (caller.go)
	clients   clientTable       // client connections seen, and their limits (limits.go)
	accessLog logBucket         // access refusals logged, rate-limited
	zap       *zapHandler       // the ZAP handler, for its counts; nil without CURVE

	uuidPrefix [8]byte
	uuidSeq    uint64

	counters Counters
	latency  histogram
	born     time.Time // when the core was made: uptime
}

// outMsg is one message for the ROUTER: frames[0] is the peer's identity.
// worker is set when the message hands that worker a request, so that a
// failed send can take the worker out.
type outMsg struct {
	frames [][]byte
	worker *worker
}

func newCore(cfg Config, now time.Time) *core {
	c := &core{
		cfg:      cfg,
		log:      cfg.Logger,
		services: make(map[string]*service),
		workers:  make(map[string]*worker),
		requests: make(map[requestKey]*request),

		unservedByClient: make(map[string]int),
		access:           cfg.Access,
		callers:          make(map[string]string),
		clients:          newClientTable(),
		cache:            newReplyCache(cfg.ReplyCacheSize, cfg.ReplyCacheBytes, cfg.ReplyCacheTTL),
		latency:          newHistogram(),
		born:             now,
	}
	rnd := uuid.New()
	copy(c.uuidPrefix[:], rnd[:8])
	c.timers.push(timer{at: now.Add(cfg.ReplyCacheTTL), kind: timerCacheSweep})
	return c
}

// newID makes a UUID for a plain client's request: a random prefix chosen
// at start and a counter, unique within this broker's life and cheap.
func (c *core) newID() uuid.UUID {
	var id uuid.UUID
	copy(id[:8], c.uuidPrefix[:])
	c.uuidSeq++
	binary.BigEndian.PutUint64(id[8:], c.uuidSeq)
	return id
}

// handle takes one message as received on the ROUTER.
func (c *core) handle(now time.Time, frames [][]byte) {
	c.counters.Received++
	id, m, err := mdp.ParseRouter(frames)
	if err != nil {
		c.malformed(now, id, m, err)
		return
	}
	if m.Kind.Side() == mdp.SideClient {
		c.handleClient(now, id, &m)
		return
	}
	c.handleWorker(now, id, &m)
}

// malformed drops an invalid message. A registered worker that sent it,
// whatever it was (an unknown header or command included), is told
// DISCONNECT and forgotten (7/MDP); so is any peer whose worker header and
// command were recognised.
func (c *core) malformed(now time.Time, id []byte, m mdp.Message, err error) {
	c.counters.Malformed++
	c.log.Debug("malformed message dropped", zap.Binary("peer", id), zap.Error(err))
	if len(id) == 0 {
		return
	}
	if w := c.workers[string(id)]; w != nil {
		c.counters.Violations++
		c.sendDisconnect(id, w.version)
		c.removeWorker(now, w, "protocol error")
		return
	}
	if m.Kind.Side() == mdp.SideWorker {
		c.sendDisconnect(id, m.Version)
	}
}

// tick runs every timer that is due and expires requests past their
// deadline, queued or held by a worker.
func (c *core) tick(now time.Time) {
	for r := c.deadlines.popDue(now); r != nil; r = c.deadlines.popDue(now) {
		if r.queued {
			c.expireQueued(now, r)
		} else {
			c.expireHeld(now, r)
		}
	}
	for {
		t, ok := c.timers.popDue(now)
		if !ok {
			return
		}
		switch t.kind {
		case timerHeartbeat:
			c.heartbeatDue(now, t.w)
		case timerExpiry:
			c.expiryDue(now, t.w)
		case timerServiceIdle:
			c.serviceIdleDue(now, t.s)
		case timerOverdue:
			c.overdueDue(now, t.w, t.r)
		case timerCacheSweep:
			c.cache.sweep(now)
			c.timers.push(timer{at: now.Add(c.cfg.ReplyCacheTTL), kind: timerCacheSweep})
		}
	}
}

// nextTimer is when tick next has work.
func (c *core) nextTimer() (time.Time, bool) {
	t, ok := c.timers.next()
	if d, dok := c.deadlines.next(); dok && (!ok || d.Before(t)) {
		return d, true
	}
	return t, ok
}

// send encodes m for the peer id and queues it for the loop.
func (c *core) send(id []byte, m *mdp.Message, w *worker) {
	frames, err := m.AppendFrames(make([][]byte, 1, 6+len(m.Body)))
	if err != nil {
		// Only our own bug can get here; never send what we would refuse.
		c.counters.Internal++
		c.log.Error("cannot encode outgoing message", zap.Stringer("kind", m.Kind), zap.Error(err))
		return
	}
	frames[0] = id
	c.out = append(c.out, outMsg{frames: frames, worker: w})
}

func (c *core) sendDisconnect(id []byte, v mdp.Version) {
	c.send(id, &mdp.Message{Version: v, Kind: mdp.WorkerDisconnect}, nil)
}

// resetOut empties the outgoing batch once the loop has sent it, keeping
// its memory for the next batch.
func (c *core) resetOut() {
	clear(c.out)
	c.out = c.out[:0]
}
