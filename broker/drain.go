package broker

import (
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// startDrain begins graceful shutdown: new requests are refused, those
// already taken may still be answered.
func (c *core) startDrain() { c.draining = true }

// drained reports whether no request is queued or in flight.
func (c *core) drained() bool { return len(c.requests) == 0 }

// shutdown ends what is left: extension clients of unanswered requests get
// 503, and every worker gets DISCONNECT.
func (c *core) shutdown(now time.Time) {
	for _, r := range c.requests {
		if r.queued {
			c.unqueue(r)
		}
		c.fail(now, r, mdp.StatusOverloaded, "broker shutting down")
	}
	for _, w := range c.workers {
		c.sendDisconnect(w.identity, w.version)
		w.gone = true
	}
	clear(c.workers)
}
