package workers

import (
	"errors"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/zsock"

	"github.com/majordomo-go/majordomo/mdp"
)

// outgoing is one encoded message on its way to the broker.
type outgoing struct {
	frames [][]byte
	kind   mdp.Kind
}

// sendRetry is how soon a message that libzmq could not take is offered
// again: zsock polls for input only, so the socket goroutine wakes up at
// this pace while messages wait for room.
const sendRetry = time.Millisecond

// The send path never blocks the socket goroutine and never drops a reply
// because the broker is slow. A message that libzmq cannot take at once
// (its queue to the broker is at the high-water mark) waits in sendq, in
// order, and is offered again every sendRetry until the queue is empty.
// While anything waits, the socket goroutine stops taking replies from the
// handlers (see poll), so a handler streaming faster than the broker reads
// blocks in Request.Partial: backpressure, not loss. The queue then only
// grows by what the broker's own messages cause (replies from the cache,
// XDRAIN, DISCONNECT), which a broker that honours our capacity keeps
// small; queueLimit bounds it for one that does not.
func (c *conn) queueLimit() int { return 4*c.capacity + 64 }

// send encodes m and sends it, or queues it behind the messages already
// waiting. Nothing is sent while disconnected.
func (c *conn) send(m *mdp.Message) {
	if c.sock == nil {
		return
	}
	frames, err := m.AppendFrames(make([][]byte, 0, 8+len(m.Body)))
	if err != nil {
		c.log.Error("cannot encode message", zap.Stringer("kind", m.Kind), zap.Error(err))
		return
	}
	o := outgoing{frames: frames, kind: m.Kind}
	if len(c.sendq) == 0 {
		if sent, ok := c.write(&o); sent || !ok {
			return
		}
	}
	if len(c.sendq) >= c.queueLimit() {
		c.log.Error("send queue to the broker over its bound, message dropped",
			zap.Stringer("kind", m.Kind), zap.Int("queued", len(c.sendq)))
		return
	}
	c.sendq = append(c.sendq, o)
}

// flush sends what waits in sendq until it is empty or libzmq's queue is
// full again.
func (c *conn) flush() {
	for len(c.sendq) > 0 {
		if sent, ok := c.write(&c.sendq[0]); !sent || !ok {
			return
		}
		c.sendq[0] = outgoing{}
		c.sendq = c.sendq[1:]
	}
	c.sendq = nil
}

// write hands o to libzmq, whole, without blocking: sent is false when
// libzmq's queue is full (o waits), ok is false when the socket failed (the
// connection is then replaced).
func (c *conn) write(o *outgoing) (sent, ok bool) {
	c.quiet = false
	err := c.sock.Send(o.frames, zsock.DontWait)
	if errors.Is(err, syscall.EAGAIN) {
		return false, true
	}
	if err != nil {
		c.log.Error("send failed, reconnecting", zap.Stringer("kind", o.kind), zap.Error(err))
		c.broken = true
		return false, false
	}
	c.lastSend = time.Now()
	return true, true
}
