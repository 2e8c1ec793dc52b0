package broker

import (
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// cancel handles XCANCEL: a client that gave up an attempt (it moved on to
// another broker, or its caller cancelled) asks this broker to drop it. The
// request is found as de-duplication finds it, by (caller key, service,
// UUID), and is
// dropped only while it is still queued and only for the identity its
// answer would go to (the latest one that sent the pair). A request a
// worker holds finishes as usual: its answer goes to the client, which
// takes or drops it. Nothing is sent back either way.
func (c *core) cancel(now time.Time, id []byte, m *mdp.Message) {
	r := c.requests[requestKey{caller: c.caller(), service: m.Service, id: m.UUID}]
	if r == nil || !r.queued || string(r.client) != string(id) {
		c.counters.CancelsIgnored++
		return
	}
	c.counters.Cancelled++
	c.log.Debug("request withdrawn by its client", zap.String("service", m.Service), zap.Stringer("uuid", m.UUID))
	s := r.service
	c.unqueue(r)
	c.forget(r)
	c.maybeIdle(now, s)
}
