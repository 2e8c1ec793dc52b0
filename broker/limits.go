package broker

import (
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// Per-connection client state: when each client connection (ROUTER
// identity) last sent a request, its rate bucket, and how many of its
// requests the broker holds. It serves the per-connection limits
// (Config.ClientMaxInFlight, ClientRate, ClientBurst) and the count of
// client connections seen over the last ClientSeenWindow.
const (
	// ClientSeenWindow: a connection silent for this long is forgotten
	// (and its rate bucket with it), unless the broker holds requests of
	// it.
	ClientSeenWindow = time.Minute
	// MaxTrackedClients bounds the connections remembered; past it the one
	// seen least recently is forgotten first, so the count of clients seen
	// stops at this number.
	MaxTrackedClients = 100000
)

// clientConn is one client connection the broker has heard from within
// ClientSeenWindow.
type clientConn struct {
	id         string
	lastSeen   time.Time
	tokens     float64 // rate bucket; refilled from lastSeen on
	inflight   int     // its requests queued or held (counted only with ClientMaxInFlight set)
	prev, next *clientConn
}

// clientTable holds the connections in the order they were last seen, so
// that forgetting the silent ones takes O(1) per connection forgotten.
type clientTable struct {
	conns      map[string]*clientConn
	head, tail *clientConn
}

func newClientTable() clientTable { return clientTable{conns: make(map[string]*clientConn)} }

// seen finds or makes id's entry and moves it to the back; the caller
// sets its lastSeen to now.
func (t *clientTable) seen(now time.Time, id []byte, burst float64) *clientConn {
	t.expire(now)
	e := t.conns[string(id)]
	if e == nil {
		if len(t.conns) >= MaxTrackedClients {
			t.evict(t.head)
		}
		e = &clientConn{id: string(id), tokens: burst, lastSeen: now}
		t.conns[e.id] = e
	} else {
		t.unlink(e)
	}
	t.pushBack(e)
	return e
}

// expire forgets the connections silent for ClientSeenWindow that hold no
// request; one that does goes to the back, seen as of now.
func (t *clientTable) expire(now time.Time) {
	for e := t.head; e != nil && now.Sub(e.lastSeen) >= ClientSeenWindow; e = t.head {
		if e.inflight == 0 {
			t.evict(e)
			continue
		}
		t.unlink(e)
		e.lastSeen = now
		t.pushBack(e)
	}
}

func (t *clientTable) evict(e *clientConn) {
	t.unlink(e)
	delete(t.conns, e.id)
}

func (t *clientTable) pushBack(e *clientConn) {
	e.prev, e.next = t.tail, nil
	if t.tail != nil {
		t.tail.next = e
	} else {
		t.head = e
	}
	t.tail = e
}

func (t *clientTable) unlink(e *clientConn) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		t.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		t.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// takeToken refills e's bucket for the time since it was last seen and
// takes one request's token from it.
func (e *clientConn) takeToken(now time.Time, rate, burst float64) bool {
	if dt := now.Sub(e.lastSeen); dt > 0 {
		e.tokens = min(burst, e.tokens+rate*dt.Seconds())
	}
	if e.tokens < 1 {
		return false
	}
	e.tokens--
	return true
}

// admitClient notes a client request from id and applies the rate limit:
// it reports false (and has answered) when the connection is over it.
// The in-flight limit is applied later, to requests that would be
// accepted (admitInFlight), so that a retry of a request already held is
// never refused by it.
func (c *core) admitClient(now time.Time, id []byte, form clientForm, m *mdp.Message) (*clientConn, bool) {
	burst := float64(c.cfg.ClientBurst)
	e := c.clients.seen(now, id, burst)
	ok := c.cfg.ClientRate <= 0 || e.takeToken(now, c.cfg.ClientRate, burst)
	e.lastSeen = now
	if !ok {
		c.refuseLimited(id, form, m, "over the connection's request rate")
	}
	return e, ok
}

// admitInFlight applies ClientMaxInFlight to a request about to be
// accepted.
func (c *core) admitInFlight(e *clientConn, id []byte, form clientForm, m *mdp.Message) bool {
	if c.cfg.ClientMaxInFlight <= 0 || e.inflight < c.cfg.ClientMaxInFlight {
		return true
	}
	c.refuseLimited(id, form, m, "too many requests in flight on this connection")
	return false
}

// refuseLimited answers a request over a per-connection limit: 429 to an
// extension client, dropped and counted for a plain one, an MMI reply
// with status 429 for an MMI query.
func (c *core) refuseLimited(id []byte, form clientForm, m *mdp.Message, why string) {
	c.counters.Limited++
	if mdp.IsMMI(m.Service) {
		c.replyMMI(id, form, m, [][]byte{statusFrame(mdp.StatusTooMany)})
		return
	}
	c.reject(id, form, m, mdp.StatusTooMany, why)
}

// holdForClient counts r against its connection's in-flight limit.
func (c *core) holdForClient(r *request, e *clientConn) {
	if c.cfg.ClientMaxInFlight <= 0 {
		return
	}
	r.owner = e
	e.inflight++
}

// releaseForClient ends r's count against its connection.
func (c *core) releaseForClient(r *request) {
	if r.owner != nil {
		r.owner.inflight--
		r.owner = nil
	}
}
