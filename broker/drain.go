package broker

import (
	"slices"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// startDrain begins graceful shutdown: new requests are refused, those
// already taken may still be answered.
func (c *core) startDrain() { c.draining = true }

// drained reports whether no request is queued or in flight.
func (c *core) drained() bool { return c.live() == 0 }

// live is how many requests are queued or in flight: the deadline heap
// holds every one.
func (c *core) live() int { return len(c.deadlines) }

// shutdown ends what is left: extension clients of unanswered requests get
// 503, and every worker gets DISCONNECT.
func (c *core) shutdown(now time.Time) {
	for _, r := range slices.Clone(c.deadlines) {
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
