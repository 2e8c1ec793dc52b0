package workers

import (
	"syscall"
	"time"

	zmq "github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
)

// outgoing is one encoded message on its way to the broker: next is the
// index of its first frame not yet handed to libzmq.
type outgoing struct {
	frames [][]byte
	next   int
	kind   mdp.Kind
}

// The send path never blocks the socket goroutine and never drops a reply
// because the broker is slow. A message that libzmq cannot take at once
// (its queue to the broker is at the high-water mark) waits in sendq, in
// order, and the socket is polled for POLLOUT until the queue is empty.
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
		if !c.write(&o) || o.next == len(o.frames) {
			return
		}
	}
	if len(c.sendq) >= c.queueLimit() {
		c.log.Error("send queue to the broker over its bound, message dropped",
			zap.Stringer("kind", m.Kind), zap.Int("queued", len(c.sendq)))
		return
	}
	c.sendq = append(c.sendq, o)
	c.watchWritable(true)
}

// flush sends what waits in sendq until it is empty or libzmq's queue is
// full again.
func (c *conn) flush() {
	for len(c.sendq) > 0 {
		o := &c.sendq[0]
		if !c.write(o) {
			return
		}
		if o.next < len(o.frames) {
			return // still full
		}
		c.sendq[0] = outgoing{}
		c.sendq = c.sendq[1:]
	}
	c.sendq = nil
	c.watchWritable(false)
}

// write hands o's remaining frames to libzmq without blocking. It returns
// false when the socket failed: the connection is then replaced.
func (c *conn) write(o *outgoing) bool {
	for o.next < len(o.frames) {
		flags := zmq.DONTWAIT
		if o.next < len(o.frames)-1 {
			flags |= zmq.SNDMORE
		}
		if _, err := c.sock.SendBytes(o.frames[o.next], flags); err != nil {
			if zmq.AsErrno(err) == zmq.Errno(syscall.EAGAIN) {
				return true // full: o waits for POLLOUT
			}
			c.log.Error("send failed, reconnecting", zap.Stringer("kind", o.kind), zap.Error(err))
			c.broken = true
			return false
		}
		o.next++
	}
	c.lastSend = time.Now()
	return true
}

// watchWritable polls the socket for POLLOUT while messages wait.
func (c *conn) watchWritable(on bool) {
	if c.sock == nil || c.pollOut == on {
		return
	}
	events := zmq.POLLIN
	if on {
		events |= zmq.POLLOUT
	}
	if _, err := c.poller.UpdateBySocket(c.sock, events); err != nil {
		c.log.Error("poller update failed", zap.Error(err))
		return
	}
	c.pollOut = on
}
