// Package zready lets one goroutine wait until any of its ZeroMQ sockets
// has a message, or any of its plain descriptors (an internal/wakeup pipe)
// is readable, and on Linux it waits in Go's netpoller: the goroutine parks
// like one reading a net.Conn, instead of holding its thread in zmq_poll,
// which the runtime hands its P away from and back to on every wake-up.
//
//	set, _ := zready.New()
//	defer set.Close()
//	set.AddSocket(0, sock)     // anything with ZMQ_FD and ZMQ_EVENTS
//	set.AddFd(1, sig.Fd())     // a plain descriptor, level-triggered
//	for {
//		ids, err := set.Wait(timeout)
//		// receive from each socket in ids until EAGAIN; Clear the signal
//	}
//
// A socket's ZMQ_FD says only that its state may have changed, and any
// operation on the socket may consume that signal. So Wait asks every
// socket (ZMQ_EVENTS) before it blocks and reports those that have a
// message without blocking: a message that arrived while the caller was
// busy, or whose signal a send consumed, is never missed. The one
// exception is a socket the caller has declared Drained: its last
// operation was a receive that found nothing, which leaves libzmq with no
// command unprocessed, so its ZMQ_FD will signal the next message. Asking
// costs a cgo call and two system calls inside libzmq (poll and getpid on
// its mailbox), as much as the receive itself.
//
// A socket whose ZMQ_FD fired while Wait blocked is reported without being
// asked: it may have a message, and the caller, which receives from each
// reported socket until EAGAIN, finds out at the same cost. A reported
// socket must be received from (or otherwise touched): until libzmq
// processes its commands, its ZMQ_FD stays readable.
//
// Guarantees: Wait returns the ids of the sockets that have a message to
// receive or may have one (or room to send, see WatchWritable) and of the
// descriptors that are readable, at once when there are any, or else as
// soon as one becomes so, or after timeout (negative: no timeout) with
// none. Like the sockets, a Set belongs to one goroutine.
package zready

import (
	"errors"
	"fmt"
	"time"
)

// Socket is what the Set needs of a ZeroMQ socket: its ZMQ_FD, and
// whether ZMQ_EVENTS says a message can be received now. *zsock.Socket
// has both.
type Socket interface {
	Fd() (int, error)
	Readable() (bool, error)
}

// Writer is a Socket that can also say whether ZMQ_EVENTS allows a send
// now; see WatchWritable.
type Writer interface {
	Socket
	Writable() (bool, error)
}

// ErrDuplicate is AddSocket's or AddFd's answer for an id in use.
var ErrDuplicate = errors.New("zready: id already in the set")

type item struct {
	id      int
	fd      int
	sock    Socket // nil for a plain descriptor
	write   Writer // non-nil while the caller waits for room to send
	drained bool   // Drained since the last Wait: not asked before blocking
	asked   bool   // asked by this Wait before it polled
}

// Set is the sockets and descriptors one goroutine waits for.
type Set struct {
	items []*item       // in the order added
	byID  map[int]*item // the same
	out   []int
	poll  poller
}

// New makes an empty Set.
func New() (*Set, error) {
	s := &Set{byID: make(map[int]*item)}
	if err := s.poll.open(); err != nil {
		return nil, fmt.Errorf("zready: %w", err)
	}
	return s, nil
}

// AddSocket watches sock under id.
func (s *Set) AddSocket(id int, sock Socket) error {
	fd, err := sock.Fd()
	if err != nil {
		return fmt.Errorf("zready: ZMQ_FD: %w", err)
	}
	return s.add(&item{id: id, fd: fd, sock: sock})
}

// AddFd watches a plain descriptor under id: it is reported while it is
// readable.
func (s *Set) AddFd(id, fd int) error { return s.add(&item{id: id, fd: fd}) }

func (s *Set) add(it *item) error {
	if s.byID[it.id] != nil {
		return ErrDuplicate
	}
	if err := s.poll.add(it.fd, it.id, len(s.items)+1); err != nil {
		return fmt.Errorf("zready: watch descriptor %d: %w", it.fd, err)
	}
	s.items = append(s.items, it)
	s.byID[it.id] = it
	return nil
}

// Remove stops watching id; remove a socket before closing it.
func (s *Set) Remove(id int) {
	it := s.byID[id]
	if it == nil {
		return
	}
	delete(s.byID, id)
	s.poll.remove(it.fd)
	for i, x := range s.items {
		if x == it {
			s.items = append(s.items[:i], s.items[i+1:]...)
			s.items[len(s.items):cap(s.items)][0] = nil
			break
		}
	}
}

// Drained tells the next Wait that the caller's last operation on socket id
// was a receive that returned EAGAIN, so that it need not ask the socket
// before it blocks (see the package documentation). Call it after the
// socket's last operation before Wait: a send after that receive may have
// processed the command that announced a message, and voids the hint.
func (s *Set) Drained(id int) {
	if it := s.byID[id]; it != nil && it.sock != nil {
		it.drained = true
	}
}

// WatchWritable makes Wait report socket id also while it can take a
// message (its Writer says so), or stops that. A socket that is not a
// Writer is never reported for room.
func (s *Set) WatchWritable(id int, on bool) {
	it := s.byID[id]
	if it == nil || it.sock == nil {
		return
	}
	it.write = nil
	if w, ok := it.sock.(Writer); ok && on {
		it.write = w
	}
}

// Wait returns the ids that are ready (see the package documentation).
// The slice is reused by the next Wait.
func (s *Set) Wait(timeout time.Duration) ([]int, error) {
	s.out = s.out[:0]
	for _, it := range s.items {
		if it.sock == nil {
			continue
		}
		skip := it.drained && it.write == nil
		it.drained, it.asked = false, !skip
		if skip {
			continue
		}
		ok, err := it.ready()
		if err != nil {
			return nil, err
		}
		if ok {
			s.out = append(s.out, it.id)
		}
	}
	block := len(s.out) == 0
	ready, err := s.poll.wait(s.items, timeout, block)
	if err != nil {
		return nil, fmt.Errorf("zready: wait: %w", err)
	}
	for _, id := range ready {
		it := s.byID[id]
		if it == nil {
			continue
		}
		if it.sock == nil {
			s.out = append(s.out, it.id)
			continue
		}
		if !block && it.asked {
			continue // asked already (and reported if it had a message)
		}
		s.out = append(s.out, it.id) // may have a message; the caller finds out
	}
	return s.out, nil
}

// ready asks a socket whether it has a message, or room while watched for
// it.
func (it *item) ready() (bool, error) {
	ok, err := it.sock.Readable()
	if err == nil && !ok && it.write != nil {
		ok, err = it.write.Writable()
	}
	if err != nil {
		return false, fmt.Errorf("zready: ZMQ_EVENTS: %w", err)
	}
	return ok, nil
}

// Close releases the Set; the sockets and descriptors stay open.
func (s *Set) Close() error {
	s.items = nil
	return s.poll.close()
}
