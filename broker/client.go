package broker

import (
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// handleClient takes a client REQUEST in any of its three forms.
func (c *core) handleClient(now time.Time, id []byte, m *mdp.Message) {
	c.counters.Requests++
	form := form01
	switch {
	case m.Ext:
		form = formExt
	case m.Version == mdp.V02:
		form = form02
	}
	if mdp.IsMMI(m.Service) {
		c.answerMMI(id, form, m)
		return
	}
	if c.draining {
		c.reject(id, form, m, mdp.StatusOverloaded, "broker shutting down")
		return
	}
	var size int64
	for _, f := range m.Body {
		size += int64(len(f))
	}
	if size > c.cfg.MaxMessageSize {
		c.reject(id, form, m, mdp.StatusTooLarge, "request larger than the broker accepts")
		return
	}
	if form == formExt && c.absorbDuplicate(now, id, m) {
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
		s = &service{name: m.Service}
		c.services[m.Service] = s
	}
	if s.queue.len() >= c.cfg.QueueLimit || s.queuedBytes+size > c.cfg.QueueBytes ||
		c.queued >= c.cfg.GlobalQueueLimit || c.queuedBytes+size > c.cfg.GlobalQueueBytes {
		s.stats.Rejected++
		c.reject(id, form, m, mdp.StatusOverloaded, "queue full")
		c.maybeIdle(now, s)
		return
	}
	timeout := c.cfg.RequestTimeout
	if form == formExt && m.Timeout > 0 && m.Timeout < timeout {
		timeout = m.Timeout
	}
	r := &request{
		client:   id,
		form:     form,
		service:  s,
		body:     m.Body,
		size:     size,
		accepted: now,
		deadline: now.Add(timeout),
	}
	if form == formExt {
		r.id, r.clientUUID = m.UUID, true
	} else {
		r.id = c.newID()
	}
	c.requests[r.id] = r
	if s.queue.len() == 0 {
		if w := s.freeWorker(); w != nil {
			c.deliver(now, w, r) // the common case: no queueing at all
			return
		}
	}
	c.enqueue(r, false)
	c.dispatch(now, s)
}

// absorbDuplicate handles a retry of a request the broker already has: one
// queued or in flight is not queued again, but its reply will go to the
// client's latest address; one answered recently is answered again from the
// reply cache. It reports whether m was such a retry.
func (c *core) absorbDuplicate(now time.Time, id []byte, m *mdp.Message) bool {
	if r := c.requests[m.UUID]; r != nil {
		c.counters.Duplicates++
		r.client = id
		return true
	}
	if e, ok := c.cache.get(now, m.UUID); ok {
		c.counters.CacheHits++
		c.send(id, &mdp.Message{Version: mdp.V02, Kind: mdp.ClientFinal, Ext: true,
			Service: e.service, UUID: e.id, Body: e.body}, nil)
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
