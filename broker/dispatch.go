package broker

import (
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// enqueue puts r on its service's queue: at the back when new, at the front
// when a worker handed it back (it has waited longest).
func (c *core) enqueue(r *request, front bool) {
	s := r.service
	if front {
		s.queue.pushFront(r)
	} else {
		s.queue.pushBack(r)
	}
	r.queued = true
	s.emptySince = time.Time{}
	s.queuedBytes += r.cost
	c.queued++
	c.queuedBytes += r.cost
}

func (c *core) unqueue(r *request) {
	s := r.service
	s.queue.remove(r)
	r.queued = false
	s.queuedBytes -= r.cost
	c.queued--
	c.queuedBytes -= r.cost
	c.releaseUnserved(r)
}

// dispatch hands queued requests of s to free workers, best tier first,
// until one or the other runs out. Each step is O(tiers).
func (c *core) dispatch(now time.Time, s *service) {
	s.settleActive()
	for s.queue.head != nil {
		w := s.freeWorker()
		if w == nil {
			return
		}
		r := s.queue.head
		c.unqueue(r)
		if !now.Before(r.deadline) {
			c.fail(now, r, mdp.StatusExpired, "deadline expired before dispatch")
			continue
		}
		c.deliver(now, w, r)
	}
	c.maybeIdle(now, s)
}

// deliver sends r to w and moves w to the back of its tier's free list (or
// off it when full), so a tier's workers take turns. The worker sees r's
// opaque address, never the client's identity.
func (c *core) deliver(now time.Time, w *worker, r *request) {
	r.attempts++
	r.worker = w
	if w.inflight == nil {
		w.inflight = make(map[clientAddr]*request, w.capacity)
	}
	w.inflight[r.addr] = r
	c.held++
	w.service.held++
	w.setBusy(true)
	w.tier.free.remove(w)
	if w.free() && !w.active {
		w.tier.free.pushBack(w)
	}
	m := mdp.Message{Version: w.version, Kind: mdp.WorkerRequest, Address: r.addr[:], Body: r.body}
	if w.ext {
		m.Ext = true
		m.UUID = r.id
		m.Timeout = r.deadline.Sub(now)
		if r.clientUUID {
			m.Flags = mdp.FlagClientUUID
		}
	}
	w.lastSend = now
	c.send(w.identity, &m, w)
}

// release takes r off w, which may take new work again.
func (c *core) release(w *worker, r *request) {
	delete(w.inflight, r.addr)
	c.held--
	w.service.held--
	w.setBusy(len(w.inflight) > 0)
	r.worker = nil
	if w.free() && !w.inFree && !w.active {
		w.tier.free.pushBack(w)
	}
}

// answer sends a worker's final reply to the client and forgets r.
func (c *core) answer(now time.Time, r *request, body [][]byte) {
	s := r.service
	s.stats.Answered++
	c.latency.observe(now.Sub(r.accepted))
	s.latency.observe(now, now.Sub(r.accepted))
	s.hist.observe(now.Sub(r.accepted))
	c.sendClient(r, mdp.ClientFinal, body)
	if r.clientUUID {
		var size int64
		for _, f := range body {
			size += int64(len(f))
		}
		c.cache.put(now, r.key, body, size)
	}
	c.forget(r)
}

// fail ends r with an error: the extension client is told the status; a
// plain client cannot be, and is counted.
func (c *core) fail(now time.Time, r *request, status mdp.Status, text string) {
	s := r.service
	switch status {
	case mdp.StatusExpired:
		s.stats.Expired++
	case mdp.StatusWorkerFailed:
		s.stats.Failed++
	default:
		s.stats.countError(status)
	}
	if r.form == formExt {
		c.send(r.client, &mdp.Message{Version: mdp.V02, Kind: mdp.ClientError, Ext: true,
			Service: s.name, UUID: r.id, Status: status, Text: text}, nil)
	} else {
		c.counters.PlainDropped++
	}
	c.forget(r)
	c.maybeIdle(now, s)
}

// forget ends r's life in the broker's maps and its deadline. A worker
// that holds it keeps it (and the slot) until it answers or goes.
func (c *core) forget(r *request) {
	r.done = true
	c.releaseForClient(r)
	if r.clientUUID {
		delete(c.requests, r.key)
	}
	if r.heapIndex >= 0 {
		c.deadlines.remove(r)
	}
}

// sendClient sends a PARTIAL or FINAL to r's client in its own form. A
// MDP/0.1 client cannot take partials: they are dropped, the FINAL goes.
func (c *core) sendClient(r *request, kind mdp.Kind, body [][]byte) {
	m := mdp.Message{Version: mdp.V02, Kind: kind, Service: r.service.name, Body: body}
	switch r.form {
	case form01:
		if kind == mdp.ClientPartial {
			return
		}
		m.Version = mdp.V01
	case formExt:
		m.Ext, m.UUID = true, r.id
	}
	c.send(r.client, &m, nil)
}

// expireQueued ends a queued request whose deadline has passed (the
// deadline heap has already let go of it).
func (c *core) expireQueued(now time.Time, r *request) {
	c.unqueue(r)
	c.fail(now, r, mdp.StatusExpired, "deadline expired")
}

// expireHeld ends a request whose deadline passed while a worker held it:
// the client gets 504 and the worker's late reply will be dropped. The
// worker keeps the slot until it answers; if it still holds the request
// after its own expiry time (interval × liveness), it is taken for stuck
// and disconnected, and its slots are free again.
func (c *core) expireHeld(now time.Time, r *request) {
	w := r.worker
	c.counters.ExpiredHeld++
	c.fail(now, r, mdp.StatusExpired, "deadline expired at the worker")
	if w != nil && !w.gone {
		c.timers.push(timer{at: now.Add(w.expiry), kind: timerOverdue, w: w, r: r})
	}
}

// overdueDue disconnects w if it still holds the expired request r.
func (c *core) overdueDue(now time.Time, w *worker, r *request) {
	if w.gone || w.inflight[r.addr] != r {
		return
	}
	c.log.Info("worker holds an expired request", zap.String("service", w.service.name),
		zap.Binary("worker", w.identity))
	c.violation(now, w, "held an expired request past its expiry time")
}

// maybeIdle notes that s has become empty and schedules its removal.
func (c *core) maybeIdle(now time.Time, s *service) {
	if !s.empty() || !s.emptySince.IsZero() {
		return
	}
	s.emptySince = now
	if !s.idleTimer {
		s.idleTimer = true
		c.timers.push(timer{at: now.Add(c.cfg.ServiceIdleTimeout), kind: timerServiceIdle, s: s})
	}
}

func (c *core) serviceIdleDue(now time.Time, s *service) {
	s.idleTimer = false
	if c.services[s.name] != s {
		return
	}
	if !s.empty() {
		s.emptySince = time.Time{}
		return
	}
	if due := s.emptySince.Add(c.cfg.ServiceIdleTimeout); now.Before(due) {
		s.idleTimer = true
		c.timers.push(timer{at: due, kind: timerServiceIdle, s: s})
		return
	}
	c.forgetService(s)
}
