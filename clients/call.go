package clients

import (
	"context"
	"sync"
)

// Call is an asynchronous request made with Client.Go. Reply and Err are
// set before Done is closed and never change after; read them only once
// Done is closed (or use Wait).
type Call struct {
	Service string
	Body    [][]byte // the request body
	Reply   [][]byte // the FINAL reply's body, when Err is nil
	Err     error
	// Done is closed when the call has finished.
	Done <-chan struct{}

	done   chan struct{}
	stream *Stream // set for Stream calls: it receives every reply
}

func newCall(service string, body [][]byte) *Call {
	done := make(chan struct{})
	return &Call{Service: service, Body: body, Done: done, done: done}
}

// Wait blocks until the call has finished and returns its result.
func (c *Call) Wait() ([][]byte, error) {
	<-c.Done
	return c.Reply, c.Err
}

// finish records the result and wakes every waiter. Only the client's loop
// calls it, once per call (or New's callers, for calls that never reached
// the loop).
func (c *Call) finish(reply [][]byte, err error) {
	c.Reply, c.Err = reply, err
	if c.stream != nil {
		c.stream.push(reply, true, err == nil)
	}
	close(c.done)
}

// Stream is a request whose replies are read one by one: every PARTIAL
// reply in order, then the FINAL one. A Stream is read by one goroutine.
//
//	s := client.Stream(ctx, "tail", []byte("log"))
//	defer s.Close()
//	for s.Next() {
//		use(s.Body(), s.Final())
//	}
//	if err := s.Err(); err != nil { ... }
//
// Replies wait in an unbounded queue until read; none is dropped. With
// the extension protocol, a partial reply counts as progress: it restarts
// the attempt's timeout.
type Stream struct {
	call   *Call
	cancel context.CancelFunc

	mu     sync.Mutex
	queue  []streamItem
	notify chan struct{} // capacity 1: "the queue grew"

	cur streamItem
}

type streamItem struct {
	body  [][]byte
	final bool
}

func newStream(call *Call, cancel context.CancelFunc) *Stream {
	s := &Stream{call: call, cancel: cancel, notify: make(chan struct{}, 1)}
	call.stream = s
	return s
}

// push queues a reply. The loop never blocks here.
func (s *Stream) push(body [][]byte, final, ok bool) {
	if !ok {
		return
	}
	s.mu.Lock()
	s.queue = append(s.queue, streamItem{body: body, final: final})
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Next waits for the next reply and reports whether there is one. It
// returns false after the FINAL reply has been read, or when the request
// failed (see Err).
func (s *Stream) Next() bool {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			s.cur = s.queue[0]
			s.queue[0] = streamItem{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return true
		}
		s.mu.Unlock()
		select {
		case <-s.call.Done:
			s.mu.Lock()
			more := len(s.queue) > 0
			s.mu.Unlock()
			if !more {
				s.cur = streamItem{}
				return false
			}
		case <-s.notify:
		}
	}
}

// Body is the reply Next moved to.
func (s *Stream) Body() [][]byte { return s.cur.body }

// Final reports whether the reply Next moved to is the FINAL one.
func (s *Stream) Final() bool { return s.cur.final }

// Err is the request's error once Next has returned false (nil when the
// FINAL reply came).
func (s *Stream) Err() error {
	select {
	case <-s.call.Done:
		return s.call.Err
	default:
		return nil
	}
}

// Close abandons the request if it is still running and waits until it has
// ended. It is safe to call at any time, more than once.
func (s *Stream) Close() {
	s.cancel()
	<-s.call.Done
}
