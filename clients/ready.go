package clients

import (
	zmq "github.com/pebbe/zmq4"
)

// What the loop waits for (internal/zready ids): its wake-up signal, each
// broker's extension socket, and the plain-mode sockets, numbered from
// firstLinkID on.
const (
	wakeID      = 0
	firstLinkID = 1 << 20
)

func dealerID(broker int) int { return 1 + broker }

// zmqSocket lets internal/zready wait for a pebbe/zmq4 socket: its ZMQ_FD,
// and ZMQ_EVENTS for a message to receive or room to send. (The extension
// sockets need ZMQ_IMMEDIATE, which internal/zsock cannot set yet.)
type zmqSocket struct{ *zmq.Socket }

func (s zmqSocket) Fd() (int, error) { return s.GetFd() }

func (s zmqSocket) Readable() (bool, error) {
	ev, err := s.GetEvents()
	return ev&zmq.POLLIN != 0, err
}

func (s zmqSocket) Writable() (bool, error) {
	ev, err := s.GetEvents()
	return ev&zmq.POLLOUT != 0, err
}
