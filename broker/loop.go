package broker

import (
	"context"
	"syscall"
	"time"

	zmq "github.com/pebbe/zmq4"
	"go.uber.org/zap"
)

// recvBatch is how many messages the loop takes from the ROUTER before it
// sends what they produced: large enough to amortise a poll over many
// messages, small enough to keep latency and memory bounded.
const recvBatch = 512

// maxPollWait bounds one wait, so that a clock jump cannot stall timers.
const maxPollWait = time.Second

// loop is the broker's one goroutine that owns the ROUTER and all state.
func (b *Broker) loop(ctx context.Context) error {
	defer b.sock.Close()
	log := b.cfg.Logger
	now := time.Now()
	c := newCore(b.cfg, now)
	poller := zmq.NewPoller()
	poller.Add(b.sock, zmq.POLLIN)
	poller.Add(b.wakeRecv, zmq.POLLIN)
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
		}
		polled, err := poller.Poll(wait)
		if err != nil && zmq.AsErrno(err) != zmq.Errno(syscall.EINTR) {
			log.Error("poll failed", zap.Error(err))
			return err
		}
		now = time.Now()
		for _, p := range polled {
			if p.Socket == b.wakeRecv {
				b.drainWake()
				b.runCommands(c, now)
				continue
			}
			b.receive(c, now)
		}
		c.tick(now)
		if ctx.Err() != nil && !c.draining {
			log.Info("broker draining", zap.Int("requests", len(c.requests)), zap.Duration("timeout", b.cfg.DrainTimeout))
			c.startDrain()
			drainDeadline = now.Add(b.cfg.DrainTimeout)
		}
		if c.draining && (c.drained() || !now.Before(drainDeadline)) {
			c.shutdown(now)
			b.flush(c, now)
			// Give the DISCONNECTs a moment to leave before the socket closes.
			b.sock.SetLinger(100 * time.Millisecond)
			log.Info("broker stopped")
			return nil
		}
		b.flush(c, now)
	}
}

// receive drains up to recvBatch messages from the ROUTER into the core.
func (b *Broker) receive(c *core, now time.Time) {
	for i := 0; i < recvBatch; i++ {
		frames, err := b.sock.RecvMessageBytes(zmq.DONTWAIT)
		if err != nil {
			if e := zmq.AsErrno(err); e != zmq.Errno(syscall.EAGAIN) && e != zmq.Errno(syscall.EINTR) {
				b.cfg.Logger.Warn("receive failed", zap.Error(err))
			}
			return
		}
		c.handle(now, frames)
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
		if err := b.sendFrames(m.frames); err != nil {
			c.counters.SendErrors++
			if m.worker != nil {
				c.unreachable(now, m.worker)
			}
		}
	}
	c.resetOut()
}

func (b *Broker) sendFrames(frames [][]byte) error {
	last := len(frames) - 1
	for i, f := range frames {
		flag := zmq.DONTWAIT
		if i < last {
			flag |= zmq.SNDMORE
		}
		if _, err := b.sock.SendBytes(f, flag); err != nil {
			return err
		}
	}
	return nil
}

func (b *Broker) drainWake() {
	for {
		if _, err := b.wakeRecv.RecvBytes(zmq.DONTWAIT); err != nil {
			return
		}
	}
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
