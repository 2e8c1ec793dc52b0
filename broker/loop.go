package broker

import (
	"context"
	"errors"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/zsock"
)

// recvBatch is how many messages the loop takes from the ROUTER before it
// sends what they produced: large enough to amortise a poll over many
// messages, small enough to keep latency and memory bounded.
const recvBatch = 512

// shutdownLinger is how long the messages sent last (DISCONNECTs, 503s)
// may take to leave once the broker stops; libzmq drops what is still
// queued after it.
const shutdownLinger = time.Second

// closeGrace is how long a drained broker keeps its connections open after
// the last reply (or other message to a client) it sent, before it closes
// them. A client's libzmq with ZMQ_IMMEDIATE (our client SDK's) drops the
// messages its application has not read yet when the connection closes
// (session_base_t::reconnect terminates the pipe without delay), so a
// reply sent just before the close could be lost. The drain timeout bounds
// it, as everything else in the drain.
const closeGrace = 500 * time.Millisecond

// maxPollWait bounds one wait, so that a clock jump cannot stall timers.
const maxPollWait = time.Second

// loop is the broker's one goroutine that owns the ROUTER and all state.
func (b *Broker) loop(ctx context.Context) error {
	defer b.sock.close()
	log := b.cfg.Logger
	now := time.Now()
	c := newCore(b.cfg, now)
	c.zap = b.sock.zap
	poller, err := zsock.NewPoller(zsock.PollItem{Socket: b.sock.Socket}, zsock.PollItem{Fd: b.wakeup.r})
	if err != nil {
		return err
	}
	defer poller.Close()
	close(b.running)
	log.Info("broker running", zap.Strings("endpoints", b.endpoints))

	var drainDeadline time.Time
	for {
		wait := maxPollWait
		if at, ok := c.nextTimer(); ok {
			if d := time.Until(at); d < wait {
				wait = max(d, 0)
			}
		}
		if c.draining {
			wait = max(min(wait, time.Until(drainDeadline)), 0)
			if c.drained() {
				wait = max(min(wait, time.Until(b.lastPeerSend.Add(closeGrace))), 0)
			}
		}
		if _, err := poller.Wait(wait); err != nil && !errors.Is(err, syscall.EINTR) {
			log.Error("poll failed", zap.Error(err))
			return err
		}
		now = time.Now()
		if poller.Ready(1) {
			b.wakeup.drain()
			b.runCommands(c, now)
		}
		if poller.Ready(0) {
			b.receive(c, now)
		}
		c.tick(now)
		if ctx.Err() != nil && !c.draining {
			log.Info("broker draining", zap.Int("requests", c.live()), zap.Duration("timeout", b.cfg.DrainTimeout))
			c.startDrain()
			drainDeadline = now.Add(b.cfg.DrainTimeout)
		}
		b.flush(c, now) // before the stop check, which needs lastPeerSend
		if c.draining && (!now.Before(drainDeadline) || c.drained() && !now.Before(b.lastPeerSend.Add(closeGrace))) {
			c.shutdown(now)
			b.flush(c, now)
			b.sock.SetLinger(shutdownLinger)
			log.Info("broker stopped")
			return nil
		}
	}
}

// receive drains up to recvBatch messages from the ROUTER into the core.
func (b *Broker) receive(c *core, now time.Time) {
	for i := 0; i < recvBatch; i++ {
		frames, err := b.sock.Recv(zsock.DontWait)
		switch {
		case errors.Is(err, zsock.ErrTooManyFrames) || errors.Is(err, zsock.ErrTooLarge):
			c.oversize(now, frames)
			continue
		case errors.Is(err, syscall.EAGAIN):
			return
		case err != nil:
			b.cfg.Logger.Warn("receive failed", zap.Error(err))
			return
		}
		c.handleFrom(now, frames, b.sock.UserID(), b.sock.PeerAddress())
		if len(c.out) >= recvBatch {
			b.flush(c, now)
		}
	}
}

// flush sends every queued outgoing message. A message that cannot go to a
// worker (it vanished, or its queue is full) takes the worker out, which
// may queue more messages: the loop runs until none are left.
func (b *Broker) flush(c *core, now time.Time) {
	for i := 0; i < len(c.out); i++ {
		m := c.out[i]
		err := b.sock.Send(m.frames, zsock.DontWait)
		switch {
		case err == nil:
			if m.worker == nil {
				b.lastPeerSend = now
			}
		case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.EAGAIN):
			// The peer is gone, or so far behind that it is as good as gone.
			c.counters.SendErrors++
			if m.worker != nil {
				c.unreachable(now, m.worker)
			}
		default:
			// Not the peer's fault (the message itself): never drop a worker for it.
			c.counters.SendErrors++
			c.counters.Internal++
			b.cfg.Logger.Error("send failed", zap.Int("frames", len(m.frames)), zap.Error(err))
		}
	}
	c.resetOut()
}

func (b *Broker) runCommands(c *core, now time.Time) {
	for {
		select {
		case cmd := <-b.cmds:
			cmd(c, now)
		default:
			return
		}
	}
}
