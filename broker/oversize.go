package broker

import (
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
)

// oversize takes what the receive path kept of a message it cut short,
// over MaxMessageSize bytes or zsock.MaxFrames frames: the frames that fit,
// enough to know the sender in practice. The message is dropped and
// counted. An extension client's request is answered 413; a reply from a
// worker that holds the request fails it with 413 (the worker stays: the
// reply was well-formed, only too large). After a cut PARTIAL the worker
// keeps the request and its slot until its FINAL or ERROR, which the
// broker then drops as stale: a streaming worker is never sent more than
// its capacity, nor disconnected for finishing what it was given.
func (c *core) oversize(now time.Time, frames [][]byte) {
	c.counters.TooLarge++
	id, m, err := mdp.ParseRouter(frames)
	c.log.Debug("message over the size or frame bound dropped", zap.Binary("peer", id), zap.NamedError("prefix", err))
	if err != nil {
		return
	}
	switch m.Kind {
	case mdp.ClientRequest:
		form := form01
		switch {
		case m.Ext:
			form = formExt
		case m.Version == mdp.V02:
			form = form02
		}
		c.counters.Requests++
		c.reject(id, form, &m, mdp.StatusTooLarge, "request larger than the broker accepts")
	case mdp.WorkerPartial, mdp.WorkerFinal, mdp.WorkerError:
		w := c.workers[string(id)]
		if w == nil {
			return
		}
		w.lastRecv = now
		r := w.held(m.Address)
		if r == nil || w.ext && r.id != m.UUID {
			return
		}
		if m.Kind == mdp.WorkerPartial {
			// The worker goes on streaming: it keeps the request, and its
			// slot, until its FINAL or ERROR, which is then stale.
			if !r.done {
				c.fail(now, r, mdp.StatusTooLarge, "reply larger than the broker accepts")
			}
			return
		}
		c.release(w, r)
		if !r.done {
			c.fail(now, r, mdp.StatusTooLarge, "reply larger than the broker accepts")
		}
		c.dispatch(now, w.service)
	}
}
