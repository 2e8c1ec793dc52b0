package clients

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/curveclient"
	"github.com/majordomo-go/majordomo/internal/wakeup"
	"github.com/majordomo-go/majordomo/internal/zready"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

// command is what the public API hands to the loop.
type command struct {
	kind commandKind
	req  *request  // cmdSubmit
	id   uuid.UUID // cmdCancel
}

type commandKind uint8

const (
	cmdSubmit commandKind = iota + 1
	cmdCancel
	cmdClose
)

// maxBatch bounds how many messages one socket may deliver per poll, so
// that one busy socket cannot starve the others or the timers.
const maxBatch = 256

// loop is the goroutine that owns every socket of a Client and all request
// state. The public API reaches it only through Client.post.
type loop struct {
	c   *Client
	o   *options
	log *zap.Logger

	zctx    *zsock.Context  // shared by every Client (sharedContext)
	sig     *wakeup.Signal  // Wake from any goroutine (the Client's post)
	ready   *zready.Set     // what run waits for: sig and every socket
	dealers []*zsock.Socket // extension: one per broker
	backlog backlog         // extension: attempts waiting for a socket
	plain   plainLinks      // plain protocols: one socket per request

	pending map[uuid.UUID]*request
	frames  [][]byte // sendMessage's, reused
	timers  timers
	cur     int // the broker new requests go to
	cmds    []command
	closing bool
	// sends counts messages sent; quietAt[b] is its value when broker b's
	// extension socket last found nothing to receive (0: never). While the
	// two are equal, no operation has touched the socket since, and Wait
	// need not ask it (zready.Drained).
	sends   uint64
	quietAt []uint64

	curveWarned []time.Time // by broker: the last "no connection" warning (curve.go)
}

func newLoop(c *Client) (_ *loop, err error) {
	l := &loop{
		c: c, o: &c.opts, log: c.opts.logger,
		pending: make(map[uuid.UUID]*request),
	}
	if l.zctx, err = sharedContext(); err != nil {
		return nil, err
	}
	l.plain = newPlainLinks(c.brokers)
	l.backlog = newBacklog(len(c.brokers))
	l.quietAt = make([]uint64, len(c.brokers))
	l.sends = 1
	l.curveWarned = make([]time.Time, len(c.brokers))
	defer func() {
		if err != nil {
			l.closeSockets()
		}
	}()
	if err := l.openReady(); err != nil {
		return nil, err
	}
	for i, ep := range c.brokers {
		s, err := newExtDealer(l.zctx, ep, c.opts.curve)
		if err != nil {
			return nil, err
		}
		if c.opts.protocol != ProtocolExtension {
			s.Close() // plain mode opens a socket per request; this only checked ep
			continue
		}
		l.dealers = append(l.dealers, s)
		if err := l.ready.AddSocket(dealerID(i), s); err != nil {
			return nil, fmt.Errorf("clients: %w", err)
		}
	}
	return l, nil
}

// openReady makes the wake-up signal and the set the loop waits in.
func (l *loop) openReady() error {
	sig, err := wakeup.New()
	if err != nil {
		return fmt.Errorf("clients: %w", err)
	}
	l.sig = sig
	if l.ready, err = zready.New(); err != nil {
		return fmt.Errorf("clients: %w", err)
	}
	if err := l.ready.AddFd(wakeID, sig.Fd()); err != nil {
		return fmt.Errorf("clients: %w", err)
	}
	return nil
}

// newDealer opens a DEALER socket connected to a broker (zsock sockets
// have no linger). A new socket has a new identity at the broker.
func newDealer(zctx *zsock.Context, endpoint string, curve *curveclient.Keys) (*zsock.Socket, error) {
	s, err := zctx.NewSocket(zsock.DEALER)
	if err != nil {
		return nil, fmt.Errorf("clients: socket: %w", err)
	}
	if err := curve.Apply(s); err != nil {
		s.Close()
		return nil, fmt.Errorf("clients: socket: %w", err)
	}
	if err := s.Connect(endpoint); err != nil {
		s.Close()
		return nil, fmt.Errorf("clients: broker %q: %w", endpoint, err)
	}
	return s, nil
}

func (l *loop) run() {
	defer close(l.c.loopDone)
	for !l.closing {
		for b := range l.dealers {
			if l.quietAt[b] == l.sends {
				l.ready.Drained(dealerID(b))
			}
		}
		ids, err := l.ready.Wait(l.pollTimeout(time.Now()))
		if err != nil {
			l.log.Error("clients: poll failed; closing the client", zap.Error(err))
			break
		}
		// Commands first: their sends come before the receives, which
		// then leave the sockets quiet.
		if slices.Contains(ids, wakeID) {
			l.handleReady(wakeID)
		}
		for _, id := range ids {
			if id != wakeID {
				l.handleReady(id)
			}
		}
		l.fireTimers(time.Now())
	}
	l.shutdown()
}

// handleReady handles what Wait reported: commands, a socket with room
// for a broker's backlog, or messages.
func (l *loop) handleReady(id int) {
	switch {
	case id == wakeID:
		l.sig.Clear() // before the commands are taken
		l.handleCommands()
	case id < firstLinkID:
		b := id - 1
		if l.backlog[b].Len() > 0 {
			l.flush(b, time.Now())
		}
		l.receiveExt(b)
	default:
		if lk := l.plain.byID[id]; lk != nil {
			l.receivePlain(lk)
		}
	}
}

// pollTimeout is the time until the next timer, rounded up to the
// millisecond (Poll's resolution), or -1 (forever) when there is none.
func (l *loop) pollTimeout(now time.Time) time.Duration {
	r := l.timers.next()
	if r == nil {
		return -1
	}
	d := r.due.Sub(now)
	if d <= 0 {
		return 0
	}
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

func (l *loop) handleCommands() {
	l.cmds = l.c.takeCommands(l.cmds)
	for _, cmd := range l.cmds {
		switch cmd.kind {
		case cmdSubmit:
			l.start(cmd.req, time.Now())
		case cmdCancel:
			if r := l.pending[cmd.id]; r != nil {
				l.countContextEnd(r.ctx.Err())
				l.end(r, nil, contextError(r.ctx.Err()), false)
			}
		case cmdClose:
			l.closing = true
		}
	}
	clear(l.cmds)
}

func (l *loop) countContextEnd(err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		l.c.stats.timeouts.Add(1)
		return
	}
	l.c.stats.cancelled.Add(1)
}

// receiveExt reads what broker b's extension socket has for us: each
// message in one cgo call, its frames in one buffer that replies keep.
func (l *loop) receiveExt(b int) {
	for range maxBatch {
		frames, err := l.dealers[b].Recv(zsock.DontWait)
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) {
				l.quietAt[b] = l.sends
			}
			if l.receiveFailed(b, err) {
				return
			}
			continue
		}
		l.onExtMessage(b, frames)
	}
}

// receivePlain reads what a plain-mode socket has for us.
func (l *loop) receivePlain(lk *link) {
	for range maxBatch {
		if l.plain.byID[lk.id] != lk {
			return // closed while handling an earlier message
		}
		frames, err := lk.sock.Recv(zsock.DontWait)
		if err != nil {
			if l.receiveFailed(lk.broker, err) {
				return
			}
			continue
		}
		l.onPlainMessage(lk, frames)
	}
}

// receiveFailed handles a failed receive from broker b's socket and says
// whether to stop reading it. A message over zsock's frame bound (no
// broker of ours sends one) was cut short: it is dropped and counted.
func (l *loop) receiveFailed(b int, err error) bool {
	switch {
	case errors.Is(err, syscall.EAGAIN):
		return true
	case errors.Is(err, zsock.ErrTooManyFrames), errors.Is(err, zsock.ErrTooLarge):
		l.c.stats.malformed.Add(1)
		l.log.Warn("clients: dropped a message cut short", zap.String("broker", l.c.brokers[b]), zap.Error(err))
		return false
	}
	l.log.Warn("clients: receive failed", zap.Error(err))
	return true
}

func (l *loop) fireTimers(now time.Time) {
	for {
		r := l.timers.next()
		if r == nil || r.due.After(now) {
			return
		}
		heap.Pop(&l.timers)
		switch r.event {
		case evAttemptTimeout:
			l.attemptTimedOut(r, now)
		case evResend:
			l.send(r, now)
		}
	}
}

// shutdown fails whatever is left with ErrClosed and closes the sockets.
func (l *loop) shutdown() {
	c := l.c
	c.mu.Lock()
	c.closed = true
	rest := c.queue
	c.queue = nil
	c.mu.Unlock()
	for _, cmd := range rest {
		if cmd.kind == cmdSubmit {
			cmd.req.stopCtx()
			finishEarly(cmd.req.call, cmd.req.cancel, ErrClosed)
			c.stats.closed.Add(1)
		}
	}
	for _, r := range l.pending {
		c.stats.closed.Add(1)
		l.end(r, nil, ErrClosed, false)
	}
	l.closeSockets()
}

func (l *loop) closeSockets() {
	if l.ready != nil {
		_ = l.ready.Close() // before the sockets whose ZMQ_FD it watches
	}
	for _, d := range l.dealers {
		d.Close()
	}
	l.plain.closeAll()
	if l.sig != nil {
		_ = l.sig.Close() // a Wake racing with this is harmless
	}
}
