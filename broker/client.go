package broker

import (
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// handleClient takes a client REQUEST in any of its three forms (and
// hands XCANCEL to cancel). The checks run in the order spec/extensions.md
// gives: the connection's rate limit (429), the access policy (403), MMI,
// size and frame limits (413), a retry of a request the broker has (never
// refused), the connection's in-flight limit (429), shutdown (503),
// fail-fast (404), then the queue bounds (503), which apply only to a
// request that must wait.
func (c *core) handleClient(now time.Time, id []byte, m *mdp.Message) {
	if m.Kind == mdp.ClientCancel {
		c.cancel(now, id, m)
		return
	}
	c.counters.Requests++
	form := form01
	switch {
	case m.Ext:
		form = formExt
	case m.Version == mdp.V02:
		form = form02
	}
	conn, ok := c.admitClient(now, id, form, m)
	if !ok {
		return
	}
	if mdp.IsMMI(m.Service) {
		if !c.access.may(c.from.user, mmiRight(m.Service), m.Service) {
			c.refuseAccess(now, id, form, m)
			return
		}
		c.answerMMI(now, id, form, m)
		return
	}
	if !c.access.may(c.from.user, rightCall, m.Service) {
		c.refuseAccess(now, id, form, m)
		return
	}
	var size int64
	for _, f := range m.Body {
		size += int64(len(f))
	}
	if len(m.Body) > MaxBodyFrames || size > c.cfg.MaxMessageSize {
		c.reject(id, form, m, mdp.StatusTooLarge, "request larger than the broker accepts")
		return
	}
	if form == formExt && c.absorbDuplicate(now, id, m) {
		return
	}
	if !c.admitInFlight(conn, id, form, m) {
		return
	}
	if c.draining {
		c.reject(id, form, m, mdp.StatusOverloaded, "broker shutting down")
		return
	}
	s := c.services[m.Service]
	if m.Flags&mdp.FlagFailFast != 0 && (s == nil || s.workers == 0) {
		if s != nil {
			s.stats.Rejected++
		}
		c.reject(id, form, m, mdp.StatusNotFound, "no such service")
		return
	}
	if s == nil {
		s = c.service(m.Service)
	}
	cost := queueCost(size, len(m.Body))
	var w *worker
	if s.queue.len() == 0 {
		w = s.freeWorker()
	}
	unserved := s.workers == 0
	if w == nil && !c.roomFor(id, s, cost, unserved) {
		s.stats.Rejected++
		c.reject(id, form, m, mdp.StatusOverloaded, "queue full")
		c.maybeIdle(now, s)
		return
	}
	r := c.accept(now, id, form, m, s, size, cost)
	c.holdForClient(r, conn)
	if w != nil {
		c.deliver(now, w, r) // the common case: no queueing at all
		return
	}
	if unserved {
		c.holdUnserved(r, id)
	}
	c.enqueue(r, false)
	c.dispatch(now, s)
}

// accept makes the request record of m and starts its deadline.
func (c *core) accept(now time.Time, id []byte, form clientForm, m *mdp.Message, s *service, size, cost int64) *request {
	timeout := s.requestTimeout(&c.cfg)
	if form == formExt && m.Timeout > 0 && m.Timeout < timeout {
		timeout = m.Timeout
	}
	r := &request{
		client:   id,
		form:     form,
		service:  s,
		body:     m.Body,
		size:     size,
		cost:     cost,
		accepted: now,
		deadline: now.Add(timeout),
	}
	r.addr = clientAddr(c.newID())
	if form == formExt {
		r.id, r.clientUUID = m.UUID, true
	} else {
		r.id = uuid.UUID(r.addr) // made up once: the same on every delivery
	}
	r.key = requestKey{caller: c.caller(), service: s.name, id: r.id}
	s.requests++
	if r.clientUUID {
		c.requests[r.key] = r
	}
	c.deadlines.push(r)
	return r
}

// absorbDuplicate handles a retry of a request the broker already has,
// from the same caller key, for the same service and UUID: one queued or in flight is not queued
// again, but its reply will go to the client's latest address; one
// answered recently is answered again from the reply cache. It reports
// whether m was such a retry.
func (c *core) absorbDuplicate(now time.Time, id []byte, m *mdp.Message) bool {
	key := requestKey{caller: c.caller(), service: m.Service, id: m.UUID}
	if r := c.requests[key]; r != nil {
		c.counters.Duplicates++
		r.client = id
		return true
	}
	if e, ok := c.cache.get(now, key); ok {
		c.counters.CacheHits++
		c.send(id, &mdp.Message{Version: mdp.V02, Kind: mdp.ClientFinal, Ext: true,
			Service: e.key.service, UUID: e.key.id, Body: e.body}, nil)
		return true
	}
	return false
}

// reject answers an extension client with an error at once; a plain client
// cannot be told, so its request is dropped and counted (it retries on its
// own timeout).
func (c *core) reject(id []byte, form clientForm, m *mdp.Message, status mdp.Status, text string) {
	c.counters.Rejected++
	if form != formExt {
		c.counters.PlainDropped++
		c.log.Debug("plain request dropped", zap.String("service", m.Service), zap.Stringer("status", status))
		return
	}
	c.send(id, &mdp.Message{Version: mdp.V02, Kind: mdp.ClientError, Ext: true, Service: m.Service,
		UUID: m.UUID, Status: status, Text: text}, nil)
}
