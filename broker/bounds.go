package broker

// Queue bounds. A request that a free worker can take at once is never
// refused by them: they bound only what must wait.
//
//   - Every service's queue: QueueBytes, and QueueLimit requests when set.
//   - All queues of services that have workers: GlobalQueueBytes, and
//     GlobalQueueLimit requests when set.
//   - Requests queued for services with no worker at all (names a client
//     may make up): UnservedQueueBytes in all, UnservedPerClient requests
//     per client identity. They do not count against the global bounds,
//     so made-up names cannot starve real services.

// Per-request and per-frame costs added to the body's bytes, so that the
// byte bounds also bound requests with empty bodies: roughly what the
// broker's records of a request and of a frame take.
const (
	requestOverhead = 256
	frameOverhead   = 32
)

// queueCost is what a request counts against the queue bounds.
func queueCost(bodyBytes int64, frames int) int64 {
	return bodyBytes + requestOverhead + frameOverhead*int64(frames)
}

// roomFor reports whether a request of cost bytes from client id may wait
// in s's queue.
func (c *core) roomFor(id []byte, s *service, cost int64, unserved bool) bool {
	cfg := &c.cfg
	if limit := s.queueLimit(cfg); limit > 0 && s.queue.len() >= limit || s.queuedBytes+cost > s.queueBytes(cfg) {
		return false
	}
	if unserved {
		return c.unservedBytes+cost <= cfg.UnservedQueueBytes &&
			c.unservedByClient[string(id)] < cfg.UnservedPerClient
	}
	served, servedBytes := c.queued-c.unservedQueued, c.queuedBytes-c.unservedBytes
	if cfg.GlobalQueueLimit > 0 && served >= cfg.GlobalQueueLimit {
		return false
	}
	return servedBytes+cost <= cfg.GlobalQueueBytes
}

// holdUnserved counts r, about to be queued for a service with no worker,
// against the unserved bounds until it leaves the queue.
func (c *core) holdUnserved(r *request, id []byte) {
	r.unserved, r.unservedOwner = true, string(id)
	c.unservedQueued++
	c.unservedBytes += r.cost
	c.unservedByClient[r.unservedOwner]++
}

// releaseUnserved undoes holdUnserved when r leaves the queue.
func (c *core) releaseUnserved(r *request) {
	if !r.unserved {
		return
	}
	r.unserved = false
	c.unservedQueued--
	c.unservedBytes -= r.cost
	if n := c.unservedByClient[r.unservedOwner] - 1; n > 0 {
		c.unservedByClient[r.unservedOwner] = n
	} else {
		delete(c.unservedByClient, r.unservedOwner)
	}
	r.unservedOwner = ""
}
