package broker

import (
	"fmt"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// handleWorker takes any worker command.
func (c *core) handleWorker(now time.Time, id []byte, m *mdp.Message) {
	w := c.workers[string(id)]
	if m.Kind == mdp.WorkerReady {
		if w != nil {
			c.violation(now, w, "second READY")
			return
		}
		c.register(now, id, m)
		return
	}
	if w == nil {
		if m.Kind != mdp.WorkerDisconnect {
			// A worker we do not know (expired, or the broker restarted):
			// DISCONNECT makes it reconnect and send READY again.
			c.counters.UnknownWorker++
			c.sendDisconnect(id, m.Version)
		}
		return
	}
	if m.Version != w.version || m.Ext && !w.ext {
		c.violation(now, w, "command in another protocol than its READY")
		return
	}
	w.lastRecv = now
	switch m.Kind {
	case mdp.WorkerHeartbeat:
	case mdp.WorkerDisconnect:
		c.removeWorker(now, w, "disconnected")
	case mdp.WorkerDrain:
		if !w.draining {
			w.setBusy(false)
			w.draining = true
			w.service.draining++
			w.tier.draining++
		}
		w.tier.free.remove(w)
		c.dispatch(now, w.service)
	case mdp.WorkerPartial, mdp.WorkerFinal, mdp.WorkerError:
		c.workerReply(now, w, m)
	}
}

// register adds a worker after its READY.
func (c *core) register(now time.Time, id []byte, m *mdp.Message) {
	if c.draining {
		c.sendDisconnect(id, m.Version)
		return
	}
	if !c.admitWorker(now, id, m) {
		return
	}
	w := &worker{
		id:       string(id),
		identity: id,
		version:  m.Version,
		ext:      m.Ext,
		capacity: 1,
		interval: c.cfg.HeartbeatInterval,
		lastRecv: now,
		lastSend: now,

		registered: now,
		key:        c.caller(),
		address:    string(c.from.addr),
	}
	level := uint8(1)
	if m.Ext {
		level, w.capacity = m.Tier, int(m.Capacity)
		if m.Heartbeat > 0 {
			w.interval = min(max(m.Heartbeat, c.cfg.WorkerHeartbeatMin), c.cfg.WorkerHeartbeatMax)
		}
		w.mode, w.name, w.swVersion, w.metadata = m.Mode, m.WorkerName, m.WorkerVersion, m.Metadata
	}
	w.expiry = w.interval * time.Duration(c.cfg.HeartbeatLiveness)
	s := c.service(m.Service)
	mode, refused := s.admission(w.mode, level)
	if refused != "" {
		c.counters.ModeConflicts++
		c.logRefused(now, s, id, refused)
		c.sendDisconnect(id, m.Version)
		c.maybeIdle(now, s)
		return
	}
	s.mode = mode
	s.emptySince = time.Time{}
	w.service, w.tier = s, s.tier(level)
	s.workers++
	if s.members == nil {
		s.members = make(map[*worker]struct{})
	}
	s.members[w] = struct{}{}
	w.tier.workers++
	w.tier.free.pushBack(w)
	c.workers[w.id] = w
	c.counters.WorkersRegistered++
	c.timers.push(timer{at: now.Add(w.interval), kind: timerHeartbeat, w: w})
	c.timers.push(timer{at: now.Add(w.expiry), kind: timerExpiry, w: w})
	c.logWorker(now, w, "")
	c.dispatch(now, s)
}

// violation disconnects a worker that broke the protocol.
func (c *core) violation(now time.Time, w *worker, why string) {
	c.counters.Violations++
	c.log.Debug("worker disconnected for a protocol violation", zap.Binary("worker", w.identity), zap.String("why", why))
	c.sendDisconnect(w.identity, w.version)
	c.removeWorker(now, w, why)
}

// removeWorker forgets w and hands every request it held back to the head
// of its service's queue, or fails it after MaxAttempts deliveries.
func (c *core) removeWorker(now time.Time, w *worker, why string) {
	if w.gone {
		return
	}
	c.logWorker(now, w, why)
	w.setBusy(false)
	if w.draining {
		w.service.draining--
		w.tier.draining--
	}
	c.held -= len(w.inflight)
	w.gone = true
	delete(c.workers, w.id)
	s := w.service
	s.held -= len(w.inflight)
	delete(s.members, w)
	w.tier.free.remove(w)
	w.tier.workers--
	s.workers--
	if s.active == w {
		s.active, w.active = nil, false
		c.log.Info("active worker of an exclusive service lost", zap.String("service", s.name),
			zap.Binary("worker", w.identity), zap.Int("in_flight", len(w.inflight)), zap.String("why", why))
	}
	if s.handoverTo == w {
		s.handoverTo = nil
	}
	if w.tier.workers == 0 {
		for i, t := range s.tiers {
			if t == w.tier {
				s.tiers = append(s.tiers[:i], s.tiers[i+1:]...)
				break
			}
		}
	}
	for _, r := range w.inflight {
		r.worker = nil
		if r.done {
			continue
		}
		if r.attempts >= c.cfg.MaxAttempts {
			c.fail(now, r, mdp.StatusWorkerFailed, "worker failed")
			continue
		}
		c.counters.Requeued++
		c.enqueue(r, true)
	}
	w.inflight = nil
	c.dispatch(now, s)
}

// workerReply routes a PARTIAL, FINAL or ERROR to the request's client.
// It must name a request this worker holds, by address and (extension)
// UUID; anything else is dropped, counted, and the worker disconnected
// (7/MDP: an unexpected command). A reply to a request that expired while
// the worker held it is dropped and counted, and frees the slot.
func (c *core) workerReply(now time.Time, w *worker, m *mdp.Message) {
	r := w.held(m.Address)
	if r == nil || w.ext && r.id != m.UUID {
		c.counters.ForeignReplies++
		c.violation(now, w, "reply for a request it does not hold")
		return
	}
	if m.Kind == mdp.WorkerPartial {
		if r.done {
			c.counters.StaleReplies++
			return
		}
		c.sendClient(r, mdp.ClientPartial, m.Body)
		return
	}
	c.release(w, r)
	switch {
	case r.done:
		c.counters.StaleReplies++
	case m.Kind == mdp.WorkerFinal:
		w.served++
		c.answer(now, r, m.Body)
	case m.Status < 400 || m.Status > 599:
		w.errors++
		c.counters.BadStatus++
		c.fail(now, r, mdp.StatusInternal, fmt.Sprintf("worker sent status %d", m.Status))
	default:
		w.errors++
		c.fail(now, r, m.Status, m.Text)
	}
	c.dispatch(now, w.service)
}

// held is the request w holds under the opaque address addr, or nil.
func (w *worker) held(addr []byte) *request {
	if len(addr) != addrLen {
		return nil
	}
	return w.inflight[clientAddr(addr)]
}

// heartbeatDue sends w a HEARTBEAT if nothing else went to it for its
// interval, and schedules the next check.
func (c *core) heartbeatDue(now time.Time, w *worker) {
	if w.gone {
		return
	}
	due := w.lastSend.Add(w.interval)
	if !now.Before(due) {
		// With w: a heartbeat that cannot be sent shows the worker gone.
		c.send(w.identity, &mdp.Message{Version: w.version, Kind: mdp.WorkerHeartbeat}, w)
		w.lastSend = now
		due = now.Add(w.interval)
	}
	c.timers.push(timer{at: due, kind: timerHeartbeat, w: w})
}

// expiryDue expires w if it has been silent for interval × liveness, idle
// or busy.
func (c *core) expiryDue(now time.Time, w *worker) {
	if w.gone {
		return
	}
	if due := w.lastRecv.Add(w.expiry); now.Before(due) {
		c.timers.push(timer{at: due, kind: timerExpiry, w: w})
		return
	}
	c.counters.WorkersExpired++
	c.log.Debug("worker expired", zap.String("service", w.service.name), zap.Binary("worker", w.identity),
		zap.Int("in_flight", len(w.inflight)))
	c.sendDisconnect(w.identity, w.version)
	c.removeWorker(now, w, "expired")
}

// unreachable is called by the loop when the ROUTER could not send to a
// worker (it is gone): the worker is removed at once.
func (c *core) unreachable(now time.Time, w *worker) {
	if !w.gone {
		c.removeWorker(now, w, "unreachable")
	}
}
