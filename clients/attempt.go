package clients

import (
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// start takes a new request into the loop and sends its first attempt to
// the current broker.
func (l *loop) start(r *request, now time.Time) {
	if err := r.ctx.Err(); err != nil {
		r.stopCtx()
		l.countContextEnd(err)
		finishEarly(r.call, r.cancel, contextError(err))
		return
	}
	l.pending[r.id] = r
	l.c.stats.pending.Add(1)
	r.broker = l.cur
	l.send(r, now)
}

// send makes one attempt: the request goes to r.broker and its attempt
// timer starts. A send that fails at once counts as a timed-out attempt.
func (l *loop) send(r *request, now time.Time) {
	wait := l.o.timeout
	if !r.deadline.IsZero() {
		left := r.deadline.Sub(now)
		if left <= 0 {
			l.c.stats.timeouts.Add(1)
			l.end(r, nil, errDeadline, false)
			return
		}
		wait = min(wait, left)
	}
	r.attempts++
	l.c.stats.attempts.Add(1)
	if r.attempts > 1 {
		l.c.stats.retries.Add(1)
		l.log.Debug("clients: retry", zap.Stringer("uuid", r.id), zap.Int("attempt", r.attempts),
			zap.String("broker", l.c.brokers[r.broker]))
	}
	l.timers.schedule(r, now.Add(wait), evAttemptTimeout)
	var err error
	if l.o.protocol == ProtocolExtension {
		err = l.sendExt(r, now)
	} else {
		err = l.plain.send(l, r)
	}
	if err != nil {
		l.log.Debug("clients: send failed", zap.Stringer("uuid", r.id), zap.Error(err))
		l.timers.schedule(r, now, evAttemptTimeout)
	}
}

func extRequest(r *request, timeout time.Duration) mdp.Message {
	return mdp.Message{
		Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true,
		Service: r.call.Service, UUID: r.id, Flags: r.flags, Body: r.call.Body,
		Timeout: timeout,
	}
}

// brokerTimeout is the deadline the request carries to the broker when it
// goes out at now: the time ctx leaves it, or without a ctx deadline, what
// the current attempt and those after it may take, after which nobody
// waits for the reply. Never less than a millisecond (zero would mean
// "none").
func (l *loop) brokerTimeout(r *request, now time.Time) time.Duration {
	var d time.Duration
	if !r.deadline.IsZero() {
		d = r.deadline.Sub(now)
	} else {
		d = r.due.Sub(now) + l.o.timeout*time.Duration(l.o.retries+1-r.attempts)
	}
	return max(d, time.Millisecond)
}

// sendMessage sends m without waiting, in one cgo call; a socket that
// cannot take it now says syscall.EAGAIN. zsock copies the frames into
// libzmq, so the loop's frame list is reused for every message.
func (l *loop) sendMessage(s *zsock.Socket, m *mdp.Message) error {
	frames, err := m.AppendFrames(l.frames[:0])
	l.frames = frames[:0]
	defer clear(frames) // drop the references to bodies sent
	if err != nil {
		return err
	}
	l.sends++ // voids every socket's quiet hint (see run)
	return s.Send(frames, zsock.DontWait)
}

// attemptTimedOut moves a request on to its next attempt, on the next
// broker, after the backoff; or ends it when it has no attempts or time
// left.
func (l *loop) attemptTimedOut(r *request, now time.Time) {
	l.suspect(r.broker)
	if r.waiting != nil {
		l.warnNoConnection(r.broker, now)
	}
	l.unwait(r)        // it never went out: it must not go out later
	l.plain.drop(l, r) // a late reply must not reach a later request
	at, ok := l.nextAttempt(r, now)
	switch {
	case !r.deadline.IsZero() && !now.Before(r.deadline):
		l.c.stats.timeouts.Add(1)
		l.end(r, nil, errDeadline, false)
	case !ok || l.o.protocol != ProtocolExtension && r.partials > 0:
		l.c.stats.timeouts.Add(1)
		err := errDeadline
		if r.attempts > l.o.retries || r.partials > 0 {
			err = fmt.Errorf("%w: no reply after %d attempts", ErrTimeout, r.attempts)
		}
		l.end(r, nil, err, false)
	default:
		l.failOver(r, at)
	}
}

// nextAttempt is when r's next attempt may go out; false when it has no
// attempts left or the backoff would end past its deadline.
func (l *loop) nextAttempt(r *request, now time.Time) (time.Time, bool) {
	if r.attempts > l.o.retries {
		return time.Time{}, false
	}
	at := now.Add(l.o.backoffFor(r.attempts))
	if !r.deadline.IsZero() && !at.Before(r.deadline) {
		return time.Time{}, false
	}
	return at, true
}

// failOver schedules r's next attempt, on the next broker, and withdraws
// the attempt it leaves there. With one broker the attempt is not
// withdrawn: the retry goes to the same broker, which absorbs it as a
// duplicate and keeps the request's place in its queue.
func (l *loop) failOver(r *request, at time.Time) {
	l.unwait(r)
	next := (r.broker + 1) % len(l.c.brokers)
	if next != r.broker {
		l.withdraw(r)
	}
	r.broker = next
	l.timers.schedule(r, at, evResend)
}

// suspect moves new requests off broker b, if they were going there.
func (l *loop) suspect(b int) {
	if l.cur == b {
		l.cur = (b + 1) % len(l.c.brokers)
	}
}

// onExtMessage handles a message from broker b on its extension socket.
func (l *loop) onExtMessage(b int, frames [][]byte) {
	m, err := mdp.ParseDealer(frames)
	if err == nil && !m.Ext {
		err = fmt.Errorf("%s %s without the extension", m.Version, m.Kind)
	}
	if err != nil {
		l.c.stats.malformed.Add(1)
		l.log.Warn("clients: dropped a malformed message", zap.String("broker", l.c.brokers[b]), zap.Error(err))
		return
	}
	r := l.pending[m.UUID]
	if r == nil {
		l.c.stats.stale.Add(1)
		l.log.Debug("clients: dropped a reply for no pending request", zap.Stringer("uuid", m.UUID))
		return
	}
	if m.Kind != mdp.ClientPartial && b == r.broker {
		r.out = false // answered: nothing left there to withdraw
	}
	switch m.Kind {
	case mdp.ClientPartial:
		l.onPartial(r, m.Body, time.Now())
	case mdp.ClientFinal:
		l.cur = b
		l.end(r, m.Body, nil, true)
	case mdp.ClientError:
		// 503: the broker did not take the request (its queue is full, or it
		// is shutting down). Like a timeout, that sends the request on to the
		// next broker while it has attempts and time left.
		if m.Status == mdp.StatusOverloaded {
			if !l.refusesCurrentAttempt(r, b) {
				l.c.stats.stale.Add(1)
				l.log.Debug("clients: dropped a 503 for an earlier attempt", zap.Stringer("uuid", m.UUID),
					zap.String("broker", l.c.brokers[b]))
				return
			}
			if at, ok := l.nextAttempt(r, time.Now()); ok {
				l.c.stats.rejected.Add(1)
				l.suspect(b)
				l.failOver(r, at)
				return
			}
		}
		l.cur = b
		l.end(r, nil, &ServiceError{Service: m.Service, Status: m.Status, Text: m.Text}, true)
	}
}

// refusesCurrentAttempt reports whether a 503 from broker b can be the
// answer to r's current attempt: one sent to b and still waiting for its
// reply. A 503 for an earlier attempt, on another broker, says nothing
// about the current one.
func (l *loop) refusesCurrentAttempt(r *request, b int) bool {
	return r.broker == b && r.event == evAttemptTimeout && r.index >= 0 && r.waiting == nil
}

// onPartial passes a PARTIAL reply to a Stream (other calls return only
// the FINAL one) and restarts the attempt's timer: the request is alive.
func (l *loop) onPartial(r *request, body [][]byte, now time.Time) {
	r.partials++
	l.c.stats.partials.Add(1)
	if r.call.stream != nil {
		r.call.stream.push(body, false, true)
	}
	if r.event == evAttemptTimeout && r.index >= 0 {
		at := now.Add(l.o.timeout)
		if !r.deadline.IsZero() && r.deadline.Before(at) {
			at = r.deadline
		}
		l.timers.schedule(r, at, evAttemptTimeout)
	}
}

// end finishes a pending request. answered: a reply came on the request's
// socket (plain mode keeps that socket for reuse). An attempt still out at
// a broker that did not give the answer is withdrawn there.
func (l *loop) end(r *request, reply [][]byte, err error, answered bool) {
	delete(l.pending, r.id)
	l.c.stats.pending.Add(-1)
	l.timers.unschedule(r)
	l.unwait(r)
	l.withdraw(r)
	r.stopCtx()
	if answered {
		l.c.stats.replies.Add(1)
		l.plain.release(l, r)
	} else {
		l.plain.drop(l, r)
	}
	r.call.finish(reply, err)
	if r.cancel != nil {
		r.cancel()
	}
}
