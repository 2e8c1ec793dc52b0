package workers

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
)

// handleMessage handles one message from the broker. Anything received
// proves the broker alive; anything but DISCONNECT also proves it accepts
// us, which resets the reconnect backoff (a broker that keeps refusing us
// keeps the backoff growing).
func (c *conn) handleMessage(m *mdp.Message) {
	now := time.Now()
	c.lastRecv = now
	if m.Version != c.version {
		c.log.Warn("message of another protocol version dropped", zap.Stringer("version", m.Version), zap.Stringer("kind", m.Kind))
		return
	}
	if m.Kind != mdp.WorkerDisconnect {
		c.backoff.reset()
		if !c.joined && c.sock != nil {
			c.joined = true
			c.w.reg.registered(c.broker)
		}
	}
	switch m.Kind {
	case mdp.WorkerHeartbeat:
	case mdp.WorkerDisconnect:
		c.lost = true
	case mdp.WorkerRequest:
		c.accept(m, now)
	default:
		c.log.Warn("unexpected message from the broker dropped", zap.Stringer("kind", m.Kind))
	}
}

// accept takes a request: it answers it from the reply cache, attaches it
// to the same request already in flight, or starts (or queues) its handler.
func (c *conn) accept(m *mdp.Message, now time.Time) {
	j := &job{c: c, ext: m.Ext, address: m.Address, epoch: c.epoch}
	if c.bye {
		// We have said DISCONNECT (it waits behind other messages): the
		// broker hands this request to another worker once it reads it.
		c.log.Warn("request after DISCONNECT dropped")
		return
	}
	if m.Ext {
		j.id = m.UUID
		j.dedup = m.Flags&mdp.FlagClientUUID != 0
	}
	if max := c.cfg.maxMessageSize; max > 0 && bodySize(m.Body) > max {
		c.log.Warn("request too large", zap.Int("bytes", bodySize(m.Body)), zap.Int("max", max))
		c.sendFinal(j, Reply{Err: Errorf(mdp.StatusTooLarge, "request of %d bytes exceeds %d", bodySize(m.Body), max)})
		return
	}
	if j.dedup {
		if r, ok := c.cache.get(j.id, now); ok {
			c.log.Debug("answered from the reply cache", zap.Stringer("uuid", j.id))
			c.sendFinal(j, r)
			return
		}
		if old := c.inflight[j.id]; old != nil {
			// The broker re-delivered a request we are still serving (our
			// earlier connection was lost): answer the latest delivery.
			old.address, old.epoch = j.address, j.epoch
			return
		}
		c.inflight[j.id] = j
	}
	j.req = &Request{Service: c.w.service, Body: m.Body, UUID: j.id, ClientUUID: j.dedup, job: j}
	if m.Ext && m.Timeout > 0 {
		j.req.Deadline = now.Add(m.Timeout)
	}
	switch {
	case len(c.pending) == 0 && c.running < c.capacity && c.w.slots.take():
		c.start(j)
	case len(c.pending) < c.capacity:
		// Every slot is busy, with requests from this broker or another:
		// wait for one (hungry before the retry, so a slot freed after it
		// wakes us).
		c.pending = append(c.pending, j)
		c.hungry.Store(true)
		c.startNext()
	default:
		// A broker that honours our capacity sends at most capacity
		// requests per connection, and the pending ones of lost connections
		// are dropped: more would grow without bound.
		c.forget(j)
		c.log.Warn("more requests than the capacity declared, refused", zap.Int("capacity", c.capacity))
		c.sendFinal(j, Reply{Err: Errorf(mdp.StatusOverloaded, "worker over capacity")})
	}
}

// dropStale forgets the requests of lost connections that have not
// started: the broker has handed them to another worker, and they would
// take the slots of the new connection's requests.
func (c *conn) dropStale() {
	kept := c.pending[:0]
	for _, j := range c.pending {
		if j.epoch == c.epoch {
			kept = append(kept, j)
		} else {
			c.forget(j)
		}
	}
	clear(c.pending[len(kept):])
	c.pending = kept
	c.hungry.Store(len(kept) > 0)
}

func (c *conn) start(j *job) {
	if j.req.Deadline.IsZero() {
		j.ctx, j.cancel = context.WithCancel(c.hctx)
	} else {
		j.ctx, j.cancel = context.WithDeadline(c.hctx, j.req.Deadline)
	}
	c.running++
	go c.runJob(j)
}

// startNext fills free slots from the pending queue, dropping requests of a
// lost connection (the broker gives them to another worker).
func (c *conn) startNext() {
	for c.running < c.capacity && len(c.pending) > 0 {
		j := c.pending[0]
		switch {
		case c.sock == nil || j.epoch != c.epoch:
			c.popPending()
			c.forget(j)
		case !j.req.Deadline.IsZero() && !time.Now().Before(j.req.Deadline):
			// Its deadline passed while it waited for a slot: answer 504
			// (which frees its slot at the broker) without running it.
			c.popPending()
			c.forget(j)
			c.w.stale.Add(1)
			c.log.Warn("request dropped unrun: its deadline passed while it waited for a slot", zap.Stringer("uuid", j.id))
			c.sendFinal(j, Reply{Err: Errorf(mdp.StatusExpired, "deadline passed before the handler started")})
		case c.w.slots.take():
			c.popPending()
			c.start(j)
		default:
			return // hungry: the next slot freed wakes us
		}
	}
}

// popPending removes the first pending job; a connection with none left
// is no longer hungry.
func (c *conn) popPending() {
	c.pending[0] = nil
	c.pending = c.pending[1:]
	if len(c.pending) == 0 {
		c.pending = nil
		c.hungry.Store(false)
	}
}

// forget removes a job from the in-flight set.
func (c *conn) forget(j *job) {
	if j.dedup && c.inflight[j.id] == j {
		delete(c.inflight, j.id)
	}
}

// drainOut handles the replies the handlers have handed over so far, and
// stops taking them while messages wait for room on the socket (they then
// wait in out, and handlers block: backpressure).
func (c *conn) drainOut() {
	for len(c.sendq) == 0 {
		select {
		case o := <-c.out:
			c.handleOut(o)
		default:
			return
		}
	}
}

func (c *conn) handleOut(o outMsg) {
	j := o.job
	if !o.final {
		if j.finished || !c.current(j) {
			c.log.Debug("partial reply for a lost connection dropped")
			return
		}
		c.send(&mdp.Message{Version: c.version, Kind: mdp.WorkerPartial, Ext: j.ext, Address: j.address, UUID: j.id, Body: o.body})
		return
	}
	j.finished = true
	c.running--
	c.w.slots.give()
	c.forget(j)
	if j.dedup && o.reply.storable() {
		c.cache.put(j.id, o.reply, time.Now())
	}
	c.sendFinal(j, o.reply)
	c.startNext()
}

// current reports whether a job's latest delivery came on the live socket.
func (c *conn) current(j *job) bool { return c.sock != nil && j.epoch == c.epoch }

// sendFinal sends a FINAL reply, or the error reply: XERROR under the
// extension, a plain reply whose body is the status frame otherwise.
func (c *conn) sendFinal(j *job, r Reply) {
	if !c.current(j) {
		c.log.Debug("reply for a lost connection dropped", zap.Stringer("uuid", j.id))
		return
	}
	m := mdp.Message{Version: c.version, Kind: mdp.WorkerFinal, Ext: j.ext, Address: j.address, UUID: j.id, Body: r.Body}
	if r.Err != nil {
		if j.ext {
			m.Kind, m.Status, m.Text, m.Body = mdp.WorkerError, r.Err.Status, r.Err.Text, nil
		} else {
			m.Body = [][]byte{r.Err.frame()}
		}
	}
	c.send(&m)
}

func (c *conn) sendCommand(k mdp.Kind) {
	c.send(&mdp.Message{Version: c.version, Kind: k, Ext: k == mdp.WorkerDrain})
}

// abandonHandlers cancels every handler's context when the drain deadline
// has passed.
func (c *conn) abandonHandlers() {
	if c.running > 0 {
		c.abandoned = true
		c.log.Warn("drain deadline passed, cancelling handlers", zap.Int("running", c.running))
	}
	c.hcancel()
}

// finish closes the socket and waits for every handler goroutine to hand in
// its reply, cancelling their contexts when the drain deadline passes.
func (c *conn) finish() {
	c.closeSocket()
	for _, j := range c.pending {
		c.forget(j)
	}
	c.pending = nil
	c.hungry.Store(false)
	force := c.w.force
	for c.running > 0 {
		select {
		case o := <-c.out:
			c.handleOut(o)
		case <-force:
			c.abandonHandlers()
			force = nil
		}
	}
}
