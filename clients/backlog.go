package clients

import (
	"container/list"
	"errors"
	"fmt"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/curveclient"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

// Extension sockets are made with ZMQ_IMMEDIATE: a DEALER without it
// queues what it is given while its broker is down and delivers it when
// the broker comes back, however late. A write whose attempt timed out on
// a dead broker and was then answered by another would run a second time
// there, with a deadline measured from its late arrival. With
// ZMQ_IMMEDIATE the socket refuses a message while it has no connection
// (and drops what it held when a connection breaks), so an attempt that
// cannot go out at once waits in the loop's backlog for that broker until
// the socket has room (ZMQ_EVENTS says POLLOUT), or until the attempt times out and the
// request moves on to the next broker; nothing is left behind in libzmq.

// newExtDealer opens an extension DEALER to a broker (see above).
func newExtDealer(zctx *zsock.Context, endpoint string, curve *curveclient.Keys) (*zsock.Socket, error) {
	s, err := zctx.NewSocket(zsock.DEALER)
	if err != nil {
		return nil, fmt.Errorf("clients: socket: %w", err)
	}
	if err := s.SetImmediate(true); err != nil {
		s.Close()
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

// backlog holds, per broker, the attempts waiting for that broker's
// socket to take them, oldest first.
type backlog []*list.List

func newBacklog(n int) backlog {
	b := make(backlog, n)
	for i := range b {
		b[i] = list.New()
	}
	return b
}

// sendExt sends r's attempt to r.broker, or queues it behind the attempts
// already waiting there, or when the socket cannot take it now.
func (l *loop) sendExt(r *request, now time.Time) error {
	if l.backlog[r.broker].Len() == 0 {
		err := l.trySendExt(r, now)
		if !isAgain(err) {
			r.out = err == nil
			return err
		}
	}
	r.waitBroker = r.broker
	r.waiting = l.backlog[r.broker].PushBack(r)
	if l.backlog[r.broker].Len() == 1 {
		l.ready.WatchWritable(dealerID(r.broker), true)
	}
	return nil
}

func (l *loop) trySendExt(r *request, now time.Time) error {
	m := extRequest(r, l.brokerTimeout(r, now))
	return l.sendMessage(l.dealers[r.broker], &m)
}

// flush sends what waits for broker b, in order, while its socket takes
// it. An attempt that fails for another reason than "not now" times out at
// once.
func (l *loop) flush(b int, now time.Time) {
	q := l.backlog[b]
	for e := q.Front(); e != nil; e = q.Front() {
		r := e.Value.(*request)
		err := l.trySendExt(r, now)
		if isAgain(err) {
			return
		}
		l.unwait(r)
		r.out = err == nil
		if err != nil {
			l.log.Debug("clients: send failed", zap.Stringer("uuid", r.id), zap.Error(err))
			l.timers.schedule(r, now, evAttemptTimeout)
		}
	}
}

// unwait takes r out of the backlog, if it is there.
func (l *loop) unwait(r *request) {
	if r.waiting == nil {
		return
	}
	q := l.backlog[r.waitBroker]
	q.Remove(r.waiting)
	r.waiting = nil
	if q.Len() == 0 {
		l.ready.WatchWritable(dealerID(r.waitBroker), false)
	}
}

func isAgain(err error) bool {
	return errors.Is(err, syscall.EAGAIN)
}
