package workers

import (
	"errors"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/zsock"

	"github.com/majordomo-go/majordomo/mdp"
)

// maxBatch bounds the messages read at once, so that a flood of requests
// never starves heartbeats.
const maxBatch = 256

// maxBrokerHeartbeat caps the interval the stale rule assumes the broker
// heartbeats at: a majordomo broker clamps declared intervals to at most a
// minute by default, and one that heartbeats more often than assumed would
// make requests look older than they are.
const maxBrokerHeartbeat = time.Minute

// recvAll reads what the socket holds, up to maxBatch messages, and then
// handles them in order. Reading first lets a request be judged by what the
// broker sent after it: a worker that was not reading (stopped with
// SIGSTOP, swapped out, starved) finds a backlog, and a request in it may be
// long past its deadline, or handed to another worker already.
func (c *conn) recvAll() bool {
	batch := c.batch[:0]
	defer func() {
		clear(batch) // keep no request bodies alive until the next batch
		c.batch = batch[:0]
	}()
	ok := true
	for len(batch) < maxBatch {
		frames, err := c.sock.Recv(zsock.DontWait)
		if errors.Is(err, syscall.EAGAIN) {
			c.quiet = true // until the next send
			break
		}
		if err != nil && !errors.Is(err, zsock.ErrTooManyFrames) && !errors.Is(err, zsock.ErrTooLarge) {
			c.log.Error("receive failed", zap.Error(err))
			ok = false
			break
		}
		c.lastRecv = time.Now()
		cut := err
		m, err := mdp.ParseDealer(frames)
		if err != nil {
			c.log.Warn("malformed message from the broker dropped", zap.Error(err))
			continue
		}
		if cut != nil {
			c.refuseCut(&m, cut)
			continue
		}
		batch = append(batch, m)
	}
	c.stale = staleRequests(c.stale, batch, min(c.cfg.heartbeat, maxBrokerHeartbeat))
	stale := c.stale
	for i := range batch {
		if c.lost {
			break // the rest came on a connection the broker has dropped
		}
		if stale[i] != "" {
			c.w.stale.Add(1)
			c.log.Warn("request dropped unrun: "+stale[i], zap.Stringer("uuid", batch[i].UUID),
				zap.Duration("timeout", batch[i].Timeout))
			continue
		}
		c.handleMessage(&batch[i])
	}
	return ok
}

// staleRequests says, for each request in batch (messages in the order the
// broker sent them), why it must not run, or "" when it may:
//
//   - a DISCONNECT after it: the broker has dropped this connection and
//     handed the request to another worker or failed it;
//   - k HEARTBEATs after it: the broker sends one only after an interval in
//     which it sent us nothing else, so the request was sent at least
//     k × interval ago; when that reaches its timeout its deadline passed
//     before we read it (the broker has answered 504 or will).
//
// interval is the worker's heartbeat (at most maxBrokerHeartbeat): with the
// extension the broker heartbeats at the interval the worker declared; a
// plain broker must use the same one.
//
// It returns why, grown to len(batch) and filled in.
func staleRequests(why []string, batch []mdp.Message, interval time.Duration) []string {
	why = append(why[:0], make([]string, len(batch))...)
	heartbeats, disconnect := 0, false
	for i := len(batch) - 1; i >= 0; i-- {
		m := &batch[i]
		switch m.Kind {
		case mdp.WorkerHeartbeat:
			heartbeats++
		case mdp.WorkerDisconnect:
			disconnect = true
		case mdp.WorkerRequest:
			switch {
			case disconnect:
				why[i] = "the broker disconnected us after sending it"
			case m.Timeout > 0 && time.Duration(heartbeats) >= (m.Timeout+interval-1)/interval:
				why[i] = "its deadline passed before it was read"
			}
		}
	}
	return why
}

// refuseCut answers a request that zsock cut short (more than
// zsock.MaxFrames frames): its handler never sees a truncated body. Other
// cut messages are dropped.
func (c *conn) refuseCut(m *mdp.Message, cut error) {
	c.log.Warn("message from the broker cut short, refused", zap.Stringer("kind", m.Kind), zap.Error(cut))
	if m.Kind != mdp.WorkerRequest || c.bye || m.Version != c.version {
		return
	}
	j := &job{c: c, ext: m.Ext, address: m.Address, epoch: c.epoch, id: m.UUID}
	c.sendFinal(j, Reply{Err: Errorf(mdp.StatusTooLarge, "request of more than %d frames", zsock.MaxFrames)})
}
